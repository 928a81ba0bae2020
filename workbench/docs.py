"""Importing documents: files and folders in, decoded text and chunks into the store.

Every file is either imported or skipped with a reason a user can act on; nothing is
half-imported (a document and its chunks are written in one transaction).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

from store import Store
from store.records import ChunkSpan, Document, NewDocument
from workbench.chunking import chunk_text
from workbench.conversion import CONVERTED_FORMATS, ConvertedDocument, convert_files, page_range
from workbench.settings import Settings

TEXT_SUFFIXES = {".txt", ".md", ".markdown", ".rst", ".text"}
SUPPORTED_SUFFIXES = TEXT_SUFFIXES | set(CONVERTED_FORMATS)
# A PDF or slide deck is mostly pictures and layout: its file may be this many times the
# largest document's text before it is refused unread.
CONVERTED_FILE_FACTOR = 10
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


def _too_large(size: int, limit: int, what: str = "") -> SkipFile:
    return SkipFile(f"too large ({size:,} bytes{what} > {limit:,}); "
                    "raise WORKBENCH_MAX_DOCUMENT_BYTES or split the file")


def check_file(path: Path, max_bytes: int) -> int:
    """The file's size when it may be imported; raises SkipFile (unsupported type, too
    large) before anything is read."""
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise SkipFile(f"unsupported file type '{path.suffix or '(none)'}' "
                       f"(supported: {', '.join(sorted(SUPPORTED_SUFFIXES))})")
    size = path.stat().st_size
    limit = max_bytes * CONVERTED_FILE_FACTOR if suffix in CONVERTED_FORMATS else max_bytes
    if size > limit:
        raise _too_large(size, limit)
    if size == 0:
        raise SkipFile("empty file")
    return size


def _document(path: Path, text: str, encoding: str, size: int,
              title: str | None = None) -> NewDocument:
    return NewDocument(
        path=str(path), title=(title or _title(path, text))[:120],
        content_hash=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        encoding=encoding, size_bytes=size, text=text, language=detect_language(text),
    )


def read_document(path: Path, max_bytes: int) -> NewDocument:
    """A text file as a NewDocument; raises SkipFile with the reason."""
    size = check_file(path, max_bytes)
    if path.suffix.lower() in CONVERTED_FORMATS:
        raise SkipFile(f"{path.suffix} files are converted in import_paths, not read as text")
    text, encoding = decode_text(path.read_bytes())
    if not text.strip():
        raise SkipFile("empty file")
    return _document(path, text, encoding, size)


def converted_document(path: Path, converted: ConvertedDocument, size: int,
                       max_bytes: int) -> NewDocument:
    """A converted file as a NewDocument; its 'encoding' names the format it came from."""
    text_bytes = len(converted.text.encode("utf-8"))
    if text_bytes > max_bytes:
        raise _too_large(text_bytes, max_bytes, " of text")
    return _document(path, converted.text, path.suffix.lower().lstrip("."), size,
                     converted.title)


def paged_chunks(chunks: list[ChunkSpan], pages: list[tuple[int, int]]) -> list[ChunkSpan]:
    """The chunks with the pages of the source file each one spans (unchanged without
    pages)."""
    if not pages:
        return chunks
    out = []
    for chunk in chunks:
        first, last = page_range(pages, chunk.start, chunk.end)
        out.append(replace(chunk, page_start=first, page_end=last))
    return out


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
    """Import files and folders (recursively) into a project. PDF, Word, PowerPoint, HTML
    and Excel files are converted to Markdown first, all in one child process."""
    report = ImportReport()
    found = list(_expand(Path(p).expanduser() for p in paths))
    sizes: dict[Path, int] = {}
    for path, problem in found:
        if problem is None:
            try:
                sizes[path] = check_file(path, settings.max_document_bytes)
            except SkipFile as exc:
                report.skipped.append((str(path), str(exc)))
            except OSError as exc:
                report.skipped.append((str(path), f"cannot read: {exc.strerror or exc}"))
        else:
            report.skipped.append((str(path), problem))
    converted = convert_files([p for p in sizes if p.suffix.lower() in CONVERTED_FORMATS])
    for path, size in sizes.items():
        pages: list[tuple[int, int]] = []
        try:
            result = converted.get(str(path))
            if result is None:
                doc = read_document(path, settings.max_document_bytes)
            elif isinstance(result, str):
                raise SkipFile(result)
            else:
                doc = converted_document(path, result, size, settings.max_document_bytes)
                pages = result.pages
        except SkipFile as exc:
            report.skipped.append((str(path), str(exc)))
            continue
        except OSError as exc:
            report.skipped.append((str(path), f"cannot read: {exc.strerror or exc}"))
            continue
        chunks = paged_chunks(
            chunk_text(doc.text, settings.chunk_size, settings.chunk_overlap), pages)
        stored = store.add_document(project_id, doc, chunks)
        if stored is None:
            report.skipped.append((str(path), "already imported (same content)"))
        else:
            report.imported.append(stored)
    return report
