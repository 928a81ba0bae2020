"""Written replies from llama.cpp in the job's own process (llama-cpp-python), for the
generative formulation on a GGUF model.

The same contract as a server's chat endpoint (``serving.chat_replies.ChatReplier``), so
``ServedModel`` drives both: the messages lighteval builds for chat models
(``prepare_prompt_api``), ``Llama.create_chat_completion`` with the GGUF's own chat template
(llama-cpp-python reads it from the file, as its server does), greedy (temperature 0, the
run's seed), at most the request's ``max_tokens``, no stop sequences sent (the answer is read
from the text before the first one: see ``ServedModel.greedy_until``). Sampling penalties
are off (``repeat_penalty`` 1.0): temperature 0 means the most likely token every time, as
lighteval's transformers generation does.

The model loads once, on the first request not answered yet; each reply is written to the
job's reply cache (``KeyedCache``, the file a served model uses) as soon as it exists, so a
resumed job asks only what is missing, and one whose replies are all kept never loads the
model. Job process only (llama_cpp).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from workbench.backends.serving.chat_replies import ChatRequest, body, reply_text
from workbench.errors import BackendUnavailable
from workbench.keyed_cache import KeyedCache, key_of


class LlamaCppReplier:
    """Replies of one GGUF model; counts what it wrote and what it found cached."""

    def __init__(self, name: str, llama_kwargs: dict[str, Any], revision: str = "",
                 seed: int = 0, cache_path: Path | None = None,
                 log: Callable[[str], None] | None = None) -> None:
        """``name`` and ``revision`` (the registry's name, the weights' hash) key the cache
        (one cache holds every model of a job); ``llama_kwargs`` are ``llama_cpp.Llama``'s
        (model_path, n_ctx, n_threads, n_gpu_layers)."""
        self.name = name
        self.model_id = f"{name}@{revision}"
        self.llama_kwargs = dict(llama_kwargs)
        self.seed = seed
        self.cache = KeyedCache(cache_path)
        self.log = log
        self.sent = 0  # replies written by the model in this process
        self.from_cache = 0
        self._llama: Any = None

    def replies(self, requests: list[ChatRequest]) -> list[str]:
        """One reply per request, in order; BackendUnavailable when the model cannot be
        loaded or a prompt does not fit its context. Replies written before that stay in
        the cache."""
        found: dict[str, str] = {}
        keys = []
        for request in requests:
            key = key_of(body(self.model_id, request, self.seed))
            keys.append(key)
            if key in found:
                continue
            cached = self.cache.get(key)
            if cached is not None:
                found[key] = cached
                self.from_cache += 1
                continue
            found[key] = self._write(request)
            self.sent += 1
            self.cache.put(key, found[key])  # at once: a kill after this line loses nothing
        return [found[key] for key in keys]

    def _write(self, request: ChatRequest) -> str:
        llama = self._model()
        try:
            answer = llama.create_chat_completion(
                messages=[{"role": r, "content": c} for r, c in request.messages],
                max_tokens=request.max_tokens, temperature=0.0, seed=self.seed,
                repeat_penalty=1.0, stop=list(request.stop) or None)
        except ValueError as exc:  # llama-cpp-python: "Requested tokens (N) exceed context..."
            raise BackendUnavailable(
                f"llama.cpp could not answer a question of '{self.name}': {exc}",
                "A prompt longer than the model's context (n_ctx, "
                f"{self.llama_kwargs.get('n_ctx')} tokens) cannot be answered: use fewer "
                "few-shot examples, or give the model a longer context: 'workbench models "
                f"set {self.name} --engine-arg max_model_len=4096'.") from None
        return reply_text(answer)

    def _model(self) -> Any:
        if self._llama is None:
            from llama_cpp import Llama

            path = self.llama_kwargs.get("model_path")
            try:
                self._llama = Llama(**self.llama_kwargs, seed=self.seed, verbose=False)
            except (ValueError, RuntimeError, OSError) as exc:
                raise BackendUnavailable(f"llama.cpp could not load {path}: {exc}",
                                         "Check that the file is a complete GGUF model.") from None
        return self._llama

    def close(self) -> None:
        if self.log is not None and (self.sent or self.from_cache):
            self.log(f"llama.cpp: {self.sent} replies written, {self.from_cache} taken from "
                     "the job's reply cache")
            self.log = None  # said once, however often close is called
        if self._llama is not None:
            self._llama.close()
            self._llama = None
        self.cache.close()
