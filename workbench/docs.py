"""Importing documents: files and folders in, decoded text and chunks into the store.

Every file is either imported or skipped with a reason a user can act on; nothing is
half-imported (a document and its chunks are written in one transaction).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from store import Store
from store.records import Document, NewDocument
from workbench.chunking import chunk_text
from workbench.settings import Settings

TEXT_SUFFIXES = {".txt", ".md", ".markdown", ".rst", ".text"}
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


class SkipFile(Exception):
    """A file that is not imported; the message is the reason shown to the user."""


@dataclass
class ImportReport:
    imported: list[Document] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (path, reason)


def decode_text(data: bytes) -> tuple[str, str]:
    """Bytes to text and the encoding used. UTF-8 first; then Windows-1252/Latin-1 only if
    the result reads as text. Raises SkipFile rather than return garbled text."""
    if b"\x00" in data[:8192]:
        raise SkipFile("binary file (contains NUL bytes)")
    for encoding in ("utf-8-sig", "cp1252", "latin-1"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        controls = len(_CONTROL.findall(text))
        if controls > max(2, len(text) // 1000):
            if encoding == "utf-8-sig":
                raise SkipFile("binary file (control characters in the text)")
            continue
        return text.replace("\r\n", "\n").replace("\r", "\n"), (
            "utf-8" if encoding == "utf-8-sig" else encoding
        )
    raise SkipFile("undecodable text: neither UTF-8 nor Latin-1/Windows-1252; "
                   "convert it to UTF-8 (e.g. with iconv) and import again")


_STOPWORDS = {
    "en": {"the", "and", "of", "to", "is", "in", "that", "it", "for", "with"},
    "fr": {"le", "la", "les", "et", "des", "est", "une", "dans", "pour", "que"},
    "de": {"der", "die", "und", "das", "ist", "nicht", "mit", "den", "ein", "zu"},
    "es": {"el", "la", "los", "las", "y", "es", "una", "para", "que", "con"},
    "it": {"il", "la", "che", "di", "e", "una", "per", "sono", "con", "gli"},
    "pt": {"o", "os", "as", "e", "uma", "para", "que", "com", "não", "dos"},
    "nl": {"de", "het", "een", "en", "van", "is", "niet", "op", "dat", "met"},
}


def detect_language(text: str) -> str:
    """ISO 639-1 code by stopword frequency over the first 5,000 characters; 'en' if unsure."""
    words = re.findall(r"[^\W\d_]+", text[:5000].lower())
    if not words:
        return "en"
    scores = {lang: sum(w in stops for w in words) for lang, stops in _STOPWORDS.items()}
    best = max(scores, key=lambda k: scores[k])
    return best if scores[best] >= 2 and scores[best] > scores["en"] * 1.2 else "en"


def _title(path: Path, text: str) -> str:
    for line in text.splitlines():
        line = line.strip().lstrip("#").strip()
        if line:
            return line[:120]
    return path.stem


def read_document(path: Path, max_bytes: int) -> NewDocument:
    """A file as a NewDocument; raises SkipFile with the reason."""
    if path.suffix.lower() not in TEXT_SUFFIXES:
        raise SkipFile(f"unsupported file type '{path.suffix or '(none)'}' "
                       f"(supported: {', '.join(sorted(TEXT_SUFFIXES))})")
    size = path.stat().st_size
    if size > max_bytes:
        raise SkipFile(f"too large ({size:,} bytes > {max_bytes:,}); "
                       "raise WORKBENCH_MAX_DOCUMENT_BYTES or split the file")
    data = path.read_bytes()
    text, encoding = decode_text(data)
    if not text.strip():
        raise SkipFile("empty file")
    return NewDocument(
        path=str(path), title=_title(path, text),
        content_hash=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        encoding=encoding, size_bytes=size, text=text, language=detect_language(text),
    )


def _expand(paths: Iterable[Path]) -> Iterable[tuple[Path, str | None]]:
    for path in paths:
        if path.is_dir():
            for child in sorted(p for p in path.rglob("*") if p.is_file()):
                if not any(part.startswith(".") for part in child.relative_to(path).parts):
                    yield child, None
        elif path.is_file():
            yield path, None
        else:
            yield path, "no such file or folder"


def import_paths(
    store: Store, project_id: int, paths: Iterable[str | Path], settings: Settings
) -> ImportReport:
    """Import files and folders (recursively) into a project."""
    report = ImportReport()
    for path, problem in _expand(Path(p).expanduser() for p in paths):
        if problem:
            report.skipped.append((str(path), problem))
            continue
        try:
            doc = read_document(path, settings.max_document_bytes)
        except SkipFile as exc:
            report.skipped.append((str(path), str(exc)))
            continue
        except OSError as exc:
            report.skipped.append((str(path), f"cannot read: {exc.strerror or exc}"))
            continue
        chunks = chunk_text(doc.text, settings.chunk_size, settings.chunk_overlap)
        stored = store.add_document(project_id, doc, chunks)
        if stored is None:
            report.skipped.append((str(path), "already imported (same content)"))
        else:
            report.imported.append(stored)
    return report
