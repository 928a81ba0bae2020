"""The leaderboard built from synthetic runs with known per-sample outcomes."""

from __future__ import annotations

import csv
import io
import json
import math

import pytest
import scipy.stats
from synthetic_runs import DEFAULT_SETTINGS, add_run, make_snapshot

from workbench.errors import InvalidInput, WorkbenchError
from workbench.results import leaderboard as lb


def _ones(k: int, n: int) -> list[int]:
    """k right answers out of n, the right ones first."""
    return [1] * k + [0] * (n - k)


@pytest.fixture
def board_store(store, project, questions):
    """Three models on two tasks of 40 questions; 'big' clearly leads on 'facts'."""
    qs = questions
    clusters = [f"p{i // 4}" for i in range(40)]
    add_run(store, project, "big", "facts", _ones(36, 40), qs, clusters)
    add_run(store, project, "mid", "facts", _ones(34, 40), qs, clusters)
    add_run(store, project, "small", "facts", _ones(12, 40), qs, clusters)
    add_run(store, project, "big", "reasoning", _ones(20, 40), qs, clusters)
    add_run(store, project, "mid", "reasoning", _ones(24, 40), qs, clusters)
    add_run(store, project, "small", "reasoning", _ones(10, 40), qs, clusters)
    return store


def test_cells_hold_our_own_statistics(board_store, project):
    data = lb.load_leaderboard_data(board_store, project)
    board = lb.build_leaderboard(data)
    cell = board.cell("mid", "facts")
    # By hand: 34 of 40 right, the first 34. Passages of four: eight all right (residual
    # sums 4 - 3.4 = 0.6), one with two (-1.4), one with none (-3.4): squares 2.88 + 1.96 +
    # 11.56 = 16.4; clustered variance 16.4 / 40^2 * 10/9 (CR1); i.i.d. .85 * .15 / 39.
    assert cell.accuracy.value == pytest.approx(0.85)
    assert cell.accuracy.n == 40 and cell.accuracy.clusters == 10
    assert cell.accuracy.stderr == pytest.approx(math.sqrt(0.85 * 0.15 / 39))
    assert cell.accuracy.clustered_stderr == pytest.approx(math.sqrt(16.4 / 1600 * 10 / 9))
    assert board.tasks == ["facts", "reasoning"]


def test_average_pools_errors_and_sorting(board_store, project):
    data = lb.load_leaderboard_data(board_store, project)
    board = lb.build_leaderboard(data)
    assert [r.model for r in board.rows] == ["mid", "big", "small"]  # by average, best first
    mid = board.rows[0]
    facts, reasoning = mid.cells["facts"].accuracy, mid.cells["reasoning"].accuracy
    assert mid.average.value == pytest.approx((0.85 + 0.6) / 2)
    # no snapshot shared, so the tasks are independent: sqrt(se1^2 + se2^2) / 2
    assert mid.average.stderr == pytest.approx(
        math.sqrt(facts.best_stderr**2 + reasoning.best_stderr**2) / 2)
    assert mid.average.stderr != pytest.approx((facts.best_stderr + reasoning.best_stderr) / 2)

    by_facts = lb.build_leaderboard(data, sort_by="facts")
    assert [r.model for r in by_facts.rows] == ["big", "mid", "small"]
    ascending = lb.build_leaderboard(data, sort_by="facts", descending=False)
    assert [r.model for r in ascending.rows] == ["small", "mid", "big"]
    by_name = lb.build_leaderboard(data, sort_by="model")
    assert [r.model for r in by_name.rows] == ["big", "mid", "small"]
    with pytest.raises(InvalidInput, match="no column"):
        lb.build_leaderboard(data, sort_by="nope")


def test_best_and_tied_marks(board_store, project):
    board = lb.build_leaderboard(lb.load_leaderboard_data(board_store, project))
    big, mid, small = (board.cell(m, "facts") for m in ("big", "mid", "small"))
    assert big.best and big.leader and big.tied_with_leader is None
    assert not mid.best and mid.tied_with_leader is True  # 36 vs 34 of 40: not significant
    assert small.tied_with_leader is False  # 36 vs 12: clearly worse
    # By hand, both clustered z-tests (passages of four, CR1 10/9). big - small: +1 on
    # questions 12-35, mean 0.6; residual sums -2.4 (x4) and 1.6 (x6): squares 38.4,
    # variance 38.4 / 1600 * 10/9 = 0.08/3, z = 0.6 / sqrt(0.08/3) = sqrt(13.5).
    # big - mid: +1 on 34, 35, mean 0.05; residual sums 1.8 and -0.2 (x9): squares 3.6,
    # variance 3.6 / 1600 * 10/9 = 0.0025, z = 1. Holm over the column's two tests: the
    # smaller raw p is doubled, the larger stays (it is above the doubled one).
    raw_small = 2 * scipy.stats.norm.sf(math.sqrt(13.5))
    assert small.p_vs_leader == pytest.approx(2 * raw_small)
    assert mid.p_vs_leader == pytest.approx(2 * scipy.stats.norm.sf(1.0))
    rows = {r.model: r for r in board.rows}
    assert rows["mid"].leader and rows["big"].tied_with_leader is True
    assert rows["small"].tied_with_leader is False
    assert board.comparisons == 2
    assert "Holm" in board.note


def test_filters_recompute_leaders(board_store, project):
    data = lb.load_leaderboard_data(board_store, project)
    board = lb.build_leaderboard(data, model_filter="m", task_filter="fact")
    assert [r.model for r in board.rows] == ["mid", "small"]
    assert board.tasks == ["facts"]
    assert board.cell("mid", "facts").leader
    assert lb.parse_filter("llama task:med") == ("llama", "med")
    assert lb.parse_filter("") == (None, None)
    empty = lb.build_leaderboard(data, model_filter="zzz")
    assert empty.rows == [] and empty.note is None


def test_stale_cells_and_history(store, project, questions):
    old = make_snapshot(store, project, questions[:20], "old")
    add_run(store, project, "m", "exam", _ones(10, 20), questions[:20], snapshot_id=old)
    add_run(store, project, "other", "exam", _ones(15, 20), questions[:20], snapshot_id=old)
    new = make_snapshot(store, project, questions[:30], "new")
    add_run(store, project, "m", "exam", _ones(24, 30), questions[:30], snapshot_id=new)
    data = lb.load_leaderboard_data(store, project)
    assert data.latest_snapshot == new
    board = lb.build_leaderboard(data)
    assert not board.cell("m", "exam").stale
    assert board.cell("m", "exam").accuracy.value == pytest.approx(0.8)
    assert board.cell("other", "exam").stale
    assert "†" in lb.cell_text(board.cell("other", "exam"))
    history = lb.cell_history(store, data, "m", "exam")
    assert [h.run.snapshot_id for h in history] == [old, new]
    assert [h.accuracy.value for h in history] == pytest.approx([0.5, 0.8])
    assert [h.stale for h in history] == [True, False]
    assert history[0].snapshot_created_at is not None


def test_tasks_on_one_snapshot_are_pooled_with_their_covariance(store, project, questions):
    snap = make_snapshot(store, project, questions[:20], "s")
    outcomes = [1, 0] * 10
    add_run(store, project, "m", "exam-mcf", outcomes, questions[:20], snapshot_id=snap)
    add_run(store, project, "m", "exam-cloze", outcomes, questions[:20], snapshot_id=snap)
    row = lb.build_leaderboard(lb.load_leaderboard_data(store, project)).rows[0]
    # the same outcomes twice: averaging them gives no extra precision. By hand: sample
    # variance of ten 1s and ten 0s is 0.25 * 20/19 = 5/19, over 20 questions: 1/76.
    assert row.average.stderr == pytest.approx(math.sqrt(1 / 76))


def test_both_formulations_on_one_snapshot_keep_the_clustered_error(store, project, questions):
    # The default evaluation: two formulations of one snapshot, here with equal outcomes.
    # Passages of two questions, both right or both wrong, alternately: mean 0.5, cluster
    # residual sums +1 and -1 ten times: 10 / 20^2 * 10/9 (CR1) = 1/36, clustered SE 1/6
    # (i.i.d. sqrt(1/76) = 0.115). The average of the two must keep 1/6; adding the clustered
    # variances to unclustered covariances gave sqrt((1/36 + 1/76) / 2) = 0.143.
    snap = make_snapshot(store, project, questions[:20], "s")
    outcomes = [1, 1, 0, 0] * 5
    clusters = [f"p{i // 2}" for i in range(20)]
    for task in ("exam-mcf", "exam-cloze"):
        add_run(store, project, "m", task, outcomes, questions[:20], clusters, snapshot_id=snap)
    board = lb.build_leaderboard(lb.load_leaderboard_data(store, project))
    row = board.rows[0]
    assert row.cells["exam-mcf"].accuracy.clustered_stderr == pytest.approx(1 / 6)
    assert row.average.stderr == pytest.approx(1 / 6)
    assert row.average.clusters == 10


def test_settings_shown_and_mixed_settings_flagged(store, project, questions):
    add_run(store, project, "a", "t", _ones(30, 40), questions)
    add_run(store, project, "b", "t", _ones(28, 40), questions,
            settings={**DEFAULT_SETTINGS, "chat_template": True})
    board = lb.build_leaderboard(lb.load_leaderboard_data(store, project))
    assert board.mixed_settings == {"t": ["chat_template"]}
    assert board.cell("b", "t").settings_differ == ("chat_template",)
    assert "!" in lb.cell_text(board.cell("b", "t"))
    assert "chat_template=True" in lb.settings_summary(board.cell("b", "t").run.settings)


def test_exports(board_store, project):
    board = lb.build_leaderboard(lb.load_leaderboard_data(board_store, project))
    md = lb.to_markdown(board)
    assert md.splitlines()[0] == "| Model | Average | facts | reasoning |"
    assert "**90.0±" in md  # big's 36/40 is the best in facts
    assert board.note in md

    rows = list(csv.DictReader(io.StringIO(lb.to_csv(board))))
    facts_big = next(r for r in rows if r["model"] == "big" and r["task"] == "facts")
    cell = board.cell("big", "facts")
    assert float(facts_big["accuracy"]) == pytest.approx(0.9)
    assert float(facts_big["clustered_stderr"]) == pytest.approx(cell.accuracy.clustered_stderr)
    assert float(facts_big["ci_low"]) == pytest.approx(cell.accuracy.interval[0])
    assert json.loads(facts_big["settings"]) == DEFAULT_SETTINGS
    assert {r["task"] for r in rows} == {"average", "facts", "reasoning"}

    data = lb.to_json(board)
    json.dumps(data)  # serialisable
    small = next(r for r in data["rows"] if r["model"] == "small")
    assert small["tied_with_leader"] is False
    c = small["cells"]["facts"]
    assert c["accuracy"] == pytest.approx(0.3) and c["n"] == 40
    assert set(c) >= {"accuracy", "stderr", "clustered_stderr", "interval", "n", "settings"}


def test_verdict_wording_carries_the_test_and_its_interval(board_store, project):
    board = lb.build_leaderboard(lb.load_leaderboard_data(board_store, project))
    mid, small = board.cell("mid", "facts"), board.cell("small", "facts")
    # Worked out in test_best_and_tied_marks: big - mid = 0.05 with clustered SE 0.05
    # (z = 1, p = 0.3173 raw and after Holm); big - small = 0.6 with SE sqrt(0.08/3)
    # (p = 2.386e-4 raw, Holm doubles it to 4.771e-4). Intervals 0.05 -+ 1.96 * 0.05 =
    # [-4.8, 14.8] points and 0.6 -+ 1.96 * 0.1633 = [28.0, 92.0] points.
    assert lb.verdict_text(mid.tied_with_leader, mid.p_vs_leader, mid.vs_leader, 2) == (
        "tied with the leader (Holm p=0.317 over 2 tests; this pair alone p=0.317): "
        "leader +5.0 points, 95% CI [-4.8, 14.8], clustered z-test")
    assert lb.verdict_text(small.tied_with_leader, small.p_vs_leader, small.vs_leader, 2) == (
        "below the leader (Holm p=0.000477 over 2 tests; this pair alone p=0.000239): "
        "leader +60.0 points, 95% CI [28.0, 92.0], clustered z-test")
    assert board.comparisons_in("facts") == 2
    lines = lb.detail_lines(board, "mid", "facts")
    # i.i.d. SE sqrt(.85 * .15 / 39) = 5.7 points, the clustered one wider (see above)
    assert lines[0].startswith("mid on facts: 85.0% of 40 from 10 source passages, 95% CI")
    assert lines[0].endswith("; clustering widened it from ±5.7")
    assert lines[1].startswith("tied with the leader (Holm p=0.317")
    assert any(line.startswith("⚠ Few source passages on facts (10), reasoning (10)")
               for line in lines)
    assert board.clusters_text() == "10 source passages per task"
    average = lb.detail_lines(board, "small", lb.AVERAGE)[0]
    # runs without a snapshot are independent tasks: their 10 + 10 clusters stand apart
    assert "over 20 source passages" in average and "below the leader" in average


def test_export_text_and_files(board_store, project, tmp_path):
    board = lb.build_leaderboard(lb.load_leaderboard_data(board_store, project))
    assert lb.export_text(board, "md") == lb.to_markdown(board)
    assert "Clustered errors rest on 10 source passages per task." in lb.to_markdown(board)
    assert json.loads(lb.export_text(board, "json")) == json.loads(json.dumps(lb.to_json(board)))
    with pytest.raises(InvalidInput, match="Unknown export format"):
        lb.export_text(board, "xls")
    path = lb.write_export(board, "csv", tmp_path / "out", "20260101-000000")
    assert path.name == f"leaderboard-{project.name}-20260101-000000.csv"
    assert path.read_text(encoding="utf-8") == lb.to_csv(board)
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    with pytest.raises(WorkbenchError, match="Could not write"):
        lb.write_export(board, "md", blocker, "x")


def test_rich_table_renders(board_store, project):
    from rich.console import Console

    board = lb.build_leaderboard(lb.load_leaderboard_data(board_store, project))
    console = Console(file=io.StringIO(), width=120)
    console.print(lb.to_rich_table(board))
    text = console.file.getvalue()
    assert "90.0±" in text and "small" in text


def test_document_clustering_reads_the_question_source(store, project):
    from store.records import ChunkSpan, NewDocument, NewQuestion

    doc_ids, q_ids = [], []
    for d in range(3):
        text = f"document {d} " * 20
        doc = store.add_document(project.id, NewDocument(
            path=f"d{d}.txt", title=f"d{d}", content_hash=f"h{d}", encoding="utf-8",
            size_bytes=len(text), text=text), [ChunkSpan(0, 0, 10, text[:10]),
                                               ChunkSpan(1, 10, 20, text[10:20])])
        chunks = store.document_chunks(doc.id)
        doc_ids.append(doc.id)
        q_ids += store.add_questions([
            NewQuestion(project_id=project.id, question=f"q{d}-{i}", options=["a", "b"],
                        answer_index=0, status="approved", document_id=doc.id,
                        chunk_id=chunks[i % 2].id) for i in range(4)])
    add_run(store, project, "m", "t", [1, 1, 1, 1, 0, 0, 0, 0, 1, 0, 1, 0], q_ids)
    by_passage = store.samples_for_runs([1])[1]
    by_doc = store.samples_for_runs([1], cluster_by="document")[1]
    assert len({s.cluster for s in by_passage}) == 6
    assert len({s.cluster for s in by_doc}) == 3
    doc_board = lb.build_leaderboard(lb.load_leaderboard_data(store, project, "document"))
    assert doc_board.cell("m", "t").accuracy.clusters == 3
    with pytest.raises(InvalidInput, match="Unknown clustering"):
        store.samples_for_runs([1], cluster_by="page")


def test_averages_over_formulations_are_warned_about(store, project, questions):
    """Letters and a written answer on the same questions: the averages (and their marks)
    mix formulations; the warning comes first, and goes when the filter keeps one."""
    add_run(store, project, "a", "project:mcf", _ones(30, 40), questions)
    add_run(store, project, "b", "project:mcf", _ones(20, 40), questions)
    for model, right, reasoning in (("a", 25, False), ("b", 26, True)):
        add_run(store, project, model, "project:generative" + ("-reasoning" if reasoning else ""),
                _ones(right, 40), questions,
                settings={**DEFAULT_SETTINGS, "formulation": "generative",
                          "reasoning": reasoning})
    data = lb.load_leaderboard_data(store, project)
    board = lb.build_leaderboard(data)
    [line] = board.formulation_warnings()
    assert line.startswith(
        "The averages mix formulations (generative, generative-reasoning, mcf)")
    assert board.warnings()[0] == line and lb.to_json(board)["warnings"][0] == line
    assert f"⚠ {line}" in lb.detail_lines(board, "a", lb.AVERAGE)
    assert lb.build_leaderboard(data, task_filter="mcf").formulation_warnings() == []
    two = lb.build_leaderboard(data, task_filter="generative")
    assert two.formulation_warnings()[0].startswith(
        "The averages mix formulations (generative, generative-reasoning)")
