"""The interface every generation backend implements.

A backend knows three things: whether it can run here (``check``, cheap, called before a
job starts, in the TUI too), how to build the distilabel LLM for a registered model
(``build_llm``, called in the job process), and the generation arguments for one call with
a given seed (``generation_kwargs``). Heavy imports happen only inside ``build_llm``.
"""

from __future__ import annotations

import importlib.util
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

from store.records import Model
from workbench.errors import BackendUnavailable
from workbench.settings import Settings


@dataclass(frozen=True)
class GenerationOptions:
    """How to sample. ``max_new_tokens`` bounds each answer (a truncated one is rejected)."""

    max_new_tokens: int = 320
    temperature: float = 0.7
    top_p: float = 0.95


class Backend(ABC):
    """One way of running a model. Instances are made per job for one registered model."""

    name: ClassVar[str]
    # Whether many prompts go to the model in one call (transformers, vLLM) or one by one
    # (llama.cpp, endpoints), which decides how per-item seeds are applied.
    batched: ClassVar[bool] = False

    def __init__(self, model: Model, settings: Settings) -> None:
        self.model = model
        self.settings = settings

    @classmethod
    @abstractmethod
    def check(cls, model: Model, settings: Settings) -> None:
        """Raise BackendUnavailable (title + hint) if this model cannot run here.

        Cheap and free of heavy imports: it runs before the job starts, in the TUI too.
        """

    @abstractmethod
    def build_llm(self, options: GenerationOptions, seed: int,
                  report: Callable[[str], None]) -> Any:
        """A distilabel LLM for this model, not yet loaded. May convert or locate files."""

    @abstractmethod
    def generation_kwargs(self, options: GenerationOptions, seed: int) -> dict[str, Any]:
        """Keyword arguments of the distilabel LLM's ``generate`` for one call."""

    def before_call(self, seed: int) -> None:
        """Set global random state before a call (backends whose seed is not an argument).
        The default does nothing: most backends take the seed in ``generation_kwargs``."""
        return None

    @property
    def guided(self) -> bool:
        """Whether output is constrained to the JSON schema (grammar / guided decoding)."""
        return False


def require_module(module: str, what: str, hint: str) -> None:
    """BackendUnavailable unless ``module`` is importable (checked without importing it)."""
    if importlib.util.find_spec(module) is None:
        raise BackendUnavailable(f"{what} is not installed on this machine.", hint)
