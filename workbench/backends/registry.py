"""The one registry of model backends: name -> class. Light to import (every backend module
is; heavy libraries load inside their job-process methods)."""

from __future__ import annotations

from store.records import Model
from workbench.backends.base import ModelBackend, Registration, refuse_secrets
from workbench.backends.llamacpp import LlamaCppBackend
from workbench.backends.openai import OpenAIBackend
from workbench.backends.transformers import TransformersBackend
from workbench.backends.vllm import VllmBackend
from workbench.errors import BackendUnavailable, InvalidInput
from workbench.settings import Settings

BACKENDS: dict[str, type[ModelBackend]] = {
    cls.name: cls for cls in (TransformersBackend, LlamaCppBackend, VllmBackend, OpenAIBackend)
}
ALIASES = {"llamacpp": "llama.cpp", "llama_cpp": "llama.cpp", "openai-compatible": "openai",
           "endpoint": "openai", "hf": "transformers"}


def backend_class(name: str) -> type[ModelBackend]:
    """The backend registered under ``name``; BackendUnavailable for unknown names."""
    cls = BACKENDS.get(ALIASES.get(name.lower(), name.lower()))
    if cls is None:
        raise BackendUnavailable(f"Unknown model backend '{name}'.",
                                 f"Use one of: {', '.join(BACKENDS)}.")
    return cls


def backend_for(model: Model, settings: Settings) -> ModelBackend:
    """The backend object of a registered model."""
    return backend_class(model.backend)(model, settings)


def check_model(model: Model, settings: Settings) -> ModelBackend:
    """Raise BackendUnavailable unless ``model`` can run here; returns its backend."""
    backend = backend_for(model, settings)
    backend.check()
    return backend


def validate_registration(backend: str, reg: Registration) -> tuple[str, dict[str, object]]:
    """(location, params) for ``workbench models add``; InvalidInput when wrong, or when
    it would store an API key (keys come from the environment, by variable name)."""
    if backend not in BACKENDS:
        raise InvalidInput(f"Unknown backend '{backend}'.", f"Use one of: {', '.join(BACKENDS)}.")
    location, params = BACKENDS[backend].register(reg)
    refuse_secrets(location, params)
    return location, params


def scorable_formulations(model: Model, settings: Settings) -> tuple[tuple[str, ...], str]:
    """(formulations, why none) for a model: what the Evaluate screen and ``eval run``
    offer. Asks a server at most once a minute; never raises."""
    from workbench.errors import WorkbenchError

    backend = backend_for(model, settings)
    try:
        found = backend.formulations()
    except WorkbenchError as exc:
        return (), exc.title
    return found, "" if found else backend.why_no_formulations()
