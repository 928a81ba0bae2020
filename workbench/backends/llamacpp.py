"""llama.cpp through llama-cpp-python, for GGUF files (the bundled model ships as one).

Generation only: output is grammar-constrained to the question's JSON schema
(``response_format`` with a schema), which is what makes a small model write JSON-shaped
answers at all. lighteval cannot drive llama.cpp, so it has no scored formulation.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, ClassVar

from workbench.backends.base import (
    GenerationOptions,
    ModelBackend,
    Registration,
    Report,
    require_module,
)
from workbench.errors import BackendUnavailable, InvalidInput
from workbench.generation.schema import MCQ_SCHEMA


class LlamaCppBackend(ModelBackend):
    name: ClassVar[str] = "llama.cpp"
    engine_keys: ClassVar[tuple[str, ...]] = ("gpus",)
    may_be_scored: ClassVar[bool] = False

    @classmethod
    def register(cls, reg: Registration) -> tuple[str, dict[str, Any]]:
        reg.only_one_location()
        if not reg.path:
            raise InvalidInput("The llama.cpp backend needs --path to a .gguf file.")
        p = Path(reg.path).expanduser().resolve()
        if not p.exists():
            raise InvalidInput(f"{p} does not exist.")
        if not (p.is_file() and p.suffix == ".gguf"):
            raise InvalidInput("The llama.cpp backend needs --path to a .gguf file.")
        engine = cls.parse_engine_args(reg.engine_args)
        return str(p), ({"engine_args": engine} if engine else {})

    def check(self) -> None:
        """The package must be installed and the model's location must be a GGUF file."""
        require_module("llama_cpp", "llama-cpp-python",
                       "Install it with 'pip install llama-cpp-python' (builds from source).")
        path = Path(self.model.location).expanduser()
        if not path.is_file():
            raise BackendUnavailable(
                f"The GGUF file of model '{self.model.name}' is missing: {path}.",
                "Register the model again with the path of an existing .gguf file.")

    def why_no_formulations(self) -> str:
        return ("lighteval cannot drive llama.cpp; the bundled model is also registered as "
                "'smollm2-135m' (transformers)")

    def generation_llm(self, options: GenerationOptions, seed: int, report: Report) -> Any:
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
