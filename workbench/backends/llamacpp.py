"""llama.cpp through llama-cpp-python, for GGUF files (the bundled model ships as one).

Generation: output is grammar-constrained to the question's JSON schema (``response_format``
with a schema), which is what makes a small model write JSON-shaped answers at all.

Evaluation: the generative formulation only. lighteval's ``ServedModel`` builds the prompts
and scores; the answers are written by llama.cpp in the job's process
(``llamacpp_replies.LlamaCppReplier``, the GGUF's own chat template). Letters and cloze need
log-likelihoods of given text, which nothing here asks llama.cpp for: refused with the reason.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, ClassVar

from workbench.backends.base import (
    EvalSettings,
    GenerationOptions,
    LightevalTarget,
    ModelBackend,
    Registration,
    Report,
    require_module,
)
from workbench.backends.revision import directory_revision
from workbench.errors import BackendUnavailable, InvalidInput
from workbench.evaluation.task_file import GENERATIVE
from workbench.generation.schema import MCQ_SCHEMA


class LlamaCppBackend(ModelBackend):
    name: ClassVar[str] = "llama.cpp"
    engine_keys: ClassVar[tuple[str, ...]] = ("gpus", "max_model_len")
    may_be_scored: ClassVar[bool] = True
    answers_in_chat_template: ClassVar[bool] = True  # create_chat_completion

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

    def formulations(self) -> tuple[str, ...]:
        """Generative only: llama.cpp writes the answer."""
        return (GENERATIVE,)

    def why_no_formulations(self) -> str:
        return ("the llama.cpp backend writes answers but gives lighteval no log-likelihoods, "
                "which letters and cloze are scored on (register the same weights with the "
                "transformers backend for those)")

    def llama_kwargs(self) -> dict[str, Any]:
        """``llama_cpp.Llama``'s arguments for this model, generation and evaluation alike."""
        # Half the cores by default: on a busy machine, llama.cpp threads that wait on each
        # other were 3-9x slower than one thread (measured on 2 shared cores).
        threads = int(self.model.params.get("n_threads", 0)) or max(1, (os.cpu_count() or 2) // 2)
        return {"model_path": str(Path(self.model.location).expanduser()),
                "n_ctx": int(self.engine_args().get("max_model_len")
                             or self.model.params.get("n_ctx", 2048)),
                "n_gpu_layers": int(self.model.params.get("n_gpu_layers", 0)),
                "n_threads": threads}

    def revision(self) -> str:
        """A content hash of the GGUF file (remembered while its size and time are unchanged)."""
        return directory_revision(Path(self.model.location).expanduser(),
                                  self.settings.home / "cache" / "model-revisions.json")

    def generation_llm(self, options: GenerationOptions, seed: int, report: Report) -> Any:
        from distilabel.models.llms import LlamaCppLLM

        args = self.llama_kwargs()
        return LlamaCppLLM(
            model_path=args["model_path"], n_ctx=args["n_ctx"],
            n_gpu_layers=args["n_gpu_layers"], seed=seed, verbose=False,
            extra_kwargs={"n_threads": args["n_threads"]},
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

    # -- evaluation ------------------------------------------------------------------------
    def chat_template_applied(self, requested: bool | None) -> bool:
        """Always: llama.cpp wraps the messages in the GGUF's chat template. A run asked
        without it (--no-chat-template) is refused, before its job when asked through
        ``plan.check_models``."""
        if requested is False:
            raise InvalidInput(
                f"Model '{self.model.name}' (llama.cpp) always wraps prompts in the chat "
                "template of its GGUF file; it cannot be evaluated without it.",
                "Run the generative formulation without --no-chat-template (chat template "
                "'auto' or 'on' on the Evaluate screen).")
        return True

    def lighteval_model(self, run: EvalSettings) -> LightevalTarget:
        """lighteval's prompts and metrics through ``ServedModel``, with no log-likelihood
        scorer and llama.cpp in this process writing the answers (replies kept in the job's
        reply cache, so a resume writes only what is missing)."""
        from workbench.backends.llamacpp_replies import LlamaCppReplier
        from workbench.backends.serving.lighteval_model import ServedModel, ServedModelConfig

        args = self.llama_kwargs()
        replier = LlamaCppReplier(self.model.name, args, self.revision(), seed=run.seed,
                                  cache_path=run.request_cache, log=run.log)
        config = ServedModelConfig(
            model_name=self.model.name, max_length=args["n_ctx"], override_chat_template=True,
            system_prompt=run.system_prompt, cache_dir=str(run.cache_dir))
        return LightevalTarget(model=ServedModel(config, None, replier), launcher="none",
                               info={"runtime": "llama-cpp-python in the job process",
                                     "llama_cpp_version": _llama_cpp_version(),
                                     "n_ctx": args["n_ctx"], "n_threads": args["n_threads"],
                                     "n_gpu_layers": args["n_gpu_layers"]})


def _llama_cpp_version() -> str:
    import importlib.metadata

    try:
        return importlib.metadata.version("llama-cpp-python")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"
