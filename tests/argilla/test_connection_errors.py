"""Unreachable server, wrong key, missing workspace: a clear ServiceError with a hint, and
the store exactly as it was."""

from __future__ import annotations

import dataclasses
import socket

import pytest
from argilla_testkit import add_questions, unique_project

from store import Store
from workbench.argilla_sync.probe import check_connection
from workbench.argilla_sync.pull import pull_project
from workbench.argilla_sync.push import push_project
from workbench.errors import ServiceError
from workbench.settings import Settings

pytestmark = pytest.mark.argilla


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _assert_refused(store: Store, settings: Settings, title_part: str, hint_part: str) -> None:
    project = unique_project(store)
    add_questions(store, project, 5)
    before = store.table_counts()
    for sync in (push_project, pull_project):
        with pytest.raises(ServiceError) as info:
            sync(store, settings, project)
        assert title_part in info.value.title
        assert hint_part in info.value.hint
        assert settings.argilla_api_key not in str(info.value)
    assert store.table_counts() == before


def test_wrong_key_is_refused_with_a_hint(argilla_settings: Settings, argilla_store: Store):
    settings = dataclasses.replace(argilla_settings, argilla_api_key="argilla.not-the-key")
    _assert_refused(argilla_store, settings, "refused the API key", "ARGILLA_API_KEY")
    with pytest.raises(ServiceError, match="refused the API key"):
        check_connection(settings)


def test_unreachable_server_is_named_with_a_hint(argilla_settings: Settings,
                                                 argilla_store: Store):
    url = f"http://127.0.0.1:{_closed_port()}"
    settings = dataclasses.replace(argilla_settings, argilla_api_url=url)
    _assert_refused(argilla_store, settings, f"Cannot reach the Argilla server at {url}",
                    "scripts/argilla-dev start")
    with pytest.raises(ServiceError, match="Cannot reach"):
        check_connection(settings)


def test_missing_workspace_lists_the_available_ones(argilla_settings: Settings,
                                                    argilla_store: Store):
    settings = dataclasses.replace(argilla_settings, argilla_workspace="no-such-workspace")
    _assert_refused(argilla_store, settings, "workspace 'no-such-workspace' does not exist",
                    "argilla")


def test_probe_reports_the_user_and_workspace(argilla_settings: Settings):
    info = check_connection(argilla_settings)
    assert info.username == "workbench"
    assert info.role == "owner"
    assert info.workspace == argilla_settings.argilla_workspace


def test_cli_status_shows_the_error_and_exits_1(argilla_settings: Settings,
                                                argilla_store: Store, cli, monkeypatch):
    project = unique_project(argilla_store)
    add_questions(argilla_store, project, 3)
    ok = cli("argilla", "status", "--project", project.name)
    assert ok.returncode == 0, ok.stderr
    assert "as workbench (owner)" in ok.stdout
    assert "3 questions, 0 pushed, 3 to push" in ok.stdout
    monkeypatch.setenv("ARGILLA_API_KEY", "argilla.wrong")
    bad = cli("argilla", "status", "--project", project.name)
    assert bad.returncode == 1
    assert "refused the API key" in bad.stdout
    assert "argilla.wrong" not in bad.stdout + bad.stderr
