"""Real model servers on loopback for the tests, and a proxy in front of them that can fail
on purpose (rate limits, an outage in the middle of a run) and counts what reached the
server: completions (log-likelihoods) and chat completions (written answers), each kind
with its own faults and counts. Used by the ``vllm`` and served generative tests."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from workbench.backends.serving.probe import PROBE_PROMPT

VLLM_TEST_KEY = "sk-workbench-test"
# The probe's own request (``workbench.backends.serving.probe``) is never faulted or counted.
PROBE_BODY_PROMPT = json.dumps(PROBE_PROMPT)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_healthy(url: str, proc: subprocess.Popen[bytes], log: Path, limit: float) -> None:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited ({proc.returncode}):\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            pass
        time.sleep(1)
    raise RuntimeError(f"server not healthy after {limit} s:\n{log.read_text()[-3000:]}")


@dataclass
class RunningServer:
    url: str  # base URL, ending in /v1
    served_name: str
    proc: subprocess.Popen[bytes]
    log: Path
    api_key: str | None = None

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)


def start_vllm(python: Path, model_dir: Path, workdir: Path, served_name: str = "smol",
               api_key: str | None = None) -> RunningServer:
    """``vllm serve`` (its OpenAI-compatible server module) on the bundled model, float32 on
    the CPU, eager mode (no compile warm-up)."""
    port = free_port()
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "tmp").mkdir(exist_ok=True)
    log = workdir / "vllm.log"
    command = [str(python), "-m", "vllm.entrypoints.openai.api_server", "--model", str(model_dir),
               "--served-model-name", served_name, "--host", "127.0.0.1", "--port", str(port),
               "--dtype", "float32", "--enforce-eager", "--max-model-len", "2048",
               "--gpu-memory-utilization", "0.25"]
    if api_key:
        command += ["--api-key", api_key]
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env.update(VLLM_CACHE_ROOT=str(workdir / "cache"), TMPDIR=str(workdir / "tmp"),
               HF_HUB_OFFLINE="1", VLLM_NO_USAGE_STATS="1")
    with open(log, "wb") as out:
        proc = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env,
                                start_new_session=True)
    server = RunningServer(f"http://127.0.0.1:{port}/v1", served_name, proc, log, api_key)
    try:
        wait_healthy(f"http://127.0.0.1:{port}/health", proc, log, 600)
    except BaseException:
        server.stop()
        raise
    return server


def start_llama_cpp_server(gguf: Path, workdir: Path, served_name: str,
                           api_key: str | None = None) -> RunningServer:
    """llama-cpp-python's OpenAI-compatible server on the bundled GGUF (requiring
    ``api_key`` as a bearer token when given)."""
    import sys

    port = free_port()
    workdir.mkdir(parents=True, exist_ok=True)
    log = workdir / "llama-server.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "llama_cpp.server", "--model", str(gguf), "--host",
             "127.0.0.1", "--port", str(port), "--model_alias", served_name, "--n_ctx", "2048",
             *(["--api_key", api_key] if api_key else [])],
            stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    server = RunningServer(f"http://127.0.0.1:{port}/v1", served_name, proc, log, api_key)
    try:
        # With a key, /v1/models answers 401: FastAPI's /docs page needs none.
        wait_healthy(f"http://127.0.0.1:{port}/docs" if api_key
                     else f"http://127.0.0.1:{port}/v1/models", proc, log, 120)
    except BaseException:
        server.stop()
        raise
    return server


@dataclass
class Faults:
    """What the proxy does to one kind of request (the probe's and other requests always
    pass)."""

    rate_limit: int = 0  # answer this many requests with 429 first
    down_after: int | None = None  # after this many answered requests: 503 to everything
    answered: int = 0
    refused: int = 0
    # Answered requests by what they ask: a completion's prompt (token ids), a chat's messages.
    prompts: Counter[str] = field(default_factory=Counter)
    # ... and by the rest of their body (model, max_tokens, temperature, seed ...), as JSON.
    params: Counter[str] = field(default_factory=Counter)


class FaultProxy:
    """An HTTP proxy to a real server. ``faults`` (completions) and ``chat_faults`` (chat
    completions) are changed, or replaced, by the test while it runs."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream.rstrip("/")
        self.faults = Faults()
        self.chat_faults = Faults()
        self.lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _forward(self, method: str) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                status, headers, data = proxy.handle(method, self.path, body, dict(self.headers))
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                try:
                    self.wfile.write(data)
                except BrokenPipeError:  # the client gave up on this answer (timeout)
                    pass

            def do_GET(self) -> None:  # noqa: N802
                self._forward("GET")

            def do_POST(self) -> None:  # noqa: N802
                self._forward("POST")

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_port}/v1"

    def _faulted(self, path: str, body: bytes | None) -> tuple[Faults, str, str] | None:
        """The faults of a request, what it asks and the rest of its body (the keys it is
        counted by); None for one that always passes."""
        data = json.loads(body) if body else None
        if not isinstance(data, dict):
            return None
        faults, asked = ((self.chat_faults, "messages") if path.endswith("/chat/completions")
                         else (self.faults, "prompt") if path.endswith("/completions")
                         else (None, ""))
        if faults is None or (asked == "prompt"
                              and json.dumps(data.get("prompt")) == PROBE_BODY_PROMPT):
            return None
        rest = json.dumps({k: v for k, v in data.items() if k != asked}, sort_keys=True)
        return faults, json.dumps(data.get(asked)), rest

    def handle(self, method: str, path: str, body: bytes | None,
               headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        faulted = self._faulted(path, body)
        if faulted is not None:
            with self.lock:
                f = faulted[0]
                if f.rate_limit > 0:
                    f.rate_limit -= 1
                    f.refused += 1
                    return 429, {"Retry-After": "0", "Content-Type": "application/json"}, \
                        b'{"error": {"message": "rate limited (test)"}}'
                if f.down_after is not None and f.answered >= f.down_after:
                    f.refused += 1
                    return 503, {"Content-Type": "application/json"}, \
                        b'{"error": {"message": "unavailable (test)"}}'
        request = urllib.request.Request(
            self.upstream.removesuffix("/v1") + path, data=body, method=method,
            headers={k: v for k, v in headers.items()
                     if k.lower() in ("content-type", "authorization")})
        try:
            with urllib.request.urlopen(request, timeout=300) as answer:
                status, data = answer.status, answer.read()
        except urllib.error.HTTPError as exc:
            status, data = exc.code, exc.read()
        if faulted is not None and status == 200:
            with self.lock:
                f = faulted[0]  # the Faults it passed (a test may have replaced them since)
                f.answered += 1
                f.prompts[faulted[1]] += 1
                f.params[faulted[2]] += 1
        return status, {"Content-Type": "application/json"}, data

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

