"""Continuation log-likelihoods (letters or option words) from any registered model that lighteval can score: the model is
built exactly as an evaluation run builds it (the backend's lighteval model: for transformers
the prefix-sharing scorer, one forward pass per prompt for letters), and each prompt is a
lighteval ``Doc`` whose choices are the continuations. Job process only (imports lighteval)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from workbench.backends.base import EvalSettings, ModelBackend


class JudgeScorer:
    """Holds the judge model loaded; ``score`` returns per-prompt continuation log-likelihoods."""

    def __init__(self, backend: ModelBackend, workdir: Path, log: Callable[[str], None],
                 batch_size: int = 8, dtype: str | None = None, seed: int = 0,
                 chat_template: bool = False) -> None:
        from workbench.evaluation.offline import (
            detach_cache,
            disable_sample_cache,
            prepare_lighteval,
        )

        prepare_lighteval()
        disable_sample_cache()
        import transformers

        transformers.set_seed(seed)
        self.dtype = dtype or backend.default_dtype()
        self.chat_template = chat_template
        target = backend.lighteval_model(EvalSettings(
            batch_size=batch_size, dtype=self.dtype, chat_template=chat_template,
            system_prompt=None, seed=seed, cache_dir=workdir / "lighteval-cache", log=log))
        model = target.model
        if model is None:
            from lighteval.models.model_loader import load_model

            model = load_model(config=target.config)
        detach_cache(model)
        self.model: Any = model
        self.info = dict(target.info)

    def score(self, prompts: Sequence[str], continuations: Sequence[Sequence[str]]
              ) -> list[list[float]]:
        """log P(continuation | prompt) for each prompt's continuations (" A", " B", ... or
        the options' words)."""
        from lighteval.tasks.requests import Doc

        docs = [Doc(query=p, choices=list(c), gold_index=0, task_name="model_checks", id=str(i))
                for i, (p, c) in enumerate(zip(prompts, continuations, strict=True))]
        responses = self.model.loglikelihood(docs)
        return [[float(x) for x in r.logprobs] for r in responses]

    def close(self) -> None:
        cleanup = getattr(self.model, "cleanup", None)
        if callable(cleanup):
            cleanup()
