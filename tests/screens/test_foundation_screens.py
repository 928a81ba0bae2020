"""Projects, dashboard and documents screens driven with real keys.

The layout at 80x24 and the dashboard's keys are checked in test_screen_snapshots.py."""

from screens.app import WorkbenchApp
from screens.dashboard import DashboardScreen
from screens.documents import DocumentsScreen, DocumentViewScreen
from screens.modals.error_modal import ErrorModal
from screens.modals.help import HelpScreen
from screens.projects import ProjectsScreen
from workbench.demo import corpus_dir


async def _type(pilot, text: str) -> None:
    for ch in text:
        await pilot.press(ch if ch != " " else "space")


async def test_first_start_on_a_fresh_store_shows_the_demo_project(settings):
    assert not settings.store_path.exists()
    app = WorkbenchApp(settings)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, ProjectsScreen)
        assert [p.name for p in app.store.list_projects()] == ["demo"]
        await pilot.press("enter")
        assert isinstance(app.screen, DashboardScreen)
        counts = str(app.screen.query_one("#counts").render())
        assert "24" in counts and "approved 17" in counts


async def test_create_rename_delete_a_project_with_keys(settings, store):
    app = WorkbenchApp(settings)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("n")
        await _type(pilot, "finance")
        await pilot.press("enter")
        assert [p.name for p in store.list_projects()] == ["finance"]
        await pilot.press("n")
        await _type(pilot, "finance")
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ErrorModal)
        assert "already exists" in app.screen.error_title
        await pilot.press("escape")
        await pilot.press("r")
        for _ in range(10):
            await pilot.press("backspace")
        await _type(pilot, "fin")
        await pilot.press("enter")
        assert [p.name for p in store.list_projects()] == ["fin"]
        await pilot.press("x")
        await pilot.press("n")  # cancel keeps it
        assert [p.name for p in store.list_projects()] == ["fin"]
        await pilot.press("x")
        await pilot.press("y")
        assert store.list_projects() == []


async def test_documents_import_view_and_help(settings, store, tmp_path):
    project = store.create_project("docs")
    (tmp_path / "bin.txt").write_bytes(b"\x00\x01\x02")
    app = WorkbenchApp(settings)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("enter")
        await pilot.press("d")
        assert isinstance(app.screen, DocumentsScreen)
        for path in (corpus_dir(), tmp_path / "bin.txt"):
            await pilot.press("i")
            await _type(pilot, str(path))
            await pilot.press("enter")
            await app.workers.wait_for_complete()
            await pilot.pause()
        assert store.project_stats(project.id).documents == 3
        report = str(app.screen.query_one("#import-report").render())
        assert "skipped" in report and "binary" in report
        await pilot.press("enter")
        assert isinstance(app.screen, DocumentViewScreen)
        assert app.screen.document.chunk_count == len(app.screen.chunks) > 0
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        await pilot.press("escape")
        await pilot.press("escape")
        assert isinstance(app.screen, DashboardScreen)
        assert "Documents" in str(app.screen.query_one("#counts").render())
