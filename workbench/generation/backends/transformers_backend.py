"""transformers on CPU or GPU: the bundled model (converted once from its GGUF) or any
local model directory. No guided decoding: the prompt asks for JSON and validation checks."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

from store.records import Model
from workbench.bundled_model import BUNDLED_LOCATION, gguf_path, resolve_model_dir
from workbench.errors import BackendUnavailable
from workbench.generation.backends.base import Backend, GenerationOptions, require_module
from workbench.settings import Settings


class TransformersBackend(Backend):
    name: ClassVar[str] = "transformers"
    batched: ClassVar[bool] = True

    @classmethod
    def check(cls, model: Model, settings: Settings) -> None:
        """transformers and torch installed; the bundled GGUF or the model folder present."""
        require_module("transformers", "transformers", "Install it with 'pip install transformers'.")
        require_module("torch", "PyTorch", "Install it with 'pip install torch'.")
        if model.location == BUNDLED_LOCATION:
            gguf_path()  # raises BackendUnavailable with the fix
            return
        path = Path(model.location).expanduser()
        if path.exists():
            if not (path / "config.json").is_file():
                raise BackendUnavailable(
                    f"{path} is not a transformers model folder (no config.json).",
                    "Point the model at a folder saved with save_pretrained().",
                )
            return
        if model.location.count("/") != 1:
            raise BackendUnavailable(f"Model folder {path} does not exist.",
                                     "Register the model with an existing folder or a hub id.")
        from huggingface_hub import try_to_load_from_cache

        if not isinstance(try_to_load_from_cache(model.location, "config.json"), str):
            raise BackendUnavailable(
                f"Hub model '{model.location}' is not in the local Hugging Face cache.",
                "Download it first on a machine with network access (huggingface-cli download).",
            )

    def build_llm(self, options: GenerationOptions, seed: int,
                  report: Callable[[str], None]) -> Any:
        import torch
        from distilabel.models.llms import TransformersLLM

        path = resolve_model_dir(self.model.location, self.settings, report)
        device = self.model.params.get("device") or ("cuda" if torch.cuda.is_available() else "cpu")
        return TransformersLLM(model=path, device=device, torch_dtype="auto")

    def generation_kwargs(self, options: GenerationOptions, seed: int) -> dict[str, Any]:
        return {
            "max_new_tokens": options.max_new_tokens,
            "temperature": options.temperature,
            "top_p": options.top_p,
            "do_sample": options.temperature > 0,
        }

    def before_call(self, seed: int) -> None:
        from transformers import set_seed

        set_seed(seed)
