"""Model specs: which backends exist and what a valid registration looks like."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from workbench.errors import InvalidInput

BACKENDS = ("transformers", "vllm", "llama.cpp", "openai")


def validate_model_spec(
    backend: str, path: str | None, hub_id: str | None, url: str | None,
    endpoint_model: str | None = None,
) -> tuple[str, dict[str, Any]]:
    """Check a registration and return (location, params). Raises InvalidInput."""
    given = [x for x in (path, hub_id, url) if x]
    if len(given) != 1:
        raise InvalidInput("Give exactly one of --path, --hub-id or --url.")
    params: dict[str, Any] = {}
    if backend == "openai":
        if not url or not url.startswith(("http://", "https://")):
            raise InvalidInput("The openai backend needs --url http(s)://HOST/v1.",
                               "The API key is read from OPENAI_API_KEY when the model runs.")
        params["endpoint_model"] = endpoint_model or ""
        return url, params
    if url:
        raise InvalidInput(f"--url is only for the openai backend, not {backend}.")
    if path:
        p = Path(path).expanduser().resolve()
        if not p.exists():
            raise InvalidInput(f"{p} does not exist.")
        if backend == "llama.cpp" and not (p.is_file() and p.suffix == ".gguf"):
            raise InvalidInput("The llama.cpp backend needs --path to a .gguf file.")
        if backend in ("transformers", "vllm") and p.is_dir() and not (p / "config.json").exists():
            raise InvalidInput(f"{p} has no config.json: not a model directory.")
        return str(p), params
    if backend == "llama.cpp":
        raise InvalidInput("The llama.cpp backend needs --path to a .gguf file.")
    return str(hub_id), {"hub": True}
