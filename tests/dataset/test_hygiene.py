"""Snapshot hygiene (issue 16 part 3): hand-made question sets whose figures are worked out
by hand in the comments, then the report through the store and the CLI."""

from __future__ import annotations

import json
import math

import pytest

from store import Store
from store.records import ChunkSpan, NewDocument, NewQuestion, Project
from workbench.hygiene import HygieneItem, hygiene_report, letter_balance, near_duplicate_pairs
from workbench.results.stats import detectable_difference
from workbench.snapshots import build_snapshot, snapshot_hygiene


def chi2_sf_df3(x: float) -> float:
    """P(chi-square with 3 df > x), closed form: 2(1 - Phi(sqrt x)) + sqrt(2x/pi) e^(-x/2)."""
    return math.erfc(math.sqrt(x / 2)) + math.sqrt(2 * x / math.pi) * math.exp(-x / 2)


def item(options: list[str], key: int, question: str = "Which one is right here?",
         document_id: int | None = None, flags: list[str] | None = None,
         qid: int | None = None) -> HygieneItem:
    return HygieneItem(qid, question, options, key, document_id, flags or [])


# Four items whose option lengths make every length figure different:
#   1. key 'long correct answer' (19 chars) is the unique longest; x/y/z tie for shortest
#      -> longest 1, shortest 0
#   2. four options of 2 chars, key B -> longest 1/4, shortest 1/4
#   3. key 'tiny' (4) is the unique shortest; 'much longer one' (15) the longest
#      -> longest 0, shortest 1
#   4. key 'abcdef' ties with another 'abcdef' for longest; 'a' is the shortest
#      -> longest 1/2, shortest 0
LENGTH_SET = [
    item(["long correct answer", "x", "y", "z"], 0),
    item(["aa", "bb", "cc", "dd"], 1),
    item(["short", "much longer one", "mid size", "tiny"], 3),
    item(["abc", "abcdef", "abcdef", "a"], 1),
]


def test_length_figures_of_a_hand_made_set() -> None:
    report = hygiene_report(LENGTH_SET, {}, None)
    assert report.longest_score == pytest.approx((1 + 0.25 + 0 + 0.5) / 4)  # 0.4375
    assert report.shortest_score == pytest.approx((0 + 0.25 + 1 + 0) / 4)  # 0.3125
    assert report.chance_score == pytest.approx(0.25)
    # correct: 19 + 2 + 4 + 6 = 31 over 4; distractors: 3*1 + 3*2 + (5+15+8) + (3+6+1) = 47
    # over 12
    assert report.correct_length == pytest.approx(31 / 4)
    assert report.distractor_length == pytest.approx(47 / 12)
    assert report.length_ratio == pytest.approx((31 / 4) / (47 / 12))  # 1.98
    figures = {f.key: f for f in report.figures}
    # the longest guesser beats chance by 18.75 points (>= 10): a warning; the shortest by
    # 6.25: none; a ratio of 1.98 is outside 0.80-1.25: a warning
    assert figures["longest_option"].warning and not figures["shortest_option"].warning
    assert figures["longest_option"].value == (
        "picking the longest option scores 44% (blind guessing 25%)")
    assert figures["option_length"].warning
    assert figures["option_length"].value == "correct 8 chars, distractors 4 chars (ratio 1.98)"


def test_answer_letter_balance_is_a_chi_square_against_an_even_spread() -> None:
    # keys A, B, D, B: observed A1 B2 C0 D1, expected 1 each; chi2 = 0 + 1 + 1 + 0 = 2
    observed, expected, chi2, df, p = letter_balance(LENGTH_SET)
    assert observed == {"A": 1, "B": 2, "C": 0, "D": 1}
    assert expected == {"A": 1.0, "B": 1.0, "C": 1.0, "D": 1.0}
    assert (chi2, df) == (pytest.approx(2.0), 3)
    assert p == pytest.approx(chi2_sf_df3(2.0))  # 0.5724
    # five keys on A, one on each of B, C, D: expected 2 each; chi2 = (9 + 1 + 1 + 1) / 2 = 6
    skewed = [item(["w", "x", "y", "z"], k) for k in (0, 0, 0, 0, 0, 1, 2, 3)]
    _, _, chi2, _, p = letter_balance(skewed)
    assert chi2 == pytest.approx(6.0) and p == pytest.approx(chi2_sf_df3(6.0))  # 0.1116
    # twenty keys on A: expected 5 each; chi2 = (225 + 25 + 25 + 25) / 5 = 60
    all_a = [item(["w", "x", "y", "z"], 0)] * 20
    report = hygiene_report(all_a, {}, 0.05)
    assert report.chi_square == pytest.approx(60.0)
    assert report.balance_p == pytest.approx(chi2_sf_df3(60.0))
    letters = {f.key: f for f in report.figures}["answer_letters"]
    assert letters.warning and letters.value.startswith("A 20, B 0, C 0, D 0 (chi-square 60.00")
    assert not {f.key: f for f in hygiene_report(skewed, {}, 0.05).figures}[
        "answer_letters"].warning  # p = 0.11: not below 0.05


def test_items_with_fewer_options_expect_a_share_of_fewer_letters() -> None:
    # a 4-option item (key A) adds 1/4 to A-D, a 3-option item (key C) 1/3 to A-C:
    # expected A = B = C = 7/12, D = 1/4; observed A1 C1
    # chi2 = 2 * (5/12)^2 / (7/12) + 7/12 + 1/4 = 25/42 + 7/12 + 1/4 = 10/7
    observed, expected, chi2, df, _ = letter_balance(
        [item(["w", "x", "y", "z"], 0), item(["x", "y", "z"], 2)])
    assert observed == {"A": 1, "B": 0, "C": 1, "D": 0}
    assert expected == pytest.approx({"A": 7 / 12, "B": 7 / 12, "C": 7 / 12, "D": 0.25})
    assert chi2 == pytest.approx(10 / 7) and df == 3
    assert hygiene_report([item(["x", "y", "z"], 2)], {}, None).chance_score == pytest.approx(1 / 3)


def test_near_duplicates_flags_and_coverage() -> None:
    # {what, is, the, coupon, of, a, bond} against {what, is, the, coupon, of, bond}:
    # Jaccard 6/7 = 0.857 >= 0.8; the third question shares almost nothing
    items = [
        item(["1", "2", "3", "4"], 0, "What is the coupon of a bond?", 1, ["near-duplicate"], 10),
        item(["1", "2", "3", "4"], 1, "What is the coupon of the bond?", 1,
             ["near-duplicate", "disagreement"], 11),
        item(["1", "2", "3", "4"], 2, "Which organelle makes most of the ATP?", 2, [], 12),
        item(["1", "2", "3", "4"], 3, "What does a zero-coupon bond pay?", 1, [], 13),
        item(["1", "2", "3", "4"], 0, "What is 2 + 2?", None, [], 14),
    ]
    assert near_duplicate_pairs(items) == [(10, 11, pytest.approx(6 / 7))]
    report = hygiene_report(items, {1: "Bonds", 2: "Cells", 3: "Rates"}, 0.3)
    assert report.flags == {"disagreement": 1, "near-duplicate": 2}
    assert report.per_document == {"Bonds": 3, "Cells": 1, "(no document)": 1}
    assert report.uncovered_documents == ["Rates"]
    figures = {f.key: f for f in report.figures}
    assert figures["near_duplicates"].warning
    assert figures["flags"].value == "disagreement 1, near-duplicate 2"
    assert figures["coverage"].value == (
        "Bonds 3, Cells 1, (no document) 1; no question from 1 document(s): Rates")
    assert figures["coverage"].warning
    assert figures["detectable_difference"].value == "30.0 points"
    assert figures["detectable_difference"].warning  # above 10 points
    assert all(f.meaning and f.advice for f in report.figures)


def test_a_clean_set_has_no_warnings() -> None:
    # 20 items, keys A, B, C, D five times each; every option 5 letters; two documents,
    # both covered; distinct questions; a detectable difference under 10 points
    # any two questions share 'why', 'does', 'follow' of 7 words: similarity 3/7
    items = [item(["red a", "red b", "red c", "red d"], i % 4,
                  f"Why does term{i} follow rule{i}?", 1 + i % 2) for i in range(20)]
    report = hygiene_report(items, {1: "One", 2: "Two"}, 0.08)
    assert report.chi_square == 0.0 and report.balance_p == pytest.approx(1.0)
    assert report.longest_score == pytest.approx(0.25) == report.chance_score
    assert report.length_ratio == 1.0 and report.near_duplicate_pairs == []
    assert report.warnings == []
    assert report.summary() == "Hygiene: no warnings on 20 test questions."


# -- through the store and the CLI ---------------------------------------------------------------

def _exam(store: Store, project: Project) -> None:
    """Two documents, one of them without questions; eight approved questions whose keys
    are all A and are the longest option."""
    text = "Bonds are loans. The coupon is the interest."
    doc = store.add_document(project.id, NewDocument(
        path="bonds.md", title="Bonds", content_hash="h1", encoding="utf-8",
        size_bytes=len(text), text=text), [ChunkSpan(0, 0, len(text), text)])
    store.add_document(project.id, NewDocument(
        path="rates.md", title="Rates", content_hash="h2", encoding="utf-8", size_bytes=5,
        text="Rates"), [ChunkSpan(0, 0, 5, "Rates")])
    assert doc is not None
    topics = ["coupon", "issuer", "maturity", "face value", "yield", "price", "rating", "term"]
    store.add_questions([NewQuestion(
        project_id=project.id, question=f"What does the passage say about the {t}?",
        options=[f"The {t} of a bond, as stated", "No", "Yes", "Both"], answer_index=0,
        status="approved", document_id=doc.id, flags=["disagreement"] if i == 0 else [])
        for i, t in enumerate(topics)])


def test_the_report_of_a_snapshot(store: Store, project: Project) -> None:
    _exam(store, project)
    snap = build_snapshot(store, project).snapshot
    report = snapshot_hygiene(store, snap.id)
    assert report.questions == 8
    assert report.letter_counts == {"A": 8, "B": 0, "C": 0, "D": 0}
    assert report.chi_square == pytest.approx(24.0)  # (36 + 4 + 4 + 4) / 2
    assert report.longest_score == 1.0 and report.flags == {"disagreement": 1}
    assert report.per_document == {"Bonds": 8} and report.uncovered_documents == ["Rates"]
    assert report.detectable_difference == detectable_difference(8)
    assert {f.key for f in report.warnings} == {
        "answer_letters", "longest_option", "option_length", "flags", "coverage",
        "detectable_difference"}


def test_dataset_build_and_hygiene_cli(cli, store: Store) -> None:  # type: ignore[no-untyped-def]
    project = store.create_project("exam")
    _exam(store, project)
    out = cli("dataset", "build", "--project", "exam")
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[2].startswith("Hygiene: 6 warning(s): Answer letters: A 8, B 0, C 0, D 0")
    snap_id = lines[0].split("snapshot ")[1].split(":")[0]
    assert lines[3] == (f"  What each means and what to do: workbench dataset hygiene "
                        f"--snapshot {snap_id}")

    data = json.loads(cli("dataset", "build", "--project", "exam", "--json").stdout)
    assert data["id"] == snap_id and data["created"] is False
    assert data["hygiene"]["letter_counts"] == {"A": 8, "B": 0, "C": 0, "D": 0}
    assert data["hygiene"]["warnings"] == [
        "answer_letters", "longest_option", "option_length", "flags", "coverage",
        "detectable_difference"]

    text = cli("dataset", "hygiene", "--snapshot", snap_id[:8])
    assert text.returncode == 0, text.stderr
    assert "! Longest option: picking the longest option scores 100% (blind guessing 25%)" in (
        text.stdout)
    assert "  Near-duplicate pairs: 0 pair(s)" in text.stdout
    assert text.stdout.count("    To do: ") == 6 and text.stdout.count("    Means: ") == 8
    as_json = json.loads(cli("dataset", "hygiene", "--snapshot", snap_id, "--json").stdout)
    assert as_json["snapshot"] == snap_id and as_json["questions"] == 8
    missing = cli("dataset", "hygiene", "--snapshot", "nosuchsnapshot")
    assert missing.returncode != 0 and "nosuchsnapshot" in (missing.stdout + missing.stderr)


async def test_the_evaluate_screen_notice_carries_the_hygiene_summary(
    settings, store: Store, project: Project  # type: ignore[no-untyped-def]
) -> None:
    from screens.app import WorkbenchApp

    _exam(store, project)
    app = WorkbenchApp(settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        app.open_project_screen("evaluate", project)
        await pilot.pause()
        await pilot.press("ctrl+b")
        await pilot.pause()
        (snap,) = store.snapshots(project.id)
        notes = [n for n in app._notifications if f"snapshot {snap.id}" in n.message]
        assert len(notes) == 1 and notes[0].severity == "warning"
        assert snapshot_hygiene(store, snap.id).summary() in notes[0].message
        assert notes[0].message.endswith(f"Details: workbench dataset hygiene --snapshot {snap.id}")
