"""The distilabel Task that writes one multiple-choice question per input row.

Heavy module (imports distilabel): only the job process and the benchmark import it. The
same Task runs inside a regular distilabel Pipeline (see bench/generation_throughput.py)
and, in our job, standalone: loaded once, then called chunk by chunk so that each chunk's
questions are committed as soon as they exist.
"""

from __future__ import annotations

from typing import Any

from distilabel.steps.tasks import Task
from pydantic import PrivateAttr

from workbench.generation.prompts import DEFAULT_PROMPT_VERSION, PromptTemplate, load_prompt

RAW_OUTPUT = "mcq_raw"


class MultipleChoiceQuestionTask(Task):  # type: ignore[misc]
    """Input columns: passage, language, number, total. Output column: ``mcq_raw``, the
    model's text as written (parsed and validated later, so rejections keep it)."""

    prompt_version: str = DEFAULT_PROMPT_VERSION
    _prompt: PromptTemplate | None = PrivateAttr(default=None)

    def load(self) -> None:
        self._prompt = load_prompt(self.prompt_version)
        super().load()

    @property
    def inputs(self) -> list[str]:
        return ["passage", "language", "number", "total"]

    @property
    def outputs(self) -> list[str]:
        return [RAW_OUTPUT, "model_name"]

    def format_input(self, input: dict[str, Any]) -> list[dict[str, str]]:
        prompt = self._prompt or load_prompt(self.prompt_version)
        return prompt.messages(input["passage"], input.get("language") or "en",
                               int(input.get("number", 1)), int(input.get("total", 1)))

    def format_output(self, output: str | None, input: dict[str, Any] | None = None
                      ) -> dict[str, Any]:
        return {RAW_OUTPUT: output}
