"""Scoring a lighteval model's requests in fixed chunks: live progress, and a resume that
scores nothing twice. Job process only.

lighteval hands a model all the requests of one kind at once (``loglikelihood(docs)`` for
every task of the pipeline) and hears back only at the end. The tap replaces those methods
on the model *instance* with ones that

- cut the requests into chunks of ``CHUNK``, each task's apart, tasks in name order and
  requests in lighteval's order within a task (the same cut on every attempt, whatever
  order lighteval lists the tasks in, so a resumed run is scored as an uninterrupted one),
- answer a chunk from the job's chunk cache when an earlier attempt scored it, else call
  the model's own method on it and store the answers (pickled ModelResponses) before going
  on,
- report after each chunk how many requests of each task are scored (``on_scored``).

The model's own code does the scoring, so the numbers are its own; lighteval still builds
the prompts and computes the metrics.
"""

from __future__ import annotations

import hashlib
import inspect
import json
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from workbench.keyed_cache import KeyedCache

CHUNK = 32
METHODS = ("loglikelihood", "greedy_until", "loglikelihood_rolling")

OnScored = Callable[[dict[str, int]], None]


def doc_key(doc: Any) -> dict[str, Any]:
    """What makes a request what it is (the model and settings are in the tap's identity)."""
    fewshot = getattr(doc, "fewshot_samples", None) or []
    return {
        "task": doc.task_name, "id": str(doc.id), "query": doc.query,
        "choices": list(doc.choices or []), "gold": str(doc.gold_index),
        "instruction": getattr(doc, "instruction", None),
        "fewshot": [getattr(f, "query", str(f)) for f in fewshot],
        "generation_size": getattr(doc, "generation_size", None),
        "stop": list(getattr(doc, "stop_sequences", None) or []),
    }


class RequestTap:
    """``install()`` on a lighteval model; ``totals(docs_by_method)`` says what is to come."""

    def __init__(self, model: Any, identity: str, cache: KeyedCache | None,
                 on_scored: OnScored, chunk: int = CHUNK) -> None:
        self.model = model
        self.identity = identity
        self.cache = cache
        self.on_scored = on_scored
        self.chunk = max(1, chunk)
        self.scored: Counter[str] = Counter()
        self.reused = 0  # requests answered from the cache (a resume's saving)

    @staticmethod
    def totals(docs_by_method: dict[Any, Sequence[Any]]) -> dict[str, int]:
        """Requests per task (lighteval's task name) in a pipeline's ``sampling_docs``."""
        out: Counter[str] = Counter()
        for docs in docs_by_method.values():
            out.update(d.task_name for d in docs)
        return dict(out)

    def install(self) -> None:
        for name in METHODS:
            original = getattr(self.model, name, None)
            if original is None:
                continue
            if inspect.iscoroutinefunction(original):
                setattr(self.model, name, self._async_wrapper(name, original))
            else:
                setattr(self.model, name, self._wrapper(name, original))

    def _key(self, method: str, docs: Sequence[Any]) -> str:
        payload = json.dumps([self.identity, method, [doc_key(d) for d in docs]],
                             sort_keys=True, default=str)
        return hashlib.sha256(payload.encode()).hexdigest()

    def _done(self, docs: Sequence[Any]) -> None:
        self.scored.update(d.task_name for d in docs)
        self.on_scored(dict(self.scored))

    def _cached(self, key: str) -> list[Any] | None:
        if self.cache is None:
            return None
        answers = self.cache.get(key)
        return None if answers is None else list(answers)

    def _keep(self, key: str, answers: list[Any]) -> None:
        if self.cache is not None:
            self.cache.put(key, answers)

    def _chunks(self, docs: Sequence[Any]) -> list[list[int]]:
        """Positions of ``docs`` in chunks: each task's requests on their own, tasks in name
        order, so the cut does not depend on the order lighteval lists its tasks in (a set
        in its registry: it changes from one process to the next)."""
        by_task: dict[str, list[int]] = {}
        for i, doc in enumerate(docs):
            by_task.setdefault(str(doc.task_name), []).append(i)
        return [positions[i : i + self.chunk]
                for _, positions in sorted(by_task.items())
                for i in range(0, len(positions), self.chunk)]

    def _wrapper(self, method: str, original: Callable[..., Any]) -> Callable[..., Any]:
        def scored_in_chunks(docs: list[Any], *args: Any, **kwargs: Any) -> list[Any]:
            out: list[Any] = [None] * len(docs)
            for positions in self._chunks(docs):
                part = [docs[i] for i in positions]
                key = self._key(method, part)
                answers = self._cached(key)
                if answers is None or len(answers) != len(part):
                    answers = list(original(part, *args, **kwargs))
                    self._keep(key, answers)
                else:
                    self.reused += len(part)
                for i, answer in zip(positions, answers, strict=True):
                    out[i] = answer
                self._done(part)
            return out

        return scored_in_chunks

    def _async_wrapper(self, method: str, original: Callable[..., Any]) -> Callable[..., Any]:
        async def scored_in_chunks(docs: list[Any], *args: Any, **kwargs: Any) -> list[Any]:
            out: list[Any] = [None] * len(docs)
            for positions in self._chunks(docs):
                part = [docs[i] for i in positions]
                key = self._key(method, part)
                answers = self._cached(key)
                if answers is None or len(answers) != len(part):
                    answers = list(await original(part, *args, **kwargs))
                    self._keep(key, answers)
                else:
                    self.reused += len(part)
                for i, answer in zip(positions, answers, strict=True):
                    out[i] = answer
                self._done(part)
            return out

        return scored_in_chunks


def watch_pipeline(pipeline: Any, identity: str, cache_path: Path | None,
                   on_plan: Callable[[dict[str, int]], None], on_scored: OnScored) -> RequestTap:
    """Install a tap on a built lighteval Pipeline's model. Counts are keyed by the task
    names of ``pipeline.tasks_dict`` ('name|fewshot'); ``on_plan`` hears each task's request
    total once, before any scoring."""
    names = {getattr(task, "full_name", key): key for key, task in pipeline.tasks_dict.items()}

    def by_task(counts: dict[str, int]) -> dict[str, int]:
        return {names.get(name, name): n for name, n in counts.items()}

    on_plan(by_task(RequestTap.totals(pipeline.sampling_docs)))
    cache = None if cache_path is None else KeyedCache(cache_path)
    tap = RequestTap(pipeline.model, identity, cache, lambda counts: on_scored(by_task(counts)))
    tap.install()
    return tap
