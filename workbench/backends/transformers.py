"""transformers on CPU or GPU: the bundled model (converted once from its GGUF), a local model
folder or a hub id in the local cache. Generation through distilabel's TransformersLLM (no
guided decoding: the prompt asks for JSON and validation checks); evaluation through
lighteval's transformers model, log-likelihoods scored with shared prompt prefixes
(prefix_scorer) unless turned off."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

from workbench.backends.base import (
    LOGLIKELIHOOD_FORMULATIONS,
    EvalSettings,
    GenerationOptions,
    LightevalTarget,
    ModelBackend,
    Registration,
    Report,
    require_module,
)
from workbench.backends.revision import directory_revision
from workbench.bundled_model import BUNDLED_LOCATION, gguf_path, resolve_model_dir
from workbench.errors import BackendUnavailable, InvalidInput
from workbench.evaluation.task_file import GENERATIVE


def local_model_folder(path: str) -> str:
    """A registration's --path as an absolute model folder; InvalidInput otherwise."""
    p = Path(path).expanduser().resolve()
    if not p.exists():
        raise InvalidInput(f"{p} does not exist.")
    if not p.is_dir() or not (p / "config.json").exists():
        raise InvalidInput(f"{p} has no config.json: not a model directory.",
                           "Point --path at a folder saved with save_pretrained().")
    return str(p)


class TransformersBackend(ModelBackend):
    name: ClassVar[str] = "transformers"
    batched: ClassVar[bool] = True
    engine_keys: ClassVar[tuple[str, ...]] = ("dtype", "gpus")
    runs_generative_tasks: ClassVar[bool] = True

    @classmethod
    def register(cls, reg: Registration) -> tuple[str, dict[str, Any]]:
        reg.only_one_location()
        if reg.url:
            raise InvalidInput("--url is for served models (vllm or openai backends).",
                               "Give --path or --hub-id for transformers.")
        params: dict[str, Any] = {}
        engine = cls.parse_engine_args(reg.engine_args)
        if engine:
            params["engine_args"] = engine
        if reg.path:
            return local_model_folder(reg.path), params
        return str(reg.hub_id), {**params, "hub": True}

    def check(self) -> None:
        """transformers and torch installed; the bundled GGUF or the model folder present."""
        require_module("transformers", "transformers", "Install it with 'pip install transformers'.")
        require_module("torch", "PyTorch", "Install it with 'pip install torch'.")
        location = self.model.location
        if location == BUNDLED_LOCATION:
            gguf_path()  # raises BackendUnavailable with the fix
            return
        path = Path(location).expanduser()
        if path.exists():
            if not (path / "config.json").is_file():
                raise BackendUnavailable(
                    f"{path} is not a transformers model folder (no config.json).",
                    "Point the model at a folder saved with save_pretrained().")
            return
        if location.count("/") != 1:
            raise BackendUnavailable(f"Model folder {path} does not exist.",
                                     "Register the model with an existing folder or a hub id.")
        from huggingface_hub import try_to_load_from_cache

        if not isinstance(try_to_load_from_cache(location, "config.json"), str):
            raise BackendUnavailable(
                f"Hub model '{location}' is not in the local Hugging Face cache.",
                "Download it first on a machine with network access (huggingface-cli download).")

    def formulations(self) -> tuple[str, ...]:
        """Letters, cloze and generative (lighteval's greedy_until writes the answers)."""
        return (*LOGLIKELIHOOD_FORMULATIONS, GENERATIVE)

    # -- job process -----------------------------------------------------------------------
    def open(self, report: Report, job_id: int | None = None) -> None:
        self.location = resolve_model_dir(self.model.location, self.settings, report)

    def revision(self) -> str:
        path = Path(self.location)
        if path.is_dir():
            return directory_revision(path, self.settings.home / "cache" / "model-revisions.json")
        return super().revision()

    def generation_llm(self, options: GenerationOptions, seed: int, report: Report) -> Any:
        import torch
        from distilabel.models.llms import TransformersLLM

        path = resolve_model_dir(self.model.location, self.settings, report)
        device = self.model.params.get("device") or ("cuda" if torch.cuda.is_available() else "cpu")
        dtype = self.engine_args().get("dtype", "auto")
        return TransformersLLM(model=path, device=device, torch_dtype=dtype)

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

    def scorer(self) -> str:
        """'prefix-sharing' (workbench.backends.prefix_scorer: lighteval's numbers, prompt
        prefixes shared) unless turned off with WORKBENCH_FAST_SCORER=0: then 'lighteval'."""
        return "prefix-sharing" if self.settings.fast_scorer else "lighteval"

    def lighteval_model(self, run: EvalSettings) -> LightevalTarget:
        """lighteval's TransformersModel, or (the default) its prefix-sharing subclass, which
        scores log-likelihood requests faster with the same numbers and leaves every other
        request to lighteval's own code."""
        from lighteval.models.transformers.transformers_model import TransformersModelConfig

        config = TransformersModelConfig(
            model_name=self.location, batch_size=run.batch_size, dtype=run.dtype,
            override_chat_template=run.chat_template, system_prompt=run.system_prompt,
            revision=str(self.model.params.get("revision", "main")),
            cache_dir=str(run.cache_dir),
        )
        if self.scorer() != "prefix-sharing":
            return LightevalTarget(config=config, launcher="accelerate",
                                   info={"scorer": "lighteval"})
        from workbench.backends.prefix_scorer import PrefixSharingModel

        model = PrefixSharingModel(config)
        return LightevalTarget(model=model, launcher="accelerate", info={"scorer": model.scorer})
