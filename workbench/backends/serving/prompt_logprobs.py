"""Log-likelihoods of continuations from a server's completions endpoint.

Each request sends the whole token sequence (context + continuation) as token ids, with
``echo`` and ``logprobs``, and reads the log-probability the model gave each continuation
token (what lm-evaluation-harness's ``local-completions`` does). Sending token ids, not
text, makes the server score exactly the tokens lighteval's own transformers backend scores.

Requests go out ``concurrency`` at a time. Every answer is written to a small SQLite cache
as it arrives, so a run that was interrupted (server down, job killed) and is resumed does
not send again what was already scored.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from workbench.backends.serving.http import DEFAULT_POLICY, Endpoint, RetryPolicy, call
from workbench.errors import ServiceError
from workbench.keyed_cache import KeyedCache, key_of


@dataclass(frozen=True)
class ScoreRequest:
    tokens: tuple[int, ...]  # context + continuation, already cut to the model's length
    continuation: int  # how many of the last tokens are the continuation


@dataclass(frozen=True)
class ContinuationScore:
    logprob: float  # sum of the continuation tokens' log-probabilities
    greedy: bool  # every continuation token was the model's most likely next token


def parse_answer(answer: Any, request: ScoreRequest) -> ContinuationScore:
    """The continuation's score from a completions answer; ServiceError if it has none."""
    try:
        logprobs = answer["choices"][0]["logprobs"]
        values = logprobs["token_logprobs"]
        tops = logprobs.get("top_logprobs") or []
    except (KeyError, IndexError, TypeError):
        raise ServiceError("The server's answer carries no prompt log-probabilities.",
                           "Use a server whose completions endpoint supports echo + logprobs "
                           "(vLLM does).") from None
    n = len(request.tokens)
    if not isinstance(values, list) or len(values) < n:
        raise ServiceError(f"The server returned {len(values) if isinstance(values, list) else 0}"
                           f" prompt log-probabilities for a {n}-token prompt.",
                           "It may have truncated the prompt: check its max model length.")
    start = n - request.continuation
    total = 0.0
    greedy = True
    for position in range(start, n):
        value = values[position]
        if not isinstance(value, int | float):
            raise ServiceError(f"The server gave no log-probability for prompt token {position}.",
                               "The first token of a prompt cannot be scored: this request "
                               "has no context.")
        total += float(value)
        top = tops[position] if position < len(tops) else None
        if isinstance(top, dict) and top:
            greedy = greedy and float(value) >= max(float(v) for v in top.values()) - 1e-6
    return ContinuationScore(total, greedy)


def answer_key(model: str, request: ScoreRequest) -> str:
    """The cache key of one scored request: server model, continuation length, token ids."""
    return key_of([model, request.continuation, list(request.tokens)])


class PromptScorer:
    """Scores requests through one endpoint; counts what it sent and what it found cached."""

    def __init__(self, endpoint: Endpoint, concurrency: int = 8, cache_path: Path | None = None,
                 policy: RetryPolicy = DEFAULT_POLICY,
                 log: Callable[[str], None] | None = None,
                 progress: Callable[[int, int], None] | None = None) -> None:
        self.endpoint = endpoint
        self.concurrency = max(1, concurrency)
        self.cache = KeyedCache(cache_path)
        self.policy = policy
        self.log = log
        self.progress = progress
        self.sent = 0
        self.from_cache = 0
        self._count_lock = threading.Lock()

    def _body(self, request: ScoreRequest) -> dict[str, Any]:
        return {"model": self.endpoint.model, "prompt": list(request.tokens), "max_tokens": 1,
                "echo": True, "logprobs": 1, "temperature": 0}

    def score(self, requests: list[ScoreRequest]) -> list[ContinuationScore]:
        """One score per request, in order. Raises ServiceError when the server gives up;
        what was scored before that stays in the cache."""
        import httpx

        keys = [answer_key(self.endpoint.model, r) for r in requests]
        results: dict[str, ContinuationScore] = {}
        todo: dict[str, ScoreRequest] = {}
        for key, request in zip(keys, requests, strict=True):
            if key in results or key in todo:
                continue
            cached = self.cache.get(key)
            if cached is not None:
                results[key] = cached
                self.from_cache += 1
            else:
                todo[key] = request
        total = len(results) + len(todo)
        done = len(results)
        if self.progress is not None:
            self.progress(done, total)
        if todo:
            limits = httpx.Limits(max_connections=self.concurrency,
                                  max_keepalive_connections=self.concurrency)
            with httpx.Client(limits=limits) as client, \
                    ThreadPoolExecutor(max_workers=self.concurrency) as pool:
                futures: dict[Future[ContinuationScore], str] = {
                    pool.submit(self._one, client, key, todo[key]): key for key in todo}
                pending = set(futures)
                while pending:
                    finished, pending = wait(pending, return_when=FIRST_EXCEPTION)
                    for future in finished:
                        error = future.exception()
                        if error is not None:
                            for other in pending:
                                other.cancel()
                            wait(pending)  # answers in flight still land in the cache
                            raise error
                        results[futures[future]] = future.result()
                        done += 1
                    if self.progress is not None:
                        self.progress(done, total)
        return [results[key] for key in keys]

    def _one(self, client: Any, key: str, request: ScoreRequest) -> ContinuationScore:
        answer = call(client, self.endpoint, "POST", "/completions", self._body(request),
                      policy=self.policy, on_retry=self.log)
        with self._count_lock:
            self.sent += 1
        score = parse_answer(answer, request)
        self.cache.put(key, score)  # at once: a kill after this line loses nothing
        return score

    def close(self) -> None:
        self.cache.close()
