"""Generative runs: the replies are stored per sample, and the number with no answer read
from them ("unparsed") is shown beside the accuracy on the leaderboard, in Compare and by
'eval list' / 'eval show --json'. Statistics use the per-sample correctness unchanged."""

from __future__ import annotations

import json

from store import Store
from store.records import Project, SampleResult, Score
from tests.leaderboard.synthetic_runs import DEFAULT_SETTINGS, add_run, make_questions
from workbench.evaluation.answer_extraction import extract_choice
from workbench.results import compare as cmp
from workbench.results import leaderboard as lb

OPTIONS = ["right", "wrong a", "wrong b", "wrong c"]
GENERATIVE = {**DEFAULT_SETTINGS, "formulation": "generative", "temperature": 0.0,
              "max_new_tokens": 32, "reasoning": False}
# Six replies: A is the key. Two give no answer at all.
REPLIES = ["A", "The answer is B.", "(A) right", "I am not sure.", "right", "Question: why?"]


def add_generative_run(store: Store, project: Project, model: str, qids: list[int]) -> int:
    run = store.create_eval_run(project.id, model, "project:generative", GENERATIVE,
                                config_hash=f"{model}/generative")
    samples = []
    for i, reply in enumerate(REPLIES):
        pred = extract_choice(reply, OPTIONS)
        samples.append(SampleResult(
            sample_index=i, correct=float(pred == 0), gold_index=0, prediction_index=pred,
            question_id=qids[i], cluster=f"p{i // 2}", reply=reply,
            metrics={"acc": float(pred == 0), "unparsed": float(pred is None)}))
    acc = sum(s.correct for s in samples) / len(samples)
    store.complete_eval_run(run.id, {"acc": Score("acc", acc, None)}, samples, {})
    return run.id


def test_replies_are_stored_and_unparsed_counted(store: Store, project: Project) -> None:
    qids = make_questions(store, project, len(REPLIES))
    gen = add_generative_run(store, project, "chat-model", qids)
    ll = add_run(store, project, "chat-model", "project:mcf", [1, 0, 1, 1, 0, 1], qids)
    samples = store.sample_results(gen)
    assert [s.reply for s in samples] == REPLIES
    # by hand: A, B, A, -, A (option text "right"), - ("why" names no option)
    assert [s.prediction_index for s in samples] == [0, 1, 0, None, 0, None]
    assert [s.unparsed for s in samples] == [False, False, False, True, False, True]
    assert store.unparsed_counts([gen, ll]) == {gen: 2}  # a log-likelihood run has none
    assert all(s.reply is None for s in store.sample_results(ll))


def test_leaderboard_and_compare_show_the_unparsed_count(store: Store, project: Project) -> None:
    qids = make_questions(store, project, len(REPLIES))
    add_generative_run(store, project, "chat-model", qids)
    add_run(store, project, "other", "project:generative", [1, 1, 1, 1, 0, 0], qids,
            settings=GENERATIVE)
    board = lb.build_leaderboard(lb.load_leaderboard_data(store, project))
    cell = board.cell("chat-model", "project:generative")
    assert cell is not None and cell.scores.unparsed == 2
    assert cell.accuracy.value == 3 / 6  # unparsed replies are scored wrong
    assert lb.cell_text(cell).endswith(" ?2")
    other = board.cell("other", "project:generative")
    assert other is not None and other.scores.unparsed is None  # it stored no replies
    assert "?" not in lb.cell_text(other)
    row = next(r for r in lb.to_json(board)["rows"] if r["model"] == "chat-model")
    assert row["cells"]["project:generative"]["unparsed"] == 2
    lines = lb.detail_lines(board, "chat-model", "project:generative")
    assert "2 of 6 written replies unparsed (no answer read from them; scored wrong)" in lines

    result = cmp.compare_models(store, project, "chat-model", "other")
    [tc] = result.tasks
    assert (tc.a.unparsed, tc.b.unparsed) == (2, None)
    # the paired statistics use per-sample correctness: 3 right vs 4 right, 1 + 2 discordant
    assert tc.paired is not None and (tc.paired.only_a, tc.paired.only_b) == (1, 2)
    assert cmp.task_json(tc)["unparsed_a"] == 2
    outcomes = cmp.question_outcomes(result, "project:generative")
    assert [o.a.reply for o in outcomes] == REPLIES


def test_eval_list_and_show_report_unparsed(cli, store: Store, project: Project) -> None:
    qids = make_questions(store, project, len(REPLIES))
    gen = add_generative_run(store, project, "chat-model", qids)
    out = cli("eval", "list", "--project", project.name, "--json")
    assert out.returncode == 0, out.stderr
    [run] = json.loads(out.stdout)
    assert (run["id"], run["unparsed"]) == (gen, 2)
    text = cli("eval", "list", "--project", project.name)
    assert "generative (2 unparsed)" in text.stdout
    shown = json.loads(cli("eval", "show", str(gen), "--json", "--samples").stdout)
    assert shown["unparsed"] == 2
    assert [s["reply"] for s in shown["samples"]] == REPLIES


async def test_compare_screen_shows_unparsed_and_the_replies(settings, store: Store,
                                                              project: Project) -> None:
    from textual.widgets import DataTable

    from screens.app import WorkbenchApp
    from screens.modals.question_compare import QuestionCompareModal

    qids = make_questions(store, project, len(REPLIES))
    add_generative_run(store, project, "chat-model", qids)
    add_run(store, project, "other", "project:generative", [1, 1, 1, 1, 0, 0], qids,
            settings=GENERATIVE)
    app = WorkbenchApp(settings)
    async with app.run_test(size=(100, 30)) as pilot:
        app.open_project_screen("compare", project, model_a="chat-model", model_b="other")
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        screen = app.screen
        tasks = screen.query_one("#cmp-tasks", DataTable)
        cell = str(tasks.get_cell_at((0, 1)))  # A: 3 of 6 right, 2 unparsed
        assert cell.startswith("50.0±") and cell.endswith(" ?2")
        summary = str(screen.query_one("#cmp-summary").render())
        assert "Unparsed replies (no answer read; scored wrong): A 2 · B -" in summary
        questions = screen.query_one("#cmp-questions", DataTable)
        questions.focus()
        for _ in range(3):  # sample 3: "I am not sure."
            await pilot.press("down")
        await pilot.press("enter")
        await pilot.pause()
        modal = app.screen
        assert isinstance(modal, QuestionCompareModal)
        assert modal.detail.outcome.a.reply == "I am not sure."
        replies = str(modal.query_one("#qc-replies").render())
        assert "A wrote (unparsed: no answer read):" in replies and "I am not sure." in replies
