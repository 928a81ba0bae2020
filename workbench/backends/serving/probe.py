"""What a server can do, asked once: which models it serves, and whether its completions
endpoint returns prompt log-probabilities (``echo`` + ``logprobs`` on a token-id prompt),
which is what scoring the letters and cloze formulations needs. Light: the CLI and the TUI
call it before a run starts; answers are kept for a minute in this process."""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from typing import Any

from workbench.backends.serving.http import Endpoint, RequestRefused, RetryPolicy, call
from workbench.errors import ServiceError

PROBE_PROMPT = [11, 12, 13, 14]  # token ids, valid in any real vocabulary
_TTL_SECONDS = 60.0
_cache: dict[tuple[str, str, bool], tuple[float, ServerFacts]] = {}


@dataclass(frozen=True)
class ServerFacts:
    models: tuple[str, ...]
    max_model_len: int | None
    root: str | None  # the served model's folder on the server's machine, when it says
    prompt_logprobs: bool
    detail: str = ""  # why there are no prompt log-probabilities
    version: str | None = None


def _model_entry(answer: Any, name: str) -> dict[str, Any] | None:
    for entry in (answer or {}).get("data") or []:
        if isinstance(entry, dict) and entry.get("id") == name:
            return entry
    return None


def _returns_prompt_logprobs(answer: Any) -> bool:
    try:
        values = answer["choices"][0]["logprobs"]["token_logprobs"]
    except (KeyError, IndexError, TypeError):
        return False
    if not isinstance(values, list) or len(values) < len(PROBE_PROMPT):
        return False
    return all(isinstance(v, int | float) for v in values[1:len(PROBE_PROMPT)])


def probe(endpoint: Endpoint, timeout: float = 10.0, fresh: bool = False) -> ServerFacts:
    """Ask the server; ServiceError when it is down or refuses the key or the model name."""
    key = (endpoint.url, endpoint.model, bool(endpoint.api_key))
    hit = _cache.get(key)
    if hit is not None and not fresh and time.monotonic() - hit[0] < _TTL_SECONDS:
        return hit[1]
    import httpx

    policy = RetryPolicy(attempts=2, first_delay=0.5, timeout=timeout)
    with httpx.Client() as client:
        try:
            listing = call(client, endpoint, "GET", "/models", policy=policy)
        except RequestRefused:
            raise
        except ServiceError as exc:
            raise ServiceError(f"No model server answers at {endpoint.url}.",
                               "Start it, or check the model's URL with 'workbench models "
                               f"list' ({exc.title})") from None
        entry = _model_entry(listing, endpoint.model)
        if entry is None:
            served = ", ".join(str(m.get("id")) for m in (listing or {}).get("data") or [])
            raise ServiceError(
                f"The server at {endpoint.url} does not serve a model named "
                f"'{endpoint.model}' (it serves: {served or 'nothing'}).",
                "Register the model with --endpoint-model set to one of those names.")
        version = None
        try:
            root = endpoint.url.removesuffix("/v1")
            answer = call(client, replace(endpoint, base_url=root), "GET", "/version",
                          policy=RetryPolicy(attempts=1, timeout=timeout))
            version = str(answer.get("version")) if isinstance(answer, dict) else None
        except ServiceError:
            pass
        body = {"model": endpoint.model, "prompt": PROBE_PROMPT, "max_tokens": 1,
                "echo": True, "logprobs": 1, "temperature": 0}
        detail = ""
        # A server's first completion can be slow (a cold CPU server, a long queue): give it
        # a minute, and never take silence for "no log-probabilities".
        slow = RetryPolicy(attempts=3, first_delay=1.0, timeout=max(timeout, 60.0))
        try:
            supported = _returns_prompt_logprobs(
                call(client, endpoint, "POST", "/completions", body, policy=slow))
            if not supported:
                detail = "its completions carry no prompt log-probabilities"
        except RequestRefused as exc:
            if exc.status in (401, 403):
                raise
            supported, detail = False, f"its completions endpoint refused echo + logprobs: {exc.detail}"
        except ServiceError as exc:
            if "(HTTP 500:" in exc.title:
                # It is up (it listed the model) and answered each try with a server error:
                # it cannot do echo + logprobs (llama.cpp's server fails so without logits_all).
                supported = False
                detail = f"its completions endpoint failed on echo + logprobs: {exc.title}"
                return _remember(key, listing, entry, supported, detail, version)
            raise ServiceError(
                f"The server at {endpoint.url} lists '{endpoint.model}' but did not answer a "
                f"one-token completion ({exc.title}).",
                "It may still be loading or overloaded: try again in a minute; see the "
                "server's log.") from None
    return _remember(key, listing, entry, supported, detail, version)


def _remember(key: tuple[str, str, bool], listing: Any, entry: dict[str, Any], supported: bool,
              detail: str, version: str | None) -> ServerFacts:
    max_len = entry.get("max_model_len")
    facts = ServerFacts(models=tuple(str(m.get("id")) for m in listing.get("data") or []),
                        max_model_len=int(max_len) if isinstance(max_len, int) else None,
                        root=str(entry["root"]) if entry.get("root") else None,
                        prompt_logprobs=supported, detail=detail, version=version)
    _cache[key] = (time.monotonic(), facts)
    return facts
