"""Exam-bank import: layouts, answer forms, line-numbered errors, all or nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from store import QuestionFilter, Store
from store.records import Project
from workbench.errors import InvalidInput
from workbench.question_bank import BankRowsInvalid, import_bank, parse_bank, resolve_answer


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_mmlu_csv_layout_without_header(store: Store, project: Project, tmp_path: Path):
    path = _write(tmp_path, "mmlu.csv",
                  'What is 2+2?,3,4,5,6,B\n"Capital of France, in Europe?",Paris,Rome,Oslo,Bern,A\n')
    result = import_bank(store, project, path)
    assert "MMLU" in result.layout and len(result.question_ids) == 2
    q = store.question(result.question_ids[1])
    assert q.question == "Capital of France, in Europe?"
    assert q.options == ["Paris", "Rome", "Oslo", "Bern"] and q.answer_index == 0
    assert (q.status, q.source) == ("approved", "import")
    review = store.question_reviews(q.id)[-1]
    assert (review.origin, review.status_after) == ("import", "approved")
    assert "mmlu.csv line 2" in (review.comment or "")


def test_header_csv_with_answer_as_letter_index_or_text(
        store: Store, project: Project, tmp_path: Path):
    path = _write(tmp_path, "bank.csv",
                  "Question,Option A,Option B,Option C,Answer,Explanation\n"
                  "Q1?,red,green,blue,c,because\n"
                  "Q2?,red,green,blue,1,\n"
                  "Q3?,red,green,blue,Green,\n"
                  "Q4?,red,green,blue,(A),\n")
    ids = import_bank(store, project, path).question_ids
    got = [store.question(i) for i in ids]
    assert [q.answer_index for q in got] == [2, 1, 1, 0]
    assert got[0].explanation == "because"


def test_jsonl_with_list_or_letter_keys(store: Store, project: Project, tmp_path: Path):
    rows = [{"question": "Two options?", "choices": ["yes", "no"], "answer": 1},
            {"question": "Ten options?", "options": [str(i) for i in range(10, 20)],
             "answer": "J"},
            {"stem": "Keys?", "A": "x", "B": "y", "C": "z", "label": "z"}]
    path = _write(tmp_path, "bank.jsonl", "\n".join(json.dumps(r) for r in rows) + "\n")
    ids = import_bank(store, project, path).question_ids
    got = [store.question(i) for i in ids]
    assert [len(q.options) for q in got] == [2, 10, 3]
    assert [q.answer_index for q in got] == [1, 9, 2]


def test_every_bad_row_reported_with_its_line_and_nothing_stored(
        store: Store, project: Project, tmp_path: Path):
    path = _write(tmp_path, "bad.csv",
                  "Good?,a,b,c,d,A\n"
                  '"A question\nover two lines?",a,b,c,d,E\n'
                  "One option?,a,A\n"
                  ",a,b,c,d,A\n"
                  "Same?,a,a,c,d,B\n"
                  "Eleven?,1,2,3,4,5,6,7,8,9,10,11,A\n"
                  "Unknown answer?,a,b,c,d,purple\n")
    before = store.table_counts()
    with pytest.raises(BankRowsInvalid) as caught:
        import_bank(store, project, path)
    lines = {e.line: e.reason for e in caught.value.errors}
    assert set(lines) == {2, 4, 5, 6, 7, 8}
    assert "not one of the 4 options" in lines[2]
    assert "columns" in lines[4]
    assert "question is empty" in lines[5]
    assert "same" in lines[6]
    assert "11 options" in lines[7]
    assert "purple" in lines[8]
    assert store.table_counts() == before
    result = import_bank(store, project, path, skip_invalid=True)
    assert len(result.question_ids) == 1 and len(result.skipped_invalid) == 6


def test_column_mapping_by_name_and_by_number(store: Store, project: Project, tmp_path: Path):
    named = _write(tmp_path, "odd.csv", "Prompt text,Alt1,Alt2,Alt3,Correct one\n"
                                        "Odd?,x,y,z,3\n")
    with pytest.raises(BankRowsInvalid, match="--map"):  # read as question, options, answer
        import_bank(store, project, named)
    result = import_bank(store, project, named, mapping=[
        "question=Prompt text", "options=Alt1,Alt2,Alt3", "answer=Correct one", "index_base=1"])
    assert store.question(result.question_ids[0]).answer_index == 2
    numbered = _write(tmp_path, "cols.csv", "id7,B,Numbered?,p,q,r,s\n")
    result = import_bank(store, project, numbered,
                         mapping=["question=3", "options=4-7", "answer=2"])
    q = store.question(result.question_ids[0])
    assert (q.question, q.options, q.answer_index) == ("Numbered?", ["p", "q", "r", "s"], 1)
    with pytest.raises(InvalidInput, match="unknown field"):
        parse_bank(numbered, mapping=["colour=2"])


def test_reimport_adds_nothing(store: Store, project: Project, tmp_path: Path):
    path = _write(tmp_path, "mmlu.csv", "Q?,a,b,A\nR?,a,b,B\n")
    assert len(import_bank(store, project, path).question_ids) == 2
    again = import_bank(store, project, path)
    assert again.question_ids == [] and again.skipped_duplicates == 2
    assert store.count_questions(project.id, QuestionFilter(status="approved")) == 2


def test_unreadable_inputs(store: Store, project: Project, tmp_path: Path):
    with pytest.raises(InvalidInput, match="extension"):
        parse_bank(_write(tmp_path, "bank.xlsx", "x"))
    with pytest.raises(InvalidInput, match="UTF-8"):
        path = tmp_path / "latin.csv"
        path.write_bytes("Caf\xe9?,a,b,A\n".encode("latin-1"))
        parse_bank(path)
    with pytest.raises(InvalidInput, match="no questions"):
        parse_bank(_write(tmp_path, "empty.jsonl", "\n\n"))


def test_resolve_answer_forms():
    options = ["alpha", "beta", "gamma"]
    assert resolve_answer("B", options) == 1
    assert resolve_answer("b.", options) == 1
    assert resolve_answer(2, options) == 2
    assert resolve_answer("3", options, index_base=1) == 2
    assert resolve_answer("GAMMA", options) == 2
    for bad in ("D", 3, "delta", ""):
        with pytest.raises(ValueError):
            resolve_answer(bad, options)


def test_cli_import_reports_lines_and_exits_nonzero(cli, store: Store, project: Project,
                                                   tmp_path: Path):
    path = _write(tmp_path, "bank.csv", "Good?,a,b,c,d,A\nBad?,a,b,c,d,Z\n")
    out = cli("questions", "import", "--project", project.name, str(path))
    assert out.returncode == 1
    assert "bank.csv: line 2:" in out.stderr and "nothing was imported" in out.stderr
    assert store.count_questions(project.id) == 0
    out = cli("questions", "import", "--project", project.name, str(path), "--skip-invalid",
              "--json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["imported"] == 1 and data["skipped_invalid"][0]["line"] == 2
