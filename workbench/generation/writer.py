"""Drives the distilabel Task with a backend's LLM: load once, then write questions for a
few rows at a time, each row with its own seed. Heavy (imports distilabel) - job only."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from workbench.backends.base import GenerationOptions, ModelBackend
from workbench.generation.task import RAW_OUTPUT, MultipleChoiceQuestionTask


class QuestionWriter:
    """``write(rows, seeds)`` returns the model's raw text for each row (None if it failed)."""

    def __init__(self, backend: ModelBackend, options: GenerationOptions, prompt_version: str,
                 seed: int) -> None:
        self.backend = backend
        self.options = options
        self.prompt_version = prompt_version
        self.seed = seed
        self.task: Any = None

    def load(self, report: Callable[[str], None]) -> None:
        """Build and load the LLM (model files are read here)."""
        logging.getLogger("distilabel").setLevel(logging.ERROR)
        llm = self.backend.generation_llm(self.options, self.seed, report)
        self.task = MultipleChoiceQuestionTask(
            name="mcq", llm=llm, prompt_version=self.prompt_version, add_raw_input=False,
        )
        self.task.load()

    @property
    def model_name(self) -> str:
        return str(self.task.llm.model_name) if self.task is not None else ""

    def _call(self, rows: list[dict[str, Any]], seed: int) -> list[str | None]:
        self.backend.before_call(seed)
        self.task.llm.generation_kwargs = self.backend.generation_kwargs(self.options, seed)
        outputs = next(self.task.process(rows))
        return [out.get(RAW_OUTPUT) for out in outputs]

    def write(self, rows: list[dict[str, Any]], seeds: list[int],
              between: Callable[[], None] = lambda: None) -> list[str | None]:
        """Raw outputs for ``rows``; ``between`` runs between model calls (cancel checks)."""
        if self.task is None:
            raise RuntimeError("QuestionWriter.load() was not called")
        if self.backend.batched:
            return self._call(rows, seeds[0])
        outputs: list[str | None] = []
        for row, seed in zip(rows, seeds, strict=True):
            outputs.extend(self._call([row], seed))
            between()
        return outputs

    def close(self) -> None:
        if self.task is not None:
            self.task.unload()
