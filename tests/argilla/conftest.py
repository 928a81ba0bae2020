"""A real argilla-server on loopback for the tests marked ``argilla``.

The session fixture reuses a server that ``scripts/argilla-dev status`` reports running
(and leaves it running); otherwise it starts one with ``scripts/argilla-dev start`` (which
installs it once) and stops it when the session ends.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from argilla_testkit import ArgillaServer, argilla_dev, parse_exports

from store import Store
from workbench.settings import Settings, load_settings


@pytest.fixture(scope="session")
def argilla_server() -> Iterator[ArgillaServer]:
    already_running = argilla_dev("status").returncode == 0
    started = argilla_dev("env" if already_running else "start")
    if started.returncode != 0:
        pytest.fail(f"scripts/argilla-dev start failed:\n{started.stderr[-4000:]}")
    env = parse_exports(started.stdout)
    yield ArgillaServer(env["ARGILLA_API_URL"], env["ARGILLA_API_KEY"],
                        env["ARGILLA_WORKSPACE"])
    if not already_running:
        argilla_dev("stop")


@pytest.fixture
def argilla_settings(argilla_server: ArgillaServer, wb_home: Path,
                     monkeypatch: pytest.MonkeyPatch) -> Settings:
    """Settings (and environment, for job processes) pointing at the test server."""
    for key, value in argilla_server.env().items():
        monkeypatch.setenv(key, value)
    return load_settings()


@pytest.fixture
def argilla_store(argilla_settings: Settings) -> Iterator[Store]:
    s = Store(argilla_settings.store_path)
    yield s
    s.close()


