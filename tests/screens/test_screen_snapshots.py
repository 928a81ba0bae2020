"""Every screen of the demo project at 80x24, as SVG snapshots (pytest-textual-snapshot), and
each dashboard key opening its own screen.

The snapshots live in tests/screens/__snapshots__/. After a deliberate layout change, look
at the new pictures and accept them with
``pytest tests/screens/test_screen_snapshots.py --snapshot-update``; a failing run writes a
side-by-side report (snapshot_report.html) to look at.

Each snapshot starts from a fresh store (so the demo project is the same every time), with
the machine-specific parts of the settings fixed: no Argilla server, no vLLM, no endpoint,
the store path in the header replaced by a fixed word, the demo corpus folder in a
document's path by ``<demo corpus>``, and text cursors made steady (a blinking one is drawn
or not depending on the moment). Nothing in these screens shows a clock, a job id or a
timing.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any

import pytest
from textual.widgets import Static

from screens.app import WorkbenchApp, open_app_store
from screens.navigation import PROJECT_SCREENS
from store.records import SampleResult, Score
from workbench.demo import corpus_dir
from workbench.settings import Settings
from workbench.snapshots import build_snapshot

SIZE = (80, 24)


def _app(settings: Settings) -> WorkbenchApp:
    fixed = replace(settings, argilla_api_url=None, argilla_api_key=None,
                    argilla_workspace=None, vllm_command=None, openai_base_url=None)
    return WorkbenchApp(fixed)


def _keys_then_settle(app: WorkbenchApp, keys: list[str],
                      until: Any) -> Callable[[Any], Awaitable[None]]:
    async def run_before(pilot: Any) -> None:
        # The job watcher's first look reaches the screen once; with no job running it
        # posts nothing more, so the picture does not depend on when that look lands.
        await until(pilot, lambda: app.jobs_seen is not None, "the job watcher's first look")
        app.sub_title = "workbench.db"  # the store's path differs from run to run
        for key in keys:
            await pilot.press(key)
            await pilot.pause()
            await app.workers.wait_for_complete()  # e.g. the leaderboard's data, then a key
            await pilot.pause()
        _hide_checkout_path(app)
        for screen in app.screen_stack:  # a blinking cursor is drawn on or off by the clock
            for field in screen.query("Input, TextArea"):
                field.cursor_blink = False  # type: ignore[attr-defined]
        await pilot.pause()

    return run_before


def _hide_checkout_path(app: WorkbenchApp) -> None:
    """The demo documents are stored with their absolute path, which differs between
    checkouts: show it relative to the demo corpus folder instead."""
    folder = str(corpus_dir())
    for static in app.screen.query(Static):
        shown = static.content
        if isinstance(shown, str) and folder in shown:
            static.update(shown.replace(folder, "<demo corpus>"))


# name -> keys pressed from the Projects screen of a fresh store (the demo project)
SCREENS: dict[str, list[str]] = {
    "projects": [],
    "new_project_dialog": ["n"],
    "delete_project_confirm": ["x"],
    "error_modal": ["n", "d", "e", "m", "o", "enter"],  # the name is taken
    "dashboard": ["enter"],
    "help": ["enter", "question_mark"],
    "documents": ["enter", "d"],
    "document_view": ["enter", "d", "enter"],
    "import_dialog": ["enter", "d", "i"],
    "generate": ["enter", "g"],
    "review": ["enter", "r"],
    "review_discard_reasons": ["enter", "r", "x"],
    "review_edit": ["enter", "r", "e"],
    "argilla": ["enter", "a"],
    "evaluate": ["enter", "e"],
    "leaderboard": ["enter", "l"],
    "compare": ["enter", "c"],
    "jobs": ["enter", "j"],
}


@pytest.mark.parametrize("name", list(SCREENS))
def test_screen_snapshot(name: str, snap_compare: Any, settings: Settings, until: Any) -> None:
    app = _app(settings)
    assert snap_compare(app, terminal_size=SIZE,
                        run_before=_keys_then_settle(app, SCREENS[name], until))


# Two finished runs on the demo project's snapshot, one outcome per frozen question in
# position order (1 right, 0 wrong), chosen by hand: 12 of 17 and 8 of 17 right.
RUNS: dict[str, list[int]] = {
    "smollm2-135m": [1, 1, 0, 1, 1, 1, 0, 1, 1, 0, 1, 1, 1, 0, 1, 1, 0],
    "smollm2-135m-chat": [1, 0, 0, 1, 0, 1, 0, 1, 1, 0, 0, 1, 0, 0, 1, 1, 0],
}
RUN_SETTINGS = {"formulation": "mcf", "fewshot": 0, "seed": 0, "limit": None,
                "override_chat_template": False, "system_prompt": None, "dtype": "float32",
                "backend": "transformers", "batch_size": 8}

# name -> keys pressed from the Projects screen, on the demo project with RUNS
WITH_RUNS: dict[str, list[str]] = {
    "evaluate_with_runs": ["enter", "e"],
    "leaderboard_with_runs": ["enter", "l"],
    "compare_with_runs": ["enter", "l", "down", "c"],  # the leader against the other
}


def _add_demo_runs(settings: Settings) -> None:
    """The fresh store's demo project (made as the app makes it), a snapshot of its approved
    questions, and RUNS on it, through the store's API."""
    store = open_app_store(settings)
    try:
        project = store.project("demo")
        snapshot = build_snapshot(store, project).snapshot
        items = store.snapshot_items(snapshot.id, "test")
        for model, outcomes in RUNS.items():
            assert len(outcomes) == len(items)
            run = store.create_eval_run(project.id, model, "project:mcf", RUN_SETTINGS,
                                        config_hash=f"{model}/demo", snapshot_id=snapshot.id)
            samples = []
            for i, (item, right) in enumerate(zip(items, outcomes, strict=True)):
                gold = item.payload["answer_index"]
                chosen = gold if right else (gold + 1) % len(item.payload["options"])
                samples.append(SampleResult(
                    sample_index=i, correct=float(right), gold_index=gold,
                    prediction_index=chosen, question_id=item.question_id,
                    cluster=item.payload.get("cluster"),
                    logprobs=[-0.5 if j == chosen else -2.0 - j
                              for j in range(len(item.payload["options"]))],
                    metrics={"acc": float(right)}))
            score = Score("acc", sum(outcomes) / len(outcomes), None)
            store.complete_eval_run(run.id, {"acc": score}, samples, {})
    finally:
        store.close()


@pytest.mark.parametrize("name", list(WITH_RUNS))
def test_screen_snapshot_with_runs(name: str, snap_compare: Any, settings: Settings,
                                   until: Any) -> None:
    _add_demo_runs(settings)
    app = _app(settings)
    assert snap_compare(app, terminal_size=SIZE,
                        run_before=_keys_then_settle(app, WITH_RUNS[name], until))


async def test_each_dashboard_key_opens_its_screen(settings: Settings) -> None:
    app = _app(settings)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("enter")
        dashboard = app.screen
        assert type(dashboard).__name__ == "DashboardScreen"
        for name, (_module, class_name, key, _title) in PROJECT_SCREENS.items():
            await pilot.press(key)
            await pilot.pause()
            assert type(app.screen).__name__ == class_name, f"key {key!r} should open {name}"
            assert app.screen.project.name == "demo"  # type: ignore[attr-defined]
            await pilot.press("escape")
            await pilot.pause()
            assert app.screen is dashboard, f"escape from {name} should return to the dashboard"
