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

from screens.app import WorkbenchApp
from screens.navigation import PROJECT_SCREENS
from workbench.demo import corpus_dir
from workbench.settings import Settings

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
        await app.workers.wait_for_complete()
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
