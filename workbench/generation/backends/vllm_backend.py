"""vLLM (optional extra, for GPU boxes): a local model folder or the bundled model's
converted folder, with the question's JSON schema as guided decoding when outlines is there."""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from typing import Any, ClassVar

from store.records import Model
from workbench.bundled_model import resolve_model_dir
from workbench.generation.backends.base import Backend, GenerationOptions, require_module
from workbench.generation.schema import MCQ_SCHEMA
from workbench.settings import Settings


class VllmBackend(Backend):
    name: ClassVar[str] = "vllm"
    batched: ClassVar[bool] = True

    @classmethod
    def check(cls, model: Model, settings: Settings) -> None:
        """vLLM must be installed (it is the optional 'vllm' extra)."""
        require_module(
            "vllm", "vLLM",
            "Install the extra with \"pip install 'workbench[vllm]'\" on a GPU machine, or "
            "choose a model with the transformers or llama.cpp backend.",
        )

    def build_llm(self, options: GenerationOptions, seed: int,
                  report: Callable[[str], None]) -> Any:
        from distilabel.models.llms import vLLM

        path = resolve_model_dir(self.model.location, self.settings, report)
        structured = None
        if importlib.util.find_spec("outlines") is not None:
            structured = {"format": "json", "schema": MCQ_SCHEMA}
        return vLLM(model=path, seed=seed, structured_output=structured,
                    extra_kwargs=dict(self.model.params.get("engine_args", {})))

    def generation_kwargs(self, options: GenerationOptions, seed: int) -> dict[str, Any]:
        return {
            "max_new_tokens": options.max_new_tokens,
            "temperature": options.temperature,
            "top_p": options.top_p,
            "extra_sampling_params": {"seed": seed},
        }
