"""The keeper of one managed vLLM server: ``python -m workbench.backends.serving.vllm_keeper
--store PATH SERVER_ID``.

Started in a session of its own (it leads the process group of the server and vLLM's own
engine processes). It starts ``vllm.entrypoints.openai.api_server`` on a loopback port,
marks the server ready once ``/health`` answers, forgets the leases of jobs that died, and
stops the server when no job has leased it for ``WORKBENCH_VLLM_IDLE`` seconds, when asked to
(state 'stopping', e.g. ``workbench servers stop``) or on SIGTERM. Whatever happens, the store
ends up saying 'stopped' or 'failed' with the reason.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

from store import Store
from store.base import utc_now
from store.records import ModelServer
from workbench.backends.serving.vllm_server import ServerSpec, free_port
from workbench.jobs.devices import device_env
from workbench.settings import Settings, load_settings


def _healthy(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as answer:
            return bool(answer.status == 200)
    except OSError:
        return False


def _idle_seconds(server: ModelServer) -> float:
    if not server.last_used_at:
        return 0.0
    return (datetime.now(UTC) - datetime.fromisoformat(server.last_used_at)).total_seconds()


def _environment(settings: Settings, server: ModelServer, tmp: Path) -> dict[str, str]:
    cache = settings.home / "cache" / "vllm"
    cache.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "VLLM_CACHE_ROOT": str(cache), "TMPDIR": str(tmp),
           "TORCHINDUCTOR_CACHE_DIR": str(cache / "inductor"),
           "VLLM_NO_USAGE_STATS": "1", "DO_NOT_TRACK": "1"}
    env.pop("PYTHONPATH", None)  # vLLM's environment, not ours
    env.update(device_env(server.devices))
    return env


def _stop(child: subprocess.Popen[bytes], grace: float = 30.0) -> None:
    if child.poll() is None:
        child.terminate()
        try:
            child.wait(grace)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait(10)
    _kill_stragglers()


def _kill_stragglers() -> None:
    """vLLM's engine processes live in our process group: none may outlive the keeper."""
    group = os.getpgrp()
    me = os.getpid()
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == me:
            continue
        try:
            if os.getpgid(int(entry)) == group:
                os.kill(int(entry), signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            continue


def keep(store_path: str, server_id: int) -> int:
    settings = load_settings(store_path=store_path)
    store = Store(settings.store_path)
    server = store.model_server(server_id)
    port = int(server.port or free_port())
    url = f"http://127.0.0.1:{port}/v1"
    store.update_model_server(server_id, port=port, url=url, pid=os.getpid())
    command = ServerSpec(**{**server.spec, "devices": tuple(server.devices)}).command(port)
    print(f"[keeper] {' '.join(command)}", flush=True)
    stop_requested = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop_requested.set())
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    # vLLM puts its IPC sockets in the temp dir, and a socket path may not exceed 107
    # bytes: a short folder of our own under the system's temp dir, whatever the data dir.
    tmp = Path(tempfile.mkdtemp(prefix=f"wb-vllm-{server_id}-"))
    child = subprocess.Popen(command, env=_environment(settings, server, tmp),
                             stdin=subprocess.DEVNULL)
    state, reason = "failed", "vLLM exited before it was ready"
    try:
        while True:
            code = child.poll()
            current = store.model_server(server_id)
            if code is not None:
                reason = f"vLLM exited with code {code}"
                state = "failed" if current.state == "starting" else "stopped"
                break
            if stop_requested.is_set() or current.state == "stopping":
                state, reason = "stopped", "stop requested"
                break
            if current.state == "starting":
                if _healthy(port):
                    store.update_model_server(server_id, state="ready", ready_at=utc_now())
                    print(f"[keeper] ready at {url}", flush=True)
            else:
                live = {j.id for j in store.active_jobs()}
                store.drop_dead_leases(server_id, live)
                current = store.model_server(server_id)
                if not current.leases and _idle_seconds(current) > settings.vllm_idle_seconds:
                    state, reason = "stopped", f"idle for {settings.vllm_idle_seconds:.0f} s"
                    break
            stop_requested.wait(1.0)
    finally:
        print(f"[keeper] stopping: {reason}", flush=True)
        _stop(child)
        shutil.rmtree(tmp, ignore_errors=True)
        store.finish_model_server(server_id, state, reason)
        store.close()
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="workbench.backends.serving.vllm_keeper")
    parser.add_argument("--store", required=True)
    parser.add_argument("server_id", type=int)
    args = parser.parse_args(argv)
    return keep(args.store, args.server_id)


if __name__ == "__main__":
    raise SystemExit(main())
