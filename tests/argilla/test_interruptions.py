"""The server stops in the middle of a push; the dataset is deleted on the server. Each
gives a clear error, keeps the store consistent, and a retry completes the sync."""

from __future__ import annotations

import pytest
from argilla_testkit import ArgillaServer, add_questions, argilla_dev, unique_project

from store import Store
from workbench.argilla_sync.probe import HttpProbe
from workbench.argilla_sync.pull import pull_project
from workbench.argilla_sync.push import push_project
from workbench.errors import ServiceError
from workbench.settings import Settings

pytestmark = [pytest.mark.argilla, pytest.mark.slow]


def test_server_stopped_mid_push_then_retried(argilla_server: ArgillaServer,
                                              argilla_settings: Settings,
                                              argilla_store: Store):
    store = argilla_store
    project = unique_project(store)
    add_questions(store, project, 300)
    stopped = []

    def stop_after_first_batch(done: int, total: int, message: str) -> None:
        if done == 100 and not stopped:
            assert argilla_dev("stop", "server").returncode == 0
            stopped.append(done)

    try:
        with pytest.raises(ServiceError) as info:
            push_project(store, argilla_settings, project, batch_size=100, parallel=1,
                         progress=stop_after_first_batch)
        assert "Cannot reach the Argilla server" in info.value.title
        assert stopped == [100]
        name = store.sync_values(project.id)["dataset_name"]
        assert store.argilla_link_count(project.id, name) == 100  # the batch that landed
        before = store.table_counts()
        with pytest.raises(ServiceError, match="Cannot reach"):
            pull_project(store, argilla_settings, project)
        assert store.table_counts() == before
    finally:
        assert argilla_dev("start").returncode == 0

    result = push_project(store, argilla_settings, project, batch_size=100)
    assert (result.sent, result.unchanged, result.created_dataset) == (200, 100, False)
    remote = HttpProbe(argilla_settings).dataset(result.dataset, argilla_server.workspace)
    assert remote is not None and remote.records == 300


def test_server_stopped_mid_parallel_push_then_retried(argilla_server: ArgillaServer,
                                                       argilla_settings: Settings,
                                                       argilla_store: Store):
    """Three batches in flight when the server goes: the store records only batches that
    landed (each of them is on the server), and a retry sends the rest, once."""
    store = argilla_store
    project = unique_project(store)
    add_questions(store, project, 600)
    stopped = []

    def stop_after_first_batch(done: int, total: int, message: str) -> None:
        if done >= 100 and not stopped:
            assert argilla_dev("stop", "server").returncode == 0
            stopped.append(done)

    try:
        with pytest.raises(ServiceError, match="Cannot reach"):
            push_project(store, argilla_settings, project, batch_size=100, parallel=3,
                         progress=stop_after_first_batch)
        name = store.sync_values(project.id)["dataset_name"]
        linked = store.argilla_link_count(project.id, name)
        assert 100 <= linked < 600
    finally:
        assert argilla_dev("start").returncode == 0
    remote = HttpProbe(argilla_settings).dataset(name, argilla_server.workspace)
    assert remote is not None and remote.records >= linked  # nothing marked that is not there

    result = push_project(store, argilla_settings, project, batch_size=100, parallel=3)
    assert (result.sent, result.unchanged) == (600 - linked, linked)
    remote = HttpProbe(argilla_settings).dataset(result.dataset, argilla_server.workspace)
    assert remote is not None and remote.records == 600
    assert store.argilla_link_count(project.id, result.dataset) == 600


def test_dataset_deleted_on_the_server(argilla_server: ArgillaServer,
                                       argilla_settings: Settings, argilla_store: Store):
    store = argilla_store
    project = unique_project(store)
    add_questions(store, project, 20)
    first = push_project(store, argilla_settings, project)
    owner = argilla_server.owner()
    owner.datasets(first.dataset, workspace=argilla_server.workspace).delete()

    before = store.table_counts()
    for sync in (push_project, pull_project):
        with pytest.raises(ServiceError) as info:
            sync(store, argilla_settings, project)
        assert "was deleted or replaced" in info.value.title
        assert "--recreate" in info.value.hint
    assert store.table_counts() == before

    again = push_project(store, argilla_settings, project, recreate=True)
    assert (again.sent, again.created_dataset) == (20, True)
    assert pull_project(store, argilla_settings, project).responses == 0
