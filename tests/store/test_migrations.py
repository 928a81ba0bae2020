import sqlite3

import pytest

from store import Store
from store.db import latest_schema_version
from workbench.errors import StoreVersionError

EXPECTED_TABLES = {
    "projects", "documents", "chunks", "questions", "reviews", "jobs", "models", "snapshots",
    "snapshot_items", "eval_runs", "scores", "sample_results", "argilla_links",
    "argilla_responses", "sync_state",
}


def test_migrates_an_empty_file_to_the_latest_schema(tmp_path):
    path = tmp_path / "new.db"
    with Store(path) as store:
        tables = set(store.table_counts())
        version = store.conn.execute("PRAGMA user_version").fetchone()[0]
        mode = store.conn.execute("PRAGMA journal_mode").fetchone()[0]
        fks = store.conn.execute("PRAGMA foreign_keys").fetchone()[0]
    assert EXPECTED_TABLES <= tables
    assert version == latest_schema_version()
    assert mode == "wal" and fks == 1


def test_reopening_does_not_migrate_again(tmp_path):
    path = tmp_path / "s.db"
    with Store(path) as store:
        store.create_project("kept")
    with Store(path) as store:
        assert [p.name for p in store.list_projects()] == ["kept"]


def test_a_store_from_a_newer_version_is_refused_with_a_hint(tmp_path):
    path = tmp_path / "future.db"
    Store(path).close()
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA user_version = 999")
    conn.close()
    with pytest.raises(StoreVersionError) as info:
        Store(path)
    assert "999" in info.value.title and "Upgrade" in info.value.hint


def test_deleting_a_project_removes_everything_it_holds(store):
    from workbench.demo import create_demo_project
    from workbench.settings import load_settings

    project = create_demo_project(store, load_settings())
    assert store.table_counts()["questions"] > 0
    store.delete_project(project.name)
    counts = store.table_counts()
    for table in ("documents", "chunks", "questions", "reviews"):
        assert counts[table] == 0, table
