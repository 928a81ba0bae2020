"""Any OpenAI-compatible chat endpoint (vLLM serve, llama.cpp server, hosted APIs).

Registry convention (shared with evaluation and ``workbench models add --url``): the model's
location is the endpoint's base URL and ``params["endpoint_model"]`` the model name to ask
for (default: the registry name). A location that is not a URL falls back to
OPENAI_BASE_URL; the key comes from OPENAI_API_KEY (or ``params["api_key"]``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from store.records import Model
from workbench.errors import BackendUnavailable
from workbench.generation.backends.base import Backend, GenerationOptions, require_module
from workbench.settings import Settings


def endpoint_url(model: Model, settings: Settings) -> str | None:
    """The endpoint's base URL: the model's own, else the settings'."""
    if model.location.startswith(("http://", "https://")):
        return model.location
    url = model.params.get("base_url") or settings.openai_base_url
    return str(url) if url else None


def endpoint_model_name(model: Model) -> str:
    """The model name sent to the endpoint."""
    return str(model.params.get("endpoint_model") or model.name)


class OpenAIBackend(Backend):
    name: ClassVar[str] = "openai"

    @classmethod
    def check(cls, model: Model, settings: Settings) -> None:
        """The openai client installed and an endpoint URL known (nothing is sent here)."""
        require_module("openai", "The openai client", "Install it with 'pip install openai'.")
        url = endpoint_url(model, settings)
        if not url:
            raise BackendUnavailable(
                f"No endpoint URL for model '{model.name}' (backend openai).",
                "Set OPENAI_BASE_URL (e.g. http://127.0.0.1:8000/v1) and OPENAI_API_KEY, or "
                "register it with 'workbench models add NAME --backend openai --url URL'.",
            )
        if not url.startswith(("http://", "https://")):
            raise BackendUnavailable(f"Endpoint URL '{url}' is not an http(s) URL.",
                                     "Use a URL like http://127.0.0.1:8000/v1.")

    def build_llm(self, options: GenerationOptions, seed: int,
                  report: Callable[[str], None]) -> Any:
        from distilabel.models.llms import OpenAILLM
        from pydantic import SecretStr

        key = self.model.params.get("api_key") or self.settings.openai_api_key or "none"
        return OpenAILLM(model=endpoint_model_name(self.model), base_url=endpoint_url(self.model, self.settings),
                         api_key=SecretStr(key), max_retries=2, timeout=300)

    def generation_kwargs(self, options: GenerationOptions, seed: int) -> dict[str, Any]:
        return {
            "max_new_tokens": options.max_new_tokens,
            "temperature": options.temperature,
            "top_p": options.top_p,
            "response_format": {"type": "json_object"},
        }
