"""Documents as users have them: PDF, Word, PowerPoint, HTML and Excel files converted to
Markdown text with markitdown, with the page (PDF) or slide (PPTX) each part came from.

markitdown pulls in onnxruntime (through magika), pandas, pdfminer and more, about a second of
imports: it is only ever imported in a short-lived child process (``convert_files`` runs
``python -m workbench.conversion``), so neither the TUI nor a CLI that imports no such file
pays for it, and a converter that crashes or hangs on a bad file takes nothing else down.
"""

from __future__ import annotations

import io
import json
import os
import re
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

# suffix -> (what users call the format, markitdown converter class)
CONVERTED_FORMATS: dict[str, tuple[str, str]] = {
    ".pdf": ("PDF", "PdfConverter"),
    ".docx": ("Word", "DocxConverter"),
    ".pptx": ("PowerPoint", "PptxConverter"),
    ".html": ("HTML", "HtmlConverter"),
    ".htm": ("HTML", "HtmlConverter"),
    ".xlsx": ("Excel", "XlsxConverter"),
}
SCANNED_PDF = ("scanned PDF: no page has a text layer; run OCR on it first (e.g. "
               "'ocrmypdf in.pdf out.pdf') and import the result")
_ROOT = Path(__file__).resolve().parent.parent
_SLIDE = re.compile(r"^<!-- Slide number: (\d+) -->\n?", re.MULTILINE)


@dataclass(frozen=True)
class ConvertedDocument:
    """A file's text as Markdown, and where each page starts in it."""

    text: str
    pages: list[tuple[int, int]]
    """(offset in ``text`` where the page starts, page number from 1), in order; empty when
    the format has no pages (Word, HTML, Excel)."""
    title: str | None = None


def _clean(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x0c", "\n")
    text = re.sub(r"[ \t]+\n", "\n", text)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def join_pages(parts: list[tuple[int, str]]) -> ConvertedDocument:
    """One text from numbered page texts, blank pages left out, with each page's offset."""
    text, pages = "", []
    for number, part in parts:
        part = _clean(part)
        if not part:
            continue
        if text:
            text += "\n\n"
        pages.append((len(text), number))
        text += part
    return ConvertedDocument(text, pages)


def page_range(pages: list[tuple[int, int]], start: int, end: int
               ) -> tuple[int | None, int | None]:
    """The first and last page that the text span [start, end) touches (None, None without
    pages)."""
    if not pages:
        return None, None
    first = last = None
    for offset, number in pages:
        if offset <= start:
            first = number
        if offset < end:
            last = number
    return (first if first is not None else pages[0][1]), last


def _converter(suffix: str) -> Any:
    import markitdown.converters as converters

    return getattr(converters, CONVERTED_FORMATS[suffix][1])()


def _markdown(data: bytes, suffix: str) -> Any:
    from markitdown import StreamInfo

    return _converter(suffix).convert(io.BytesIO(data), StreamInfo(extension=suffix))


def _pdf(data: bytes) -> ConvertedDocument:
    """Page by page, so that every chunk can say which pages it came from: each page is
    copied into a one-page PDF (pypdfium2) and converted on its own."""
    import pypdfium2 as pdfium  # markitdown's PDF extra brings it (through pdfplumber)

    try:
        source = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        if "password" in str(exc).lower():
            raise ValueError("password-protected PDF: save a copy without the password (e.g. "
                             "'qpdf --decrypt --password=PW in.pdf out.pdf') and import that"
                             ) from None
        raise ValueError(f"not a readable PDF ({exc})") from None
    parts = []
    for index in range(len(source)):
        single = pdfium.PdfDocument.new()
        single.import_pages(source, [index])
        buffer = io.BytesIO()
        single.save(buffer)
        text = _markdown(buffer.getvalue(), ".pdf").markdown or ""
        # justified lines come out with runs of spaces between words
        parts.append((index + 1, re.sub(r"(?<=\S) {2,}(?=\S)", " ", text)))
    converted = join_pages(parts)
    if not converted.text:
        raise ValueError(SCANNED_PDF)
    return converted


def convert_file(path: Path) -> ConvertedDocument:
    """Convert one file (heavy: imports markitdown). Raises ValueError with a reason a user
    can act on."""
    suffix = path.suffix.lower()
    kind = CONVERTED_FORMATS[suffix][0]
    data = path.read_bytes()
    if not data.strip():
        raise ValueError("empty file")
    if suffix == ".pdf":
        return _pdf(data)
    try:
        result = _markdown(data, suffix)
    except Exception as exc:  # markitdown wraps the format library's own errors
        cause = exc.__cause__ or exc
        raise ValueError(f"not a readable {kind} file ({type(cause).__name__}: "
                         f"{str(cause).splitlines()[0][:120] if str(cause) else 'no detail'})"
                         ) from None
    markdown = result.markdown or ""
    if suffix == ".pptx" and _SLIDE.match(markdown.lstrip()):
        pieces = _SLIDE.split(markdown.lstrip())  # ['', n1, text1, n2, text2, ...]
        converted = join_pages([(int(n), t) for n, t in zip(pieces[1::2], pieces[2::2],
                                                            strict=True)])
    else:
        converted = ConvertedDocument(_clean(markdown), [])
    if not converted.text:
        raise ValueError(f"no text in this {kind} file")
    return ConvertedDocument(converted.text, converted.pages, result.title)


def convert_files(paths: list[Path], timeout_s: float = 600.0
                  ) -> dict[str, ConvertedDocument | str]:
    """Convert files in one child process: {path: document, or the reason it failed}.

    A file the child did not get to (it crashed, or the whole batch ran past ``timeout_s``)
    gets a reason too; nothing raises.
    """
    if not paths:
        return {}
    python_path = os.pathsep.join(p for p in (str(_ROOT), os.environ.get("PYTHONPATH")) if p)
    results: dict[str, ConvertedDocument | str] = {}
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "workbench.conversion"],
            input=json.dumps([str(p) for p in paths]), capture_output=True, text=True,
            timeout=timeout_s, env={**os.environ, "PYTHONPATH": python_path},
        )
        lines, failure = proc.stdout.splitlines(), (
            f"the converter stopped (exit code {proc.returncode}): "
            f"{(proc.stderr.strip().splitlines() or ['no message'])[-1][:200]}")
    except subprocess.TimeoutExpired as exc:
        out = exc.stdout.decode() if isinstance(exc.stdout, bytes) else (exc.stdout or "")
        lines, failure = out.splitlines(), (
            f"conversion took longer than {timeout_s:.0f} s; import this file on its own")
    for line in lines:
        row = json.loads(line)
        if "error" in row:
            results[row["path"]] = row["error"]
        else:
            results[row["path"]] = ConvertedDocument(
                row["text"], [(int(o), int(n)) for o, n in row["pages"]], row["title"])
    for path in paths:
        results.setdefault(str(path), failure)
    return results


def _alarm(signum: int, frame: FrameType | None) -> None:
    raise TimeoutError


def main() -> None:
    """Child process: a JSON list of paths on stdin, one JSON line per file on stdout."""
    per_file_s = 300
    signal.signal(signal.SIGALRM, _alarm)
    for name in json.loads(sys.stdin.read()):
        row: dict[str, Any] = {"path": name}
        signal.alarm(per_file_s)
        try:
            doc = convert_file(Path(name))
            row.update(text=doc.text, pages=doc.pages, title=doc.title)
        except TimeoutError:
            row["error"] = f"conversion took longer than {per_file_s} s"
        except ValueError as exc:
            row["error"] = str(exc)
        except OSError as exc:
            row["error"] = f"cannot read: {exc.strerror or exc}"
        except Exception as exc:  # a converter bug must not lose the other files
            row["error"] = f"conversion failed ({type(exc).__name__}: {str(exc)[:160]})"
        finally:
            signal.alarm(0)
        sys.stdout.write(json.dumps(row) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
