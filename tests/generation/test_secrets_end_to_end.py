"""Keys stay secret, end to end (issue #17): a model served behind a real API key
(llama-cpp-python's OpenAI-compatible server on loopback, ``--api_key``), registered with
the NAME of the variable that holds the key. The key, set in the environment of every
command and job process, appears in no CLI output (models list/show, generate, eval, jobs,
leaderboard, compare), no job log, no job parameters, no run record, no export and nowhere
in the workbench home (the store file included). A wrong key is refused clearly.

Registration's refusals and store migration 008 are in tests/foundation/test_secrets.py."""

from __future__ import annotations

import json
import secrets
import subprocess
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from model_servers import RunningServer, start_llama_cpp_server

from store import Store
from workbench.bundled_model import gguf_path, register_bundled_models
from workbench.demo import create_demo_project
from workbench.settings import Settings

pytestmark = pytest.mark.slow

KEY_ENV = "WB_SECRET_TEST_KEY"
# Made here, so no file could hold it by chance.
SECRET = "sk-wb-" + secrets.token_hex(20)


@pytest.fixture
def keyed_server(tmp_path: Path) -> Iterator[RunningServer]:
    server = start_llama_cpp_server(gguf_path(), tmp_path / "llama", "smol-gguf",
                                    api_key=SECRET)
    yield server
    server.stop()


def _answer_status(url: str, key: str | None) -> int:
    request = urllib.request.Request(url + "/models", headers={"Authorization": f"Bearer {key}"}
                                     if key else {})
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return int(answer.status)
    except urllib.error.HTTPError as exc:
        return exc.code


class Outputs:
    """Every CLI call's output, kept to be searched for the key at the end."""

    def __init__(self, cli: Any) -> None:
        self.cli = cli
        self.texts: list[str] = []

    def __call__(self, *args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
        out = self.cli(*args)
        self.texts.append(out.stdout + out.stderr)
        if ok:
            assert out.returncode == 0, (args, out.stdout, out.stderr)
        return out


def _files_holding(root: Path, needle: bytes) -> tuple[list[Path], list[Path]]:
    """(files read, files holding ``needle``) under ``root``."""
    read, found = [], []
    for path in root.rglob("*"):
        # models/ links to the session's shared cache of converted weights
        if path.is_symlink() or not path.is_file():
            continue
        read.append(path)
        if needle in path.read_bytes():
            found.append(path)
    return read, found


def test_the_key_appears_in_no_output_record_log_or_export(
        cli: Any, store: Store, settings: Settings, wb_home: Path, tmp_path: Path,
        keyed_server: RunningServer, bundled_model_dir: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    # The server really wants the key.
    assert _answer_status(keyed_server.url, None) == 401
    assert _answer_status(keyed_server.url, SECRET) == 200
    monkeypatch.setenv(KEY_ENV, SECRET)
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)  # the default variable holds it too
    create_demo_project(store, settings, name="exam")
    register_bundled_models(store)
    run = Outputs(cli)

    run("models", "add", "keyed", "--backend", "openai", "--url", keyed_server.url,
        "--endpoint-model", "smol-gguf", "--api-key-env", KEY_ENV)
    run("models", "add", "smol-copy", "--backend", "transformers", "--path",
        str(bundled_model_dir))
    listed = json.loads(run("models", "list", "--json").stdout)
    keyed = next(m for m in listed if m["name"] == "keyed")
    assert keyed["params"] == {"endpoint_model": "smol-gguf", "api_key_env": KEY_ENV}
    assert f"API key: from ${KEY_ENV} (set here)" in run("models", "show", "keyed").stdout
    run("models", "show", "keyed", "--json")

    # Generation through the keyed server, in a real job process.
    run("generate", "--project", "exam", "--model", "keyed", "--limit-chunks", "1",
        "--per-chunk", "1", "--max-new-tokens", "96", "--max-attempts", "1", "--wait")
    (generation,) = [j for j in store.list_jobs() if j.kind == "generate"]
    assert generation.state == "done" and generation.params["model"]["name"] == "keyed"

    snapshot = json.loads(run("dataset", "build", "--project", "exam", "--json").stdout)
    # The keyed server cannot be scored on letters (no prompt log-probabilities): it is
    # asked, with the key, and the run is refused before any job starts. It answers the
    # generative formulation, in a real job process.
    refused = run("eval", "run", "--project", "exam", "--model", "keyed", "--formulation",
                  "mcf", ok=False)
    assert refused.returncode != 0 and "cannot be scored" in refused.stdout + refused.stderr
    run("eval", "run", "--project", "exam", "--model", "keyed", "--formulation", "generative",
        "--limit", "3", "--wait")

    # An evaluation job of two local models (the key in its environment), the records and
    # every export built from the three runs.
    run("eval", "run", "--project", "exam", "--model", "smollm2-135m", "--model", "smol-copy",
        "--formulation", "mcf", "--limit", "4", "--wait")
    runs = json.loads(run("eval", "list", "--project", "exam", "--json").stdout)
    assert {(r["model"], r["state"]) for r in runs} == {
        ("keyed", "done"), ("smollm2-135m", "done"), ("smol-copy", "done")}
    for r in runs:
        shown = json.loads(run("eval", "show", str(r["id"]), "--json", "--samples").stdout)
        assert shown["repro"]
    exports = tmp_path / "exports"
    exports.mkdir()
    run("dataset", "export", "--snapshot", snapshot["id"], "--to", str(exports / "dataset"))
    for fmt in ("json", "csv", "md"):
        run("leaderboard", "--project", "exam", "--format", fmt, "-o",
            str(exports / f"leaderboard.{fmt}"))
    run("compare", "--project", "exam", "smollm2-135m", "smol-copy", "--format", "json")
    run("compare", "--project", "exam", "keyed", "smollm2-135m", "--format", "json", ok=False)

    jobs = json.loads(run("jobs", "list", "--json").stdout)
    assert sorted(j["kind"] for j in jobs) == ["eval", "eval", "generate"]
    for job in jobs:
        run("jobs", "show", str(job["id"]), "--json")
        run("jobs", "logs", str(job["id"]), "--debug")

    leaks = [text[:200] for text in run.texts if SECRET in text]
    assert leaks == []
    store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    read, found = _files_holding(wb_home, SECRET.encode())
    assert found == []
    # What was searched: the store file, every job's log, the run's files.
    assert settings.store_path in read
    assert {f"job-{j['id']}.log" for j in jobs} <= {p.name for p in read}
    read, found = _files_holding(exports, SECRET.encode())
    assert found == [] and len(read) >= 6  # the dataset folder, card, task file, 3 boards


def test_a_wrong_key_is_refused_clearly(
        cli: Any, store: Store, settings: Settings, keyed_server: RunningServer,
        monkeypatch: pytest.MonkeyPatch) -> None:
    wrong = "sk-wrong-" + secrets.token_hex(8)
    monkeypatch.setenv(KEY_ENV, wrong)
    create_demo_project(store, settings, name="exam")
    assert cli("models", "add", "keyed", "--backend", "openai", "--url", keyed_server.url,
               "--endpoint-model", "smol-gguf", "--api-key-env", KEY_ENV).returncode == 0
    assert cli("dataset", "build", "--project", "exam").returncode == 0
    refused = cli("eval", "run", "--project", "exam", "--model", "keyed")
    text = refused.stdout + refused.stderr
    assert refused.returncode != 0
    assert f"The server at {keyed_server.url} refused the API key (HTTP 401" in text
    assert f"Set the right key in {KEY_ENV}" in text
    generated = cli("generate", "--project", "exam", "--model", "keyed", "--limit-chunks", "1",
                    "--max-attempts", "1", "--wait")
    text += generated.stdout + generated.stderr
    assert generated.returncode != 0
    assert "refused the API key" in generated.stdout + generated.stderr
    assert wrong not in text and SECRET not in text
    assert store.list_jobs() == [] or all(j.state == "failed" for j in store.list_jobs())
