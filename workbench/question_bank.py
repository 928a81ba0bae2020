"""Exam-bank import: an existing question bank (CSV or JSONL) becomes approved questions.

Layouts recognised without help:

- CSV without header, ``question, option, ..., option, answer`` (the MMLU CSV layout is the
  four-option case with a letter answer);
- CSV with a header naming the question, the options (``A``..``J``, ``option_a``,
  ``option1``, ``choice1``... or one ``options``/``choices`` column holding a JSON list or
  ``|``-separated text) and the answer;
- JSONL with ``question`` and ``choices``/``options`` (a list, or ``A``..``J`` keys) and
  ``answer``.

Anything else is described with ``--map FIELD=COLUMN`` (column names, or 1-based numbers for
a CSV without header; ``options`` takes several columns, e.g. ``options=2-5`` or
``options=A,B,C``). The answer may be a letter, a 0-based index (``index_base=1`` in the map
for 1-based banks) or the text of the correct option.

Every bad row is reported with its line number and reason; nothing is stored unless every
row is good, or unless the caller asks to skip invalid rows.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from store import Store
from store.records import NewQuestion, Project
from workbench.errors import InvalidInput

MIN_OPTIONS, MAX_OPTIONS = 2, 10
LETTERS = "ABCDEFGHIJ"
IMPORT_SOURCE = "import"
IMPORT_REVIEWER = "import"

QUESTION_NAMES = ("question", "stem", "prompt", "query", "input", "text")
ANSWER_NAMES = ("answer", "correct", "correct_answer", "answer_key", "key", "label", "gold",
                "target", "solution", "answer_index", "answerkey")
OPTIONS_NAMES = ("options", "choices", "answers", "alternatives")
EXPLANATION_NAMES = ("explanation", "rationale", "justification")
MAP_FIELDS = ("question", "options", "answer", "explanation", "index_base")


@dataclass(frozen=True)
class BankRow:
    """One good row, ready to store."""

    line: int
    question: str
    options: list[str]
    answer_index: int
    explanation: str = ""
    raw: str = ""


@dataclass(frozen=True)
class RowError:
    line: int
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}"


@dataclass
class ParsedBank:
    rows: list[BankRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    layout: str = ""


@dataclass(frozen=True)
class BankImport:
    """What an import did."""

    question_ids: list[int]
    skipped_invalid: list[RowError]
    skipped_duplicates: int
    layout: str


class BankRowsInvalid(InvalidInput):
    """Some rows are bad; ``errors`` lists each with its line number. Nothing was stored."""

    def __init__(self, errors: list[RowError], total: int) -> None:
        shown = "; ".join(str(e) for e in errors[:3])
        more = f" (and {len(errors) - 3} more)" if len(errors) > 3 else ""
        super().__init__(
            f"{len(errors)} of {total} rows are invalid, so nothing was imported: {shown}{more}",
            "Fix those rows, describe the layout with --map, or import the good rows with "
            "--skip-invalid.")
        self.errors = errors


# -- the mapping -------------------------------------------------------------------------------

@dataclass(frozen=True)
class ColumnMap:
    """Where each field is: column names, or 0-based positions for a headerless CSV."""

    question: str | int
    options: list[str | int]
    answer: str | int
    explanation: str | int | None = None
    index_base: int = 0


def parse_map(entries: list[str] | tuple[str, ...]) -> dict[str, Any]:
    """``["question=Stem", "options=A,B,C,D", "answer=Key"]`` -> a dict of raw specs.

    Each entry may also hold several pairs separated by ';'."""
    spec: dict[str, Any] = {}
    for entry in entries:
        for part in filter(None, (p.strip() for p in entry.split(";"))):
            key, sep, value = part.partition("=")
            key, value = key.strip().lower(), value.strip()
            if not sep or not value:
                raise InvalidInput(f"--map '{part}' is not FIELD=COLUMN.",
                                   "E.g. --map question=Stem --map options=A,B,C,D --map answer=Key")
            if key not in MAP_FIELDS:
                raise InvalidInput(f"--map: unknown field '{key}'.",
                                   f"Fields: {', '.join(MAP_FIELDS)}.")
            spec[key] = value
    if "index_base" in spec and spec["index_base"] not in ("0", "1"):
        raise InvalidInput("--map index_base must be 0 or 1.")
    return spec


def _columns(value: str, numeric: bool) -> list[str | int]:
    """'A,B,C' or '2-5' or '2,3,4' -> column names or 0-based positions."""
    out: list[str | int] = []
    for token in (t.strip() for t in value.split(",")):
        m = re.fullmatch(r"(\d+)-(\d+)", token)
        if numeric and m:
            lo, hi = int(m.group(1)), int(m.group(2))
            if lo < 1 or hi < lo:
                raise InvalidInput(f"--map: bad column range '{token}'.")
            out.extend(range(lo - 1, hi))
        elif numeric:
            if not token.isdigit() or int(token) < 1:
                raise InvalidInput(f"--map: '{token}' is not a column number (1, 2, ...).",
                                   "A CSV without header is mapped by column numbers.")
            out.append(int(token) - 1)
        else:
            out.append(token)
    return out


def _map_from_spec(spec: dict[str, Any], numeric: bool, base: ColumnMap | None) -> ColumnMap:
    def one(name: str) -> str | int | None:
        if name not in spec:
            return None
        cols = _columns(spec[name], numeric)
        if len(cols) != 1:
            raise InvalidInput(f"--map {name} takes one column.")
        return cols[0]

    question = one("question") if "question" in spec else (base.question if base else None)
    answer = one("answer") if "answer" in spec else (base.answer if base else None)
    options = _columns(spec["options"], numeric) if "options" in spec else (
        base.options if base else [])
    explanation = one("explanation") if "explanation" in spec else (
        base.explanation if base else None)
    if question is None or answer is None or not options:
        missing = [n for n, v in (("question", question), ("options", options),
                                  ("answer", answer)) if v in (None, [])]
        raise InvalidInput(f"Cannot tell where {', '.join(missing)} are in this file.",
                           "Describe the layout with --map, e.g. --map question=Stem "
                           "--map options=A,B,C,D --map answer=Key (numbers for a CSV "
                           "without header: --map options=2-5).")
    return ColumnMap(question, options, answer, explanation, int(spec.get("index_base", 0)))


# -- recognising layouts ---------------------------------------------------------------------

def _norm(name: str) -> str:
    return re.sub(r"[\s\-]+", "_", name.strip().lower())


def _find(names: list[str], wanted: tuple[str, ...]) -> str | None:
    normed = {_norm(n): n for n in names}
    return next((normed[w] for w in wanted if w in normed), None)


def _option_columns(names: list[str]) -> list[str]:
    """Columns that look like separate options, in letter/number order."""
    normed = {_norm(n): n for n in names}
    for pattern in ("{l}", "option_{l}", "option{l}", "choice_{l}", "choice{l}", "answer_{l}"):
        cols = [normed[k] for k in (pattern.format(l=ch.lower()) for ch in LETTERS) if k in normed]
        if len(cols) >= MIN_OPTIONS and cols[0] == normed.get(pattern.format(l="a")):
            return cols
    for pattern in ("option{n}", "option_{n}", "choice{n}", "choice_{n}", "opt{n}", "{n}"):
        for start in (1, 0):
            cols = []
            for n in range(start, start + MAX_OPTIONS):
                key = pattern.format(n=n)
                if key not in normed:
                    break
                cols.append(normed[key])
            if len(cols) >= MIN_OPTIONS:
                return cols
    return []


def _named_map(names: list[str]) -> ColumnMap | None:
    """A mapping guessed from column (or JSON key) names; None when it is not clear."""
    question = _find(names, QUESTION_NAMES)
    answer = _find(names, ANSWER_NAMES)
    options: list[str | int] = list(_option_columns(names))
    if not options:
        one = _find(names, OPTIONS_NAMES)
        options = [one] if one else []
    if answer in options:  # e.g. a column called "answer_a"; not the answer key
        answer = None
    if question is None or answer is None or not options:
        return None
    return ColumnMap(question, options, answer, _find(names, EXPLANATION_NAMES))


def _looks_like_header(cells: list[str]) -> bool:
    return _named_map(cells) is not None or (
        _find(cells, QUESTION_NAMES) is not None and _find(cells, ANSWER_NAMES) is not None)


# -- reading values --------------------------------------------------------------------------

def _split_options(value: Any) -> list[str]:
    """One cell or field holding every option: a list, a JSON list, or 'a | b | c'."""
    if isinstance(value, list):
        return [str(v) for v in value]
    text = str(value).strip()
    if text.startswith("["):
        try:
            parsed = json.loads(text)
        except ValueError:
            parsed = None
        if isinstance(parsed, list):
            return [str(v) for v in parsed]
    for sep in ("|", "\n", ";"):
        if sep in text:
            return [p.strip() for p in text.split(sep)]
    return [text]


_LETTER_RE = re.compile(r"^\(?([A-Ja-j])[\).:]?$")


def resolve_answer(answer: Any, options: list[str], index_base: int = 0) -> int:
    """The index of the correct option, from a letter, an index or the option's text.

    Raises ValueError with the reason when the answer matches no option."""
    if isinstance(answer, bool) or answer is None:
        raise ValueError("the answer is empty")
    if isinstance(answer, int | float) and float(answer).is_integer():
        index = int(answer) - index_base
        if not 0 <= index < len(options):
            raise ValueError(f"answer index {answer} is outside the {len(options)} options")
        return index
    text = str(answer).strip()
    if not text:
        raise ValueError("the answer is empty")
    exact = [i for i, o in enumerate(options) if o.strip() == text]
    if len(exact) == 1:
        return exact[0]
    m = _LETTER_RE.match(text)
    if m:
        index = LETTERS.index(m.group(1).upper())
        if index >= len(options):
            raise ValueError(f"answer '{text}' is not one of the {len(options)} options "
                             f"(A-{LETTERS[len(options) - 1]})")
        return index
    if re.fullmatch(r"-?\d+", text):
        return resolve_answer(int(text), options, index_base)
    folded = [i for i, o in enumerate(options) if o.strip().casefold() == text.casefold()]
    if len(folded) == 1:
        return folded[0]
    raise ValueError(f"answer '{text[:60]}' is not a letter, an index or the text of an option")


def _row(line: int, raw: str, question: Any, options: list[Any], answer: Any,
         explanation: Any, index_base: int) -> BankRow:
    """Validate one record; raises ValueError with the reason."""
    q = "" if question is None else str(question).strip()
    if not q:
        raise ValueError("the question is empty")
    opts = ["" if o is None else str(o).strip() for o in options]
    while opts and not opts[-1]:  # trailing empty option columns: fewer options on this row
        opts.pop()
    if any(not o for o in opts):
        raise ValueError("an option in the middle is empty")
    if not MIN_OPTIONS <= len(opts) <= MAX_OPTIONS:
        raise ValueError(f"{len(opts)} options; a question needs {MIN_OPTIONS} to {MAX_OPTIONS}")
    if len({o.casefold() for o in opts}) != len(opts):
        raise ValueError("two options are the same")
    index = resolve_answer(answer, opts, index_base)
    return BankRow(line, q, opts, index, "" if explanation is None else str(explanation).strip(),
                   raw)


# -- CSV -------------------------------------------------------------------------------------

def _csv_records(text: str) -> Iterator[tuple[int, list[str]]]:
    """(first line number, cells) of every non-blank record."""
    first_line = text.split("\n", 1)[0]
    delimiter = ","
    if "," not in first_line:
        delimiter = "\t" if "\t" in first_line else (";" if ";" in first_line else ",")
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    last = 0
    try:
        for cells in reader:
            start, last = last + 1, reader.line_num
            if any(c.strip() for c in cells):
                yield start, cells
    except csv.Error as exc:
        raise InvalidInput(f"line {last + 1}: not valid CSV ({exc}).") from None


def parse_csv(text: str, spec: dict[str, Any]) -> ParsedBank:
    records = list(_csv_records(text))
    bank = ParsedBank()
    if not records:
        return bank
    first = records[0][1]
    named_spec = any(not _all_numeric(v) for k, v in spec.items() if k != "index_base")
    header = _looks_like_header(first) or (named_spec and bool(spec))
    if header:
        names = [c.strip() for c in first]
        if spec and not named_spec:  # a header, but the map gives column numbers
            cmap = _map_from_spec(spec, True, None)
        else:
            cmap = _named_columns(names, spec)
        bank.layout = "CSV with header" + (" (mapped)" if spec else "")
        body = records[1:]
    else:
        if spec:
            cmap = _map_from_spec(spec, True, None)
            bank.layout = "CSV without header (mapped)"
        else:
            cmap = None
            bank.layout = "CSV without header: question, options..., answer (MMLU layout)"
        body = records
    for line, cells in body:
        raw = json.dumps(cells, ensure_ascii=False)
        try:
            if cmap is None:  # question, options..., answer
                if len(cells) < 1 + MIN_OPTIONS + 1:
                    raise ValueError(f"{len(cells)} columns; expected question, at least "
                                     f"{MIN_OPTIONS} options and the answer")
                bank.rows.append(_row(line, raw, cells[0], cells[1:-1], cells[-1], None, 0))
                continue
            needed = max(int(c) for c in [cmap.question, cmap.answer, *cmap.options,
                                           cmap.explanation or 0])
            if len(cells) <= needed:
                raise ValueError(f"{len(cells)} columns; the layout needs {needed + 1}")
            options: list[Any] = [cells[int(i)] for i in cmap.options]
            if len(options) == 1:
                options = _split_options(options[0])
            bank.rows.append(_row(
                line, raw, cells[int(cmap.question)], options, cells[int(cmap.answer)],
                None if cmap.explanation is None else cells[int(cmap.explanation)],
                cmap.index_base))
        except ValueError as exc:
            bank.errors.append(RowError(line, str(exc)))
    return bank


def _named_columns(names: list[str], spec: dict[str, Any]) -> ColumnMap:
    """A map by header names (guessed, then overridden by ``spec``) as 0-based positions."""
    guessed = _named_map(names)
    cmap = _map_from_spec(spec, False, guessed) if spec or guessed is None else guessed
    positions = {n: i for i, n in enumerate(names)}
    unknown = [c for c in [cmap.question, cmap.answer, *cmap.options, cmap.explanation]
               if c is not None and c not in positions]
    if unknown:
        raise InvalidInput(f"Columns not in the header: {', '.join(map(str, unknown))}.",
                           f"The header has: {', '.join(names)}.")
    return ColumnMap(positions[str(cmap.question)], [positions[str(c)] for c in cmap.options],
                     positions[str(cmap.answer)],
                     None if cmap.explanation is None else positions[str(cmap.explanation)],
                     cmap.index_base)


def _all_numeric(value: str) -> bool:
    return all(re.fullmatch(r"\d+(-\d+)?", t.strip()) for t in str(value).split(","))


# -- JSONL -----------------------------------------------------------------------------------

def parse_jsonl(text: str, spec: dict[str, Any]) -> ParsedBank:
    bank = ParsedBank(layout="JSONL" + (" (mapped)" if spec else ""))
    for line, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            try:
                obj = json.loads(raw)
            except ValueError as exc:
                raise ValueError(f"not valid JSON ({exc.args[0].split(':')[0]})") from None
            if not isinstance(obj, dict):
                raise ValueError("not a JSON object")
            keys = list(obj)
            guessed = _named_map(keys)
            if spec:
                cmap = _map_from_spec(spec, False, guessed)
            elif guessed is None:
                raise ValueError(
                    "cannot find the question, options and answer among the keys "
                    f"{', '.join(keys[:8])} (use --map)")
            else:
                cmap = guessed
            missing = [str(k) for k in [cmap.question, cmap.answer, *cmap.options]
                       if k not in obj]
            if missing:
                raise ValueError(f"missing {', '.join(missing)}")
            options: list[Any] = [obj[str(k)] for k in cmap.options]
            if len(options) == 1:
                options = _split_options(options[0])
            bank.rows.append(_row(
                line, raw, obj[str(cmap.question)], options, obj[str(cmap.answer)],
                obj.get(str(cmap.explanation)) if cmap.explanation else None, cmap.index_base))
        except ValueError as exc:
            bank.errors.append(RowError(line, str(exc)))
    return bank


# -- entry points ----------------------------------------------------------------------------

def detect_format(path: Path, fmt: str | None) -> str:
    if fmt:
        if fmt not in ("csv", "jsonl"):
            raise InvalidInput(f"Unknown format '{fmt}'.", "Use --format csv or --format jsonl.")
        return fmt
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".ndjson", ".json"):
        return "jsonl"
    if suffix in (".csv", ".tsv", ".txt"):
        return "csv"
    raise InvalidInput(f"Cannot tell the format of {path.name} from its extension.",
                       "Add --format csv or --format jsonl.")


def parse_bank(path: Path | str, fmt: str | None = None,
               mapping: list[str] | tuple[str, ...] = ()) -> ParsedBank:
    """Read and validate a question bank without storing anything."""
    path = Path(path)
    if not path.is_file():
        raise InvalidInput(f"{path} is not a file.")
    fmt = detect_format(path, fmt)
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidInput(f"{path.name} is not UTF-8 text (byte {exc.start}).",
                           "Save the file as UTF-8 and try again.") from None
    spec = parse_map(mapping)
    bank = parse_csv(text, spec) if fmt == "csv" else parse_jsonl(text, spec)
    if not bank.rows and not bank.errors:
        raise InvalidInput(f"{path.name} holds no questions.")
    return bank


def import_bank(
    store: Store, project: Project, path: Path | str, fmt: str | None = None,
    mapping: list[str] | tuple[str, ...] = (), skip_invalid: bool = False,
    reviewer: str = IMPORT_REVIEWER,
) -> BankImport:
    """Store every good row as an approved question (source 'import'), each with an
    'import' review, in one transaction. Any bad row stops the import (BankRowsInvalid)
    unless ``skip_invalid``. Questions already in the project (same text and options) are
    skipped, so importing a file twice adds nothing."""
    bank = parse_bank(path, fmt, mapping)
    if bank.errors and not skip_invalid:
        raise BankRowsInvalid(bank.errors, len(bank.rows) + len(bank.errors))
    existing = {(q.question, tuple(q.options)) for q in store.list_questions(project.id)}
    fresh: list[BankRow] = []
    for row in bank.rows:
        key = (row.question, tuple(row.options))
        if key not in existing:
            existing.add(key)
            fresh.append(row)
    name = Path(path).name
    with store.transaction():
        ids = store.add_questions([
            NewQuestion(project_id=project.id, question=r.question, options=r.options,
                        answer_index=r.answer_index, explanation=r.explanation,
                        source=IMPORT_SOURCE, raw_output=r.raw) for r in fresh])
        for qid, row in zip(ids, fresh, strict=True):
            store.record_review(qid, reviewer, "accept", {"status": "approved"},
                                origin="import", comment=f"imported from {name} line {row.line}")
    return BankImport(ids, bank.errors, len(bank.rows) - len(fresh), bank.layout)
