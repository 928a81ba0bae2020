"""llama.cpp through llama-cpp-python, for GGUF files (the bundled model ships as one).

Output is grammar-constrained to the question's JSON schema (``response_format`` with a
schema), which is what makes a small model write JSON-shaped answers at all.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

from store.records import Model
from workbench.errors import BackendUnavailable
from workbench.generation.backends.base import Backend, GenerationOptions, require_module
from workbench.generation.schema import MCQ_SCHEMA
from workbench.settings import Settings


class LlamaCppBackend(Backend):
    name: ClassVar[str] = "llama.cpp"

    @classmethod
    def check(cls, model: Model, settings: Settings) -> None:
        """The package must be installed and the model's location must be a GGUF file."""
        require_module("llama_cpp", "llama-cpp-python",
                       "Install it with 'pip install llama-cpp-python' (builds from source).")
        path = Path(model.location).expanduser()
        if not path.is_file():
            raise BackendUnavailable(
                f"The GGUF file of model '{model.name}' is missing: {path}.",
                "Register the model again with the path of an existing .gguf file.",
            )

    def build_llm(self, options: GenerationOptions, seed: int,
                  report: Callable[[str], None]) -> Any:
        from distilabel.models.llms import LlamaCppLLM

        # Half the cores by default: on a busy machine, llama.cpp threads that wait on each
        # other were 3-9x slower than one thread (measured on 2 shared cores).
        threads = int(self.model.params.get("n_threads", 0)) or max(1, (os.cpu_count() or 2) // 2)
        return LlamaCppLLM(
            model_path=str(Path(self.model.location).expanduser()),
            n_ctx=int(self.model.params.get("n_ctx", 2048)),
            n_gpu_layers=int(self.model.params.get("n_gpu_layers", 0)),
            seed=seed,
            verbose=False,
            extra_kwargs={"n_threads": threads},
        )

    def generation_kwargs(self, options: GenerationOptions, seed: int) -> dict[str, Any]:
        return {
            "max_new_tokens": options.max_new_tokens,
            "temperature": options.temperature,
            "top_p": options.top_p,
            "extra_generation_kwargs": {
                "seed": seed,
                "response_format": {"type": "json_object", "schema": MCQ_SCHEMA},
            },
        }

    @property
    def guided(self) -> bool:
        return True
