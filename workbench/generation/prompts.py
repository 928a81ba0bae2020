"""Prompts are versioned text files in ``prompts/``; a question records the version used."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources

from workbench.errors import InvalidInput

# mcq_v2 asks for a supporting quote (the grounding gate needs one); mcq_v1 stays readable
# for the questions it wrote, but new jobs refuse it (see ``PromptTemplate.asks_for_quote``).
DEFAULT_PROMPT_VERSION = "mcq_v2"

# ISO 639-1 codes the document importer records -> the language named in the prompt.
LANGUAGE_NAMES = {
    "en": "English", "fr": "French", "de": "German", "es": "Spanish", "it": "Italian",
    "pt": "Portuguese", "nl": "Dutch", "pl": "Polish", "sv": "Swedish", "da": "Danish",
    "no": "Norwegian", "fi": "Finnish", "cs": "Czech", "ru": "Russian", "uk": "Ukrainian",
    "tr": "Turkish", "el": "Greek", "ar": "Arabic", "he": "Hebrew", "hi": "Hindi",
    "zh": "Chinese", "ja": "Japanese", "ko": "Korean", "vi": "Vietnamese", "id": "Indonesian",
}


def language_name(code: str | None) -> str:
    """The language to write in: the document's when known, English by default."""
    if not code:
        return "English"
    return LANGUAGE_NAMES.get(code.lower().split("-")[0], code)


@dataclass(frozen=True)
class PromptTemplate:
    version: str
    system: str
    user: str

    @property
    def asks_for_quote(self) -> bool:
        """Whether the prompt's reply format has the supporting quote the grounding gate
        checks (mcq_v2 on; mcq_v1 predates it)."""
        return '"quote"' in self.user

    def messages(self, passage: str, language: str, number: int, total: int) -> list[dict[str, str]]:
        """The chat messages for one question about ``passage``."""
        values = {"passage": passage.strip(), "language": language_name(language),
                  "number": number, "total": total}
        return [
            {"role": "system", "content": self.system.format(**values)},
            {"role": "user", "content": self.user.format(**values)},
        ]


def available_prompts() -> list[str]:
    """Prompt versions shipped with workbench."""
    folder = resources.files("workbench.generation") / "prompts"
    return sorted(e.name[:-4] for e in folder.iterdir() if e.name.endswith(".txt"))


def load_prompt(version: str = DEFAULT_PROMPT_VERSION) -> PromptTemplate:
    """Read ``prompts/<version>.txt`` (sections ``=== system`` and ``=== user``)."""
    if version not in available_prompts():
        raise InvalidInput(f"Unknown prompt version '{version}'.",
                           f"Available: {', '.join(available_prompts())}.")
    text = (resources.files("workbench.generation") / "prompts" / f"{version}.txt").read_text(
        encoding="utf-8")
    sections: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in text.splitlines():
        if line.startswith("=== "):
            current = sections.setdefault(line[4:].strip(), [])
        elif current is not None:
            current.append(line)
        elif line.strip() and not line.startswith("#"):
            raise InvalidInput(f"Prompt file {version}.txt has text before its first section.")
    if set(sections) != {"system", "user"}:
        raise InvalidInput(f"Prompt file {version}.txt needs '=== system' and '=== user'.")
    return PromptTemplate(version, "\n".join(sections["system"]).strip(),
                          "\n".join(sections["user"]).strip())
