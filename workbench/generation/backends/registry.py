"""Backend names (as stored in the model registry) -> their modules. Light to import."""

from __future__ import annotations

import importlib

from store.records import Model
from workbench.errors import BackendUnavailable
from workbench.generation.backends.base import Backend
from workbench.settings import Settings

BACKENDS: dict[str, str] = {
    "transformers": "workbench.generation.backends.transformers_backend:TransformersBackend",
    "llama.cpp": "workbench.generation.backends.llamacpp_backend:LlamaCppBackend",
    "vllm": "workbench.generation.backends.vllm_backend:VllmBackend",
    "openai": "workbench.generation.backends.openai_backend:OpenAIBackend",
}
ALIASES = {"llamacpp": "llama.cpp", "llama_cpp": "llama.cpp", "openai-compatible": "openai",
           "endpoint": "openai", "hf": "transformers"}


def backend_class(name: str) -> type[Backend]:
    """The Backend class registered under ``name``; BackendUnavailable for unknown names."""
    key = ALIASES.get(name.lower(), name.lower())
    target = BACKENDS.get(key)
    if target is None:
        raise BackendUnavailable(
            f"Unknown generation backend '{name}'.",
            f"Use one of: {', '.join(BACKENDS)}.",
        )
    module_name, attr = target.split(":")
    cls: type[Backend] = getattr(importlib.import_module(module_name), attr)
    return cls


def check_model(model: Model, settings: Settings) -> type[Backend]:
    """Raise BackendUnavailable unless ``model`` can generate here; returns its backend."""
    cls = backend_class(model.backend)
    cls.check(model, settings)
    return cls
