"""One HTTP call to an OpenAI-compatible server, with the errors users can act on.

Retried: connection failures, timeouts, 429 and 5xx (with exponential backoff, honouring
``Retry-After``). Not retried: a refused key (401/403) and a refused request (other 4xx),
which raise at once with the server's own message.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from workbench.errors import ServiceError

RETRY_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})


class RequestRefused(ServiceError):
    """The server answered, and said no (4xx other than 408/425/429)."""

    def __init__(self, title: str, hint: str = "", status: int = 0, detail: str = "") -> None:
        super().__init__(title, hint)
        self.status = status
        self.detail = detail


@dataclass(frozen=True)
class Endpoint:
    """A server's base URL (ending in /v1), the model name it serves, and the API key."""

    base_url: str
    model: str
    api_key: str | None = None
    key_source: str = "OPENAI_API_KEY"  # where the key came from, for messages

    @property
    def url(self) -> str:
        return self.base_url.rstrip("/")


@dataclass(frozen=True)
class RetryPolicy:
    """``attempts`` bounds failures (connection, timeout, 5xx); a server that says "too
    many requests" (429) is alive and is waited out for up to ``rate_limited`` answers."""

    attempts: int = 8
    first_delay: float = 0.5
    max_delay: float = 20.0
    timeout: float = 300.0
    rate_limited: int = 60

    def delay(self, attempt: int, retry_after: str | None) -> float:
        if retry_after:
            try:
                return min(self.max_delay, max(0.0, float(retry_after)))
            except ValueError:
                pass
        base = min(self.max_delay, self.first_delay * (2 ** attempt))
        return float(base * (0.5 + random.random() / 2))


DEFAULT_POLICY = RetryPolicy()


def _server_message(response: Any) -> str:
    try:
        body = response.json()
    except ValueError:
        return str(response.text)[:300]
    if isinstance(body, dict):
        error = body.get("error", body)
        if isinstance(error, dict):
            return str(error.get("message") or error.get("detail") or error)[:300]
        return str(body.get("message") or body.get("detail") or error)[:300]
    return str(body)[:300]


def call(client: Any, endpoint: Endpoint, method: str, path: str,
         body: dict[str, Any] | None = None, policy: RetryPolicy = DEFAULT_POLICY,
         sleep: Callable[[float], None] = time.sleep,
         on_retry: Callable[[str], None] | None = None) -> Any:
    """``client`` is an ``httpx.Client``; returns the decoded JSON answer."""
    import httpx

    headers = {"Content-Type": "application/json"}
    if endpoint.api_key:
        headers["Authorization"] = f"Bearer {endpoint.api_key}"
    last = ""
    failures = limited = 0
    while True:
        try:
            response = client.request(method, f"{endpoint.url}{path}", headers=headers,
                                      content=None if body is None else json.dumps(body),
                                      timeout=policy.timeout)
        except (httpx.TransportError, httpx.TimeoutException) as exc:
            last = f"{type(exc).__name__}: {exc}"[:200] or type(exc).__name__
            retry_after = None
        else:
            status = response.status_code
            if status < 400:
                return response.json()
            message = _server_message(response)
            if status in (401, 403):
                raise RequestRefused(
                    f"The server at {endpoint.url} refused the API key (HTTP {status}: "
                    f"{message}).",
                    f"Set the right key in {endpoint.key_source} and try again.",
                    status, message)
            if status not in RETRY_STATUSES:
                raise RequestRefused(
                    f"The server at {endpoint.url} refused the request {path} (HTTP {status}: "
                    f"{message}).", "Check the model name and the server's version.",
                    status, message)
            last = f"HTTP {status}: {message}"
            retry_after = response.headers.get("retry-after")
            if status == 429:
                limited += 1
                if limited < policy.rate_limited:
                    _wait(policy, limited - 1, retry_after, endpoint, path, last, on_retry, sleep)
                    continue
                raise ServiceError(
                    f"The server at {endpoint.url} kept refusing requests as too many "
                    f"({limited} times: {message}).",
                    "Lower the model's concurrency (--engine-arg concurrency=N) or raise the "
                    "server's rate limit; a resumed job sends only what is missing.")
        failures += 1
        if failures >= policy.attempts:
            break
        _wait(policy, failures - 1, retry_after, endpoint, path, last, on_retry, sleep)
    raise ServiceError(
        f"The server at {endpoint.url} did not answer after {policy.attempts} attempts "
        f"({last}).",
        "Check that it is running and reachable; a resumed job sends only what is missing.")


def _wait(policy: RetryPolicy, attempt: int, retry_after: str | None, endpoint: Endpoint,
          path: str, last: str, on_retry: Callable[[str], None] | None,
          sleep: Callable[[float], None]) -> None:
    wait = policy.delay(attempt, retry_after)
    if on_retry is not None:
        on_retry(f"{endpoint.url}{path}: {last}; retrying in {wait:.1f} s")
    sleep(wait)
