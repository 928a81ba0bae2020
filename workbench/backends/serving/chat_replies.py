"""Written replies from a server's chat endpoint (/v1/chat/completions), for the generative
formulation: the messages lighteval builds (``PromptManager.prepare_prompt_api``), greedy
(temperature 0, the run's seed), at most the task's ``generation_size`` tokens, stopping at
its stop sequences.

Requests go out ``concurrency`` at a time; each reply is written to a small SQLite cache as
it arrives, so a resumed run sends only what is missing (as ``prompt_logprobs`` does for
log-likelihoods). Job process only (httpx).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from workbench.backends.serving.http import DEFAULT_POLICY, Endpoint, RetryPolicy, call
from workbench.errors import ServiceError
from workbench.keyed_cache import KeyedCache, key_of


@dataclass(frozen=True)
class ChatRequest:
    messages: tuple[tuple[str, str], ...]  # (role, content)
    max_tokens: int
    stop: tuple[str, ...] = ()


def body(model: str, request: ChatRequest, seed: int) -> dict[str, Any]:
    """The JSON body of one chat completion request."""
    data: dict[str, Any] = {
        "model": model, "messages": [{"role": r, "content": c} for r, c in request.messages],
        "max_tokens": request.max_tokens, "temperature": 0, "seed": seed,
    }
    if request.stop:
        data["stop"] = list(request.stop)
    return data


def reply_text(answer: Any) -> str:
    """The assistant's text from a chat completion answer; ServiceError when it has none."""
    try:
        message = answer["choices"][0]["message"]
    except (KeyError, IndexError, TypeError):
        raise ServiceError("The server's chat answer carries no message.",
                           "Check that it serves /v1/chat/completions.") from None
    content = message.get("content") if isinstance(message, dict) else None
    return "" if content is None else str(content)


class ChatReplier:
    """Asks one endpoint for replies; counts what it sent and what it found cached."""

    def __init__(self, endpoint: Endpoint, concurrency: int = 8, cache_path: Path | None = None,
                 policy: RetryPolicy = DEFAULT_POLICY, seed: int = 0,
                 log: Callable[[str], None] | None = None) -> None:
        self.endpoint = endpoint
        self.concurrency = max(1, concurrency)
        self.cache = KeyedCache(cache_path)
        self.policy = policy
        self.seed = seed
        self.log = log
        self.sent = 0
        self.from_cache = 0
        self._count_lock = threading.Lock()

    def replies(self, requests: list[ChatRequest]) -> list[str]:
        """One reply per request, in order. Raises ServiceError when the server gives up;
        replies received before that stay in the cache."""
        import httpx

        bodies = [body(self.endpoint.model, r, self.seed) for r in requests]
        keys = [key_of(b) for b in bodies]
        found: dict[str, str] = {}
        todo: dict[str, dict[str, Any]] = {}
        for key, data in zip(keys, bodies, strict=True):
            if key in found or key in todo:
                continue
            cached = self.cache.get(key)
            if cached is not None:
                found[key] = cached
                self.from_cache += 1
            else:
                todo[key] = data
        if todo:
            limits = httpx.Limits(max_connections=self.concurrency,
                                  max_keepalive_connections=self.concurrency)
            with httpx.Client(limits=limits) as client, \
                    ThreadPoolExecutor(max_workers=self.concurrency) as pool:
                answers = pool.map(lambda item: (item[0], self._one(client, *item)),
                                   list(todo.items()))
                found.update(dict(answers))
        return [found[key] for key in keys]

    def _one(self, client: Any, key: str, data: dict[str, Any]) -> str:
        answer = call(client, self.endpoint, "POST", "/chat/completions", data,
                      policy=self.policy, on_retry=self.log)
        with self._count_lock:
            self.sent += 1
        reply = reply_text(answer)
        self.cache.put(key, reply)  # at once: a kill after this line loses nothing
        return reply

    def close(self) -> None:
        self.cache.close()
