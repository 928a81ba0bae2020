"""`workbench questions list | review | export` through a real subprocess."""

from __future__ import annotations

import json
from pathlib import Path

from review_helpers import ReviewData

from store import Store


def test_list_shows_options_answer_status_and_provenance(cli, review_data: ReviewData) -> None:
    out = cli("questions", "list", "--project", "test-project")
    assert out.returncode == 0, out.stderr
    first = review_data.question_ids[0]
    assert f"#{first} [pending] Which organelle produces most of the cell's ATP?" in out.stdout
    assert "  * B) Mitochondrion" in out.stdout and "    A) Nucleus" in out.stdout
    assert "from: generated · doc 'Cells'" in out.stdout and "smollm2 (transformers)" in out.stdout
    assert "flags: near-duplicate" in out.stdout
    assert out.stdout.rstrip().endswith("6 questions.")

    data = json.loads(cli("questions", "list", "--project", "test-project", "--json").stdout)
    assert [q["id"] for q in data] == review_data.question_ids
    assert data[0]["options"][1] == "Mitochondrion" and data[0]["answer"] == "B"
    assert data[0]["provenance"]["model"] == "smollm2"
    assert data[0]["provenance"]["document"] == "Cells"


def test_review_verbs_store_cli_reviews_and_status_filters_follow(
    cli, store: Store, review_data: ReviewData
) -> None:
    a, b, c = review_data.question_ids[:3]
    assert cli("questions", "review", str(a), "--accept").stdout.strip() == (
        f"Question {a}: approved, answer B.")
    assert cli("questions", "review", str(b), "--answer", "d").returncode == 0
    out = cli("questions", "review", str(c), "--discard", "ambiguous", "--comment", "two answers")
    assert out.returncode == 0, out.stderr

    assert (store.question(b).answer_index, store.question(b).status) == (3, "approved")
    review = store.question_reviews(c)[-1]
    assert (review.action, review.reason, review.comment, review.origin, review.reviewer) == (
        "discard", "ambiguous", "two answers", "cli", "tester")
    approved = json.loads(cli("questions", "list", "--project", "test-project",
                              "--status", "approved", "--json").stdout)
    assert [q["id"] for q in approved] == [a, b]
    discarded = cli("questions", "list", "--project", "test-project", "--status", "discarded")
    assert f"#{c} [discarded]" in discarded.stdout and f"#{a} " not in discarded.stdout


def test_bad_review_commands_fail_clearly_and_store_nothing(
    cli, store: Store, review_data: ReviewData
) -> None:
    qid = review_data.question_ids[0]
    cases = [
        (["--answer", "E"], "'E' is not an option"),
        (["--accept", "--discard", "x"], "exactly one of"),
        ([], "exactly one of"),
        (["--discard", "  "], "needs a reason"),
    ]
    for args, message in cases:
        out = cli("questions", "review", str(qid), *args)
        assert out.returncode == 1 and message in out.stderr, (args, out.stderr)
    missing = cli("questions", "review", "99999", "--accept")
    assert missing.returncode == 1 and "No question with id 99999" in missing.stderr
    nope = cli("questions", "list", "--project", "nope")
    assert nope.returncode == 1 and "No project named 'nope'" in nope.stderr
    assert store.question_reviews(qid) == []


def test_export_writes_jsonl_with_options_answer_and_history(
    cli, store: Store, review_data: ReviewData, tmp_path: Path
) -> None:
    a, b = review_data.question_ids[:2]
    assert cli("questions", "review", str(a), "--answer", "C").returncode == 0
    assert cli("questions", "review", str(a), "--answer", "B").returncode == 0
    assert cli("questions", "review", str(b), "--discard", "trivial").returncode == 0

    target = tmp_path / "all.jsonl"
    out = cli("questions", "export", "--project", "test-project", "--to", str(target))
    assert out.returncode == 0 and "Wrote 6 questions" in out.stdout
    rows = [json.loads(line) for line in target.read_text().splitlines()]
    assert [r["id"] for r in rows] == review_data.question_ids
    first = rows[0]
    assert (first["answer"], first["status"], first["options"][1]) == ("B", "approved",
                                                                      "Mitochondrion")
    assert [(h["action"], h["answer"]) for h in first["reviews"]] == [("answer", "C"),
                                                                     ("answer", "B")]
    assert first["reviews"][1]["changes"] == {"answer_index": [2, 1]}
    assert rows[2]["reviews"] == []

    approved = tmp_path / "approved.jsonl"
    cli("questions", "export", "--project", "test-project", "--to", str(approved),
        "--status", "approved")
    assert [json.loads(x)["id"] for x in approved.read_text().splitlines()] == [a]
    bad = cli("questions", "export", "--project", "test-project",
              "--to", str(tmp_path / "no" / "such" / "dir.jsonl"))
    assert bad.returncode == 1 and "does not exist" in bad.stderr


def test_questions_group_offers_import_when_the_bank_importer_is_installed(cli) -> None:
    out = cli("questions", "--help")
    assert out.returncode == 0
    assert {"list", "review", "export", "import"} <= {
        line.split()[0] for line in out.stdout.splitlines()[-4:]}
