"""The one protocol every model backend implements.

A backend object is made per registered model (``registry.backend_for``). What it answers:

- **registration** (``register``, a classmethod): turn ``workbench models add`` arguments
  into the stored location and params, or raise InvalidInput;
- **here and now** (cheap, no heavy imports, called by the CLI and the TUI before any job):
  ``check`` (BackendUnavailable with a hint when it cannot run), ``formulations`` (which
  scored formulations it supports), ``device_slots`` (accelerator slots its jobs wait for);
- **in a job process**: ``open``/``close`` (convert the bundled model, lease a model server,
  ...), ``revision``, the distilabel LLM for generation (``generation_llm`` and
  ``generation_kwargs``) and the lighteval model for evaluation (``lighteval_model``).

Heavy libraries (torch, transformers, distilabel, lighteval) are imported only inside the
job-process methods.
"""

from __future__ import annotations

import importlib.util
import re
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from store.records import Model
from workbench.errors import BackendUnavailable, InvalidInput
from workbench.settings import Settings

Report = Callable[[str], None]

LOGLIKELIHOOD_FORMULATIONS = ("mcf", "cloze")

# Parameter names that hold a credential. A key is read from the environment when the model
# runs (``api_key_env`` names the variable), so none of these is ever stored with a model:
# the registry's params are copied into job parameters, run settings and reproducibility
# records. store/migrations/008_secret_params.sql removes the same names from older stores.
SECRET_PARAM_NAMES = ("api_key", "apikey", "api_token", "access_token", "auth_token", "token",
                      "hf_token", "openai_api_key", "secret", "client_secret", "password",
                      "authorization", "bearer")
# What `workbench models list` shows for a model whose stored key was removed (migration 007).
SECRETS_REMOVED = "secrets_removed"
ENV_NAME = re.compile(r"[A-Z_][A-Z0-9_]*")
KEY_HINT = ("Put the key in an environment variable and give its NAME: "
            "--api-key-env NAME (default OPENAI_API_KEY). The key itself is never stored.")


def is_secret_name(name: str) -> bool:
    """Whether a parameter called ``name`` would hold a credential (``api_key_env``, the
    variable's name, does not)."""
    key = name.strip().lower().replace("-", "_")
    return key in SECRET_PARAM_NAMES or key.endswith(("_api_key", "_token", "_secret",
                                                      "_password"))


def check_api_key_env(name: str) -> str:
    """``name`` if it is an environment variable's name; InvalidInput when it is not (or
    looks like the key itself: keys have lower-case letters, dashes or dots)."""
    if not ENV_NAME.fullmatch(name):
        raise InvalidInput("--api-key-env takes the NAME of an environment variable "
                           "(upper case, e.g. MY_SERVER_KEY), not the key.", KEY_HINT)
    return name


def refuse_secrets(location: str, params: dict[str, Any]) -> None:
    """InvalidInput when a registration would store a credential: a secret-named param
    (engine args included) or a user:password / key=... in the server URL."""
    found = [f"--engine-arg {k}" for k in (params.get("engine_args") or {}) if is_secret_name(k)]
    found += [k for k in params if k != "engine_args" and is_secret_name(k)]
    if found:
        raise InvalidInput(f"An API key cannot be stored with a model ({', '.join(found)}).",
                           KEY_HINT)
    if "api_key_env" in params:
        check_api_key_env(str(params["api_key_env"]))
    if location.startswith(("http://", "https://")):
        from urllib.parse import parse_qsl, urlsplit

        url = urlsplit(location)
        if url.username or url.password or any(
                is_secret_name(k) or k.lower() == "key" for k, _ in parse_qsl(url.query)):
            raise InvalidInput("The server URL carries a credential; it would be stored.",
                               "Give the URL without user:password@ or ?key=..., and "
                               + KEY_HINT[0].lower() + KEY_HINT[1:])


@dataclass(frozen=True)
class GenerationOptions:
    """How to sample. ``max_new_tokens`` bounds each answer (a truncated one is rejected)."""

    max_new_tokens: int = 320
    temperature: float = 0.7
    top_p: float = 0.95


@dataclass(frozen=True)
class Registration:
    """What ``workbench models add`` was given (exactly one of path, hub_id, url)."""

    path: str | None = None
    hub_id: str | None = None
    url: str | None = None
    endpoint_model: str | None = None
    engine_args: tuple[str, ...] = ()
    api_key_env: str | None = None
    tokenizer: str | None = None

    def only_one_location(self) -> None:
        given = [x for x in (self.path, self.hub_id, self.url) if x]
        if len(given) != 1:
            raise InvalidInput("Give exactly one of --path, --hub-id or --url.")


@dataclass(frozen=True)
class EvalSettings:
    """The evaluation settings a backend needs to build its lighteval model."""

    batch_size: int
    dtype: str
    chat_template: bool
    system_prompt: str | None
    seed: int
    cache_dir: Path
    # Where a served model keeps the answers it already has (resume sends nothing twice).
    request_cache: Path | None = None
    log: Callable[[str], None] | None = None
    progress: Callable[[int, int], None] | None = None


@dataclass
class LightevalTarget:
    """What the pipeline is built with: a lighteval ModelConfig or a ready LightevalModel."""

    config: Any = None
    model: Any = None
    launcher: str = "accelerate"  # lighteval ParallelismManager member name, lower case
    info: dict[str, Any] = field(default_factory=dict)


class ModelBackend(ABC):
    """One way of running a model. Instances are made per registered model."""

    name: ClassVar[str]
    # Generation: many prompts in one call (transformers) or one by one (llama.cpp, servers),
    # which decides how per-item seeds are applied.
    batched: ClassVar[bool] = False
    # Known --engine-arg keys (see engine_args.KNOWN); servers may pass unknown ones through.
    engine_keys: ClassVar[tuple[str, ...]] = ()
    passes_unknown_engine_args: ClassVar[bool] = False
    # Evaluation: whether it can ever be scored (the Evaluate screen lists only those; a
    # server is asked what it supports when a run starts), and whether lighteval's
    # generative built-in tasks run on it.
    may_be_scored: ClassVar[bool] = True
    runs_generative_tasks: ClassVar[bool] = False
    # Whether its written answers (the generative formulation) always go through the model's
    # chat template (a chat endpoint, llama.cpp): such a run cannot be asked without it.
    answers_in_chat_template: ClassVar[bool] = False

    def __init__(self, model: Model, settings: Settings) -> None:
        self.model = model
        self.settings = settings
        # Where the model's files are once opened (the bundled model's converted folder).
        self.location = model.location

    # -- registration ----------------------------------------------------------------------
    @classmethod
    @abstractmethod
    def register(cls, reg: Registration) -> tuple[str, dict[str, Any]]:
        """(location, params) for a new registry entry; InvalidInput when ``reg`` is wrong."""

    @classmethod
    def parse_engine_args(cls, pairs: tuple[str, ...]) -> dict[str, Any]:
        from workbench.backends.engine_args import parse_engine_args

        return parse_engine_args(pairs, cls.engine_keys, cls.passes_unknown_engine_args)

    # -- cheap checks (CLI and TUI) --------------------------------------------------------
    @abstractmethod
    def check(self) -> None:
        """Raise BackendUnavailable (title + hint) if this model cannot run here."""

    def formulations(self) -> tuple[str, ...]:
        """The scored formulations this model supports ('mcf', 'cloze'); may ask a server."""
        return ()

    def why_no_formulations(self) -> str:
        """Why ``formulations()`` is empty, said to the user before a run is refused."""
        return f"the {self.name} backend cannot be scored by lighteval"

    def device_slots(self) -> int:
        """Accelerator slots a job of this model waits for (0: it runs elsewhere)."""
        return int(self.engine_args().get("gpus", 1))

    def engine_args(self) -> dict[str, Any]:
        """The model's engine settings as registered (recorded with every run)."""
        return dict(self.model.params.get("engine_args") or {})

    # -- job process -----------------------------------------------------------------------
    def open(self, report: Report, job_id: int | None = None) -> None:
        """Make the model usable (convert files, start or lease a server). May take long."""
        return None

    def close(self) -> None:
        """Give back what ``open`` took (a server lease). Safe to call twice."""
        return None

    def revision(self) -> str:
        """A string that changes when the model's weights change."""
        return str(self.model.params.get("revision", "main"))

    def default_dtype(self) -> str:
        """The dtype runs use unless the user chose one: bfloat16 on a GPU, else float32."""
        dtype = self.engine_args().get("dtype")
        if dtype and dtype != "auto":
            return str(dtype)
        return "bfloat16" if _cuda_available() else "float32"

    # generation
    @abstractmethod
    def generation_llm(self, options: GenerationOptions, seed: int, report: Report) -> Any:
        """A distilabel LLM for this model, not yet loaded."""

    @abstractmethod
    def generation_kwargs(self, options: GenerationOptions, seed: int) -> dict[str, Any]:
        """Keyword arguments of the distilabel LLM's ``generate`` for one call."""

    def before_call(self, seed: int) -> None:
        """Set global random state before a call (backends whose seed is not an argument)."""
        return None

    @property
    def guided(self) -> bool:
        """Whether output is constrained to the question's JSON schema."""
        return False

    # evaluation
    def chat_template_applied(self, requested: bool | None) -> bool:
        """Whether prompts will be wrapped in the chat template (lighteval's rule)."""
        return bool(requested)

    def scorer(self) -> str:
        """What will compute log-likelihoods in a run (recorded with it; never changes its
        numbers): lighteval's own model for this backend unless the backend says otherwise."""
        return "lighteval"

    def lighteval_model(self, run: EvalSettings) -> LightevalTarget:
        """The lighteval model (or its config) for these settings."""
        raise BackendUnavailable(
            f"Model '{self.model.name}' uses the {self.name} backend, which lighteval cannot "
            "evaluate.", "Register the model with a backend that can be scored.")


def require_module(module: str, what: str, hint: str) -> None:
    """BackendUnavailable unless ``module`` is importable (checked without importing it)."""
    if importlib.util.find_spec(module) is None:
        raise BackendUnavailable(f"{what} is not installed on this machine.", hint)


def _cuda_available() -> bool:
    try:
        import torch
    except ImportError:
        return False
    return bool(torch.cuda.is_available())
