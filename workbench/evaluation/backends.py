"""Evaluation backends: how a registered model becomes a lighteval model config.

One small interface, one class per backend, chosen by the registry's backend name. Runs in
the job process only (lighteval is imported inside the methods).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from store.records import Model
from workbench.bundled_model import resolve_model_dir
from workbench.errors import BackendUnavailable
from workbench.evaluation.plan import RunOptions
from workbench.settings import Settings

_WEIGHT_SUFFIXES = (".safetensors", ".bin", ".gguf", ".pt")
_HASHED_FILES = ("config.json", "tokenizer.json", "tokenizer_config.json",
                 "special_tokens_map.json", "generation_config.json", "chat_template.jinja")


def directory_revision(path: Path, cache_file: Path | None = None) -> str:
    """A content hash of a model directory's weights, config and tokenizer files.

    With ``cache_file``, the hash is remembered with each file's size and modification time
    and reused while they are unchanged (hashing 0.5 GB of weights takes seconds)."""
    files = sorted(p for p in path.iterdir() if p.is_file() and (
        p.suffix in _WEIGHT_SUFFIXES or p.name in _HASHED_FILES))
    stamp = [[f.name, f.stat().st_size, f.stat().st_mtime_ns] for f in files]
    cache: dict[str, Any] = {}
    if cache_file is not None:
        try:
            cache = json.loads(cache_file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            cache = {}
        known = cache.get(str(path))
        if isinstance(known, dict) and known.get("files") == stamp:
            return str(known["revision"])
    revision = _hash_files(files)
    if cache_file is not None:
        cache[str(path)] = {"files": stamp, "revision": revision}
        cache_file.parent.mkdir(parents=True, exist_ok=True)
        partial = cache_file.with_suffix(f".{os.getpid()}.tmp")
        partial.write_text(json.dumps(cache, indent=1), encoding="utf-8")
        os.replace(partial, cache_file)
    return revision


def _hash_files(files: list[Path]) -> str:
    digest = hashlib.sha256()
    for file in files:
        digest.update(file.name.encode() + b"\0")
        with open(file, "rb") as f:
            while chunk := f.read(1 << 22):
                digest.update(chunk)
    return "sha256:" + digest.hexdigest()


class EvalBackend:
    """What the evaluation job asks of a backend. Subclasses override what differs."""

    name = ""
    supports_loglikelihood = True

    def __init__(self, model: Model, settings: Settings) -> None:
        self.model = model
        self.settings = settings
        self.location = model.location

    def prepare(self, report: Callable[[str], None]) -> None:
        """Make the model usable (e.g. convert the bundled GGUF); may take a while."""

    def revision(self) -> str:
        """A string that changes when the model's weights change."""
        return str(self.model.params.get("revision", "main"))

    def chat_template_applied(self, requested: bool | None) -> bool:
        """Whether prompts will be wrapped in the chat template (lighteval's rule)."""
        return bool(requested)

    def lighteval_config(self, options: RunOptions, chat_template: bool, cache_dir: Path) -> Any:
        """The lighteval ModelConfig for this model and these settings."""
        raise NotImplementedError

    def launcher(self) -> Any:
        """lighteval's ParallelismManager member to run the pipeline with."""
        from lighteval.pipeline import ParallelismManager

        return ParallelismManager.ACCELERATE


class TransformersBackend(EvalBackend):
    name = "transformers"

    def prepare(self, report: Callable[[str], None]) -> None:
        self.location = resolve_model_dir(self.model.location, self.settings, report)

    def revision(self) -> str:
        path = Path(self.location)
        if path.is_dir():
            return directory_revision(path, self.settings.home / "cache" / "model-revisions.json")
        return super().revision()

    def chat_template_applied(self, requested: bool | None) -> bool:
        if requested is not None:
            return requested
        from transformers import AutoTokenizer

        try:
            tokenizer = AutoTokenizer.from_pretrained(self.location)  # type: ignore[no-untyped-call]
        except Exception as exc:
            raise BackendUnavailable(
                f"Cannot load the tokenizer of '{self.model.name}' from {self.location}: {exc}",
                "Check the model's location with 'workbench models list'.") from None
        return getattr(tokenizer, "chat_template", None) is not None

    def lighteval_config(self, options: RunOptions, chat_template: bool, cache_dir: Path) -> Any:
        from lighteval.models.transformers.transformers_model import TransformersModelConfig

        return TransformersModelConfig(
            model_name=self.location, batch_size=options.batch_size, dtype=options.dtype,
            override_chat_template=chat_template, system_prompt=options.system_prompt,
            revision=str(self.model.params.get("revision", "main")), cache_dir=str(cache_dir),
        )


class VLLMBackend(TransformersBackend):
    name = "vllm"

    def prepare(self, report: Callable[[str], None]) -> None:
        import importlib.util

        if importlib.util.find_spec("vllm") is None:
            raise BackendUnavailable(
                f"Model '{self.model.name}' uses the vLLM backend, which is not installed.",
                "On a GPU machine: pip install 'workbench[vllm]'. Or register the model with "
                "--backend transformers.")
        super().prepare(report)

    def lighteval_config(self, options: RunOptions, chat_template: bool, cache_dir: Path) -> Any:
        from lighteval.models.vllm.vllm_model import VLLMModelConfig

        return VLLMModelConfig(
            model_name=self.location, dtype=options.dtype, seed=options.seed,
            override_chat_template=chat_template, system_prompt=options.system_prompt,
            revision=str(self.model.params.get("revision", "main")), cache_dir=str(cache_dir),
        )

    def launcher(self) -> Any:
        from lighteval.pipeline import ParallelismManager

        return ParallelismManager.VLLM


class OpenAIBackend(EvalBackend):
    """An OpenAI-compatible endpoint through lighteval's LiteLLM client. Chat endpoints give
    no log-likelihoods of given text, so only generative tasks can run on them."""

    name = "openai"
    supports_loglikelihood = False

    def prepare(self, report: Callable[[str], None]) -> None:
        import importlib.util

        if importlib.util.find_spec("litellm") is None:
            raise BackendUnavailable(
                f"Model '{self.model.name}' is an OpenAI-compatible endpoint; lighteval talks "
                "to endpoints through 'litellm', which is not installed.",
                "pip install litellm, or evaluate a local model.")

    def revision(self) -> str:
        return json.dumps({"url": self.model.location,
                           "model": self.model.params.get("endpoint_model", "")}, sort_keys=True)

    def chat_template_applied(self, requested: bool | None) -> bool:
        return True  # the endpoint always applies its own template

    def lighteval_config(self, options: RunOptions, chat_template: bool, cache_dir: Path) -> Any:
        from lighteval.models.endpoints.litellm_model import LiteLLMModelConfig

        name = self.model.params.get("endpoint_model") or self.model.name
        return LiteLLMModelConfig(
            model_name=f"openai/{name}", provider="openai", base_url=self.model.location,
            api_key=self.settings.openai_api_key, system_prompt=options.system_prompt,
            cache_dir=str(cache_dir),
        )

    def launcher(self) -> Any:
        from lighteval.pipeline import ParallelismManager

        return ParallelismManager.NONE


BACKENDS: dict[str, type[EvalBackend]] = {
    "transformers": TransformersBackend, "vllm": VLLMBackend, "openai": OpenAIBackend,
}


def backend_for(model: Model, settings: Settings) -> EvalBackend:
    """The backend of a registered model; BackendUnavailable for one that cannot evaluate."""
    cls = BACKENDS.get(model.backend)
    if cls is None:
        hint = ("The bundled model is also registered as 'smollm2-135m' (transformers)."
                if model.backend == "llama.cpp" else "Use transformers, vllm or openai.")
        raise BackendUnavailable(
            f"Model '{model.name}' uses the {model.backend} backend, which lighteval cannot "
            "evaluate.", hint)
    return cls(model, settings)
