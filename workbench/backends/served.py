"""What every model behind an OpenAI-compatible server shares (the vllm and openai backends).

Registry convention: the model's location is the server's base URL (ending in /v1) and
``params["endpoint_model"]`` the model name to ask for (default: the registry name). The key
comes from the environment: the variable named in ``params["api_key_env"]``, else
OPENAI_API_KEY. It is never stored.

Generation: distilabel's OpenAILLM against the server. Evaluation: lighteval with our
``ServedModel``, which gets log-likelihoods from the server's completions endpoint (echo +
logprobs on token-id prompts); the server is asked once whether it can do that
(``formulations``), so a run that would be refused never starts.
"""

from __future__ import annotations

import json
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
    check_api_key_env,
    require_module,
)
from workbench.backends.serving.http import Endpoint, RequestRefused, RetryPolicy
from workbench.errors import BackendUnavailable, InvalidInput, WorkbenchError
from workbench.evaluation.task_file import GENERATIVE


def check_url(url: str | None, name: str, backend: str) -> str:
    if not url:
        raise BackendUnavailable(
            f"No endpoint URL for model '{name}' (backend {backend}).",
            "Set OPENAI_BASE_URL (e.g. http://127.0.0.1:8000/v1) or register it with "
            f"'workbench models add NAME --backend {backend} --url URL'.")
    if not url.startswith(("http://", "https://")):
        raise BackendUnavailable(f"Server URL '{url}' is not an http(s) URL.",
                                 "Use a URL like http://127.0.0.1:8000/v1.")
    return url


class ServedBackend(ModelBackend):
    """A model that answers over HTTP. Subclasses say where the server is."""

    engine_keys: ClassVar[tuple[str, ...]] = ("concurrency",)
    answers_in_chat_template: ClassVar[bool] = True  # through /v1/chat/completions
    # Generation asks for the question's JSON schema (guided decoding on the server).
    schema_output: ClassVar[bool] = True

    @classmethod
    def register_url(cls, reg: Registration) -> tuple[str, dict[str, Any]]:
        url = reg.url or ""
        if not url.startswith(("http://", "https://")):
            raise InvalidInput(f"The {cls.name} backend needs --url http(s)://HOST/v1.",
                               "The API key is read from the environment when the model runs.")
        params: dict[str, Any] = {"endpoint_model": reg.endpoint_model or ""}
        if reg.api_key_env:
            # The value is not echoed: it may be the key itself, given by mistake.
            params["api_key_env"] = check_api_key_env(reg.api_key_env)
        if reg.tokenizer:
            params["tokenizer"] = reg.tokenizer
        engine = cls.parse_engine_args(reg.engine_args)
        if engine:
            params["engine_args"] = engine
        return url.rstrip("/"), params

    # -- where the server is ---------------------------------------------------------------
    def base_url(self) -> str | None:
        """The server's base URL, or None when it is not known yet (a managed server)."""
        location = self.model.location
        if location.startswith(("http://", "https://")):
            return location
        return self.settings.openai_base_url

    def served_name(self) -> str:
        return str(self.model.params.get("endpoint_model") or self.model.name)

    def endpoint(self) -> Endpoint:
        url = check_url(self.base_url(), self.model.name, self.name)
        env_name = str(self.model.params.get("api_key_env") or "OPENAI_API_KEY")
        key = self.settings.secret(env_name) if env_name != "OPENAI_API_KEY" \
            else self.settings.openai_api_key
        return Endpoint(url, self.served_name(), key, env_name)

    def check(self) -> None:
        """The openai client installed and a server URL known (nothing is sent here)."""
        require_module("openai", "The openai client", "Install it with 'pip install openai'.")
        self.endpoint()

    def device_slots(self) -> int:
        return 0  # the model runs on the server's machine

    def check_key(self) -> None:
        """Before a job starts: RequestRefused (title + hint naming the key's variable) when
        the server refuses the API key. Other trouble (a server that is down, or answers
        only chat requests) is left to the job, which retries and says what failed. A
        server that workbench starts itself (managed vLLM) is not running yet: not asked."""
        if self.base_url() is None:
            return
        try:
            self._facts()
        except RequestRefused as exc:
            if exc.status in (401, 403):
                raise
        except WorkbenchError:
            pass

    def _facts(self) -> Any:
        from workbench.backends.serving.probe import probe

        return probe(self.endpoint())

    def formulations(self) -> tuple[str, ...]:
        """Generative (its chat endpoint writes the answer) on any server that answers;
        letters and cloze too when it returns prompt log-probabilities (asked once)."""
        if self._facts().prompt_logprobs:
            return (*LOGLIKELIHOOD_FORMULATIONS, GENERATIVE)
        return (GENERATIVE,)

    def why_no_formulations(self) -> str:
        try:
            facts = self._facts()
        except WorkbenchError as exc:
            return exc.title
        return (f"the server at {self.endpoint().url} returns no prompt log-probabilities "
                f"({facts.detail}); it can write questions but cannot be scored on letters or "
                "cloze")

    def revision(self) -> str:
        facts = self._facts()
        return json.dumps({"url": self.endpoint().url, "model": self.served_name(),
                           "root": facts.root, "server_version": facts.version}, sort_keys=True)

    def concurrency(self) -> int:
        return int(self.engine_args().get("concurrency") or self.settings.served_concurrency)

    # -- generation ------------------------------------------------------------------------
    def generation_llm(self, options: GenerationOptions, seed: int, report: Report) -> Any:
        from distilabel.models.llms import OpenAILLM
        from pydantic import SecretStr

        endpoint = self.endpoint()
        return OpenAILLM(model=endpoint.model, base_url=endpoint.url,
                         api_key=SecretStr(endpoint.api_key or "none"), max_retries=6,
                         timeout=300)

    def generation_kwargs(self, options: GenerationOptions, seed: int) -> dict[str, Any]:
        from workbench.generation.schema import MCQ_SCHEMA

        response_format: dict[str, Any] = {"type": "json_object"}
        if self.schema_output:
            response_format = {"type": "json_schema", "json_schema": {
                "name": "multiple_choice_question", "schema": MCQ_SCHEMA}}
        # In the request body itself: distilabel types ``response_format`` as a dict of
        # strings, which refuses a JSON schema; the OpenAI client merges extra_body as is.
        return {
            "max_new_tokens": options.max_new_tokens,
            "temperature": options.temperature,
            "top_p": options.top_p,
            "extra_body": {"seed": seed, "response_format": response_format},
        }

    @property
    def guided(self) -> bool:
        return self.schema_output

    # -- evaluation ------------------------------------------------------------------------
    def tokenizer_source(self) -> str:
        """The model's tokenizer on this machine: --tokenizer, else the folder the server
        says it serves (when it is on this machine, as for a managed server)."""
        given = self.model.params.get("tokenizer")
        if given:
            return str(given)
        root = self._facts().root
        if root and Path(root).is_dir():
            return str(root)
        raise BackendUnavailable(
            f"No tokenizer for the served model '{self.model.name}' on this machine.",
            "Register it with --tokenizer PATH_OR_HUB_ID: scoring needs the model's own "
            "tokenizer to build exactly the prompts lighteval builds.")

    def chat_template_applied(self, requested: bool | None) -> bool:
        if requested is False:
            try:
                self.tokenizer_source()
            except BackendUnavailable:
                # Only the chat endpoint can be used, and it always applies the template:
                # a run recorded "without" would not be what ran.
                raise InvalidInput(
                    f"Model '{self.model.name}' can only answer through its server's chat "
                    "endpoint, which always wraps prompts in the model's chat template.",
                    "Run it without --no-chat-template (chat template 'auto' or 'on' on the "
                    "Evaluate screen), or register --tokenizer PATH to score prompts "
                    "without it on a server that returns prompt log-probabilities.") from None
        if requested is not None:
            return requested
        from transformers import AutoTokenizer

        try:
            source = self.tokenizer_source()
        except BackendUnavailable:
            return True  # no tokenizer here: only its chat endpoint, which applies the template
        try:
            tokenizer = AutoTokenizer.from_pretrained(source)  # type: ignore[no-untyped-call]
        except WorkbenchError:
            raise
        except Exception as exc:
            raise BackendUnavailable(f"Cannot load the tokenizer of '{self.model.name}': {exc}",
                                     "Register the model with --tokenizer PATH.") from None
        return getattr(tokenizer, "chat_template", None) is not None

    def lighteval_model(self, run: EvalSettings) -> LightevalTarget:
        """Log-likelihoods from the completions endpoint (when the server returns prompt
        log-probabilities; needs the model's tokenizer here), written answers from the chat
        endpoint (always; no tokenizer needed)."""
        from workbench.backends.serving.chat_replies import ChatReplier
        from workbench.backends.serving.lighteval_model import ServedModel, ServedModelConfig
        from workbench.backends.serving.prompt_logprobs import PromptScorer

        endpoint = self.endpoint()
        facts = self._facts()
        policy = RetryPolicy(attempts=self.settings.served_retries)
        scorer = None
        tokenizer = ""
        if facts.prompt_logprobs:
            tokenizer = self.tokenizer_source()
            scorer = PromptScorer(endpoint, self.concurrency(), run.request_cache, policy,
                                  log=run.log, progress=run.progress)
        else:
            try:
                tokenizer = self.tokenizer_source()
            except BackendUnavailable:
                tokenizer = ""
        # Replies go in the same file as scores (their own table): one cache per job.
        replier = ChatReplier(endpoint, self.concurrency(), run.request_cache, policy,
                              seed=run.seed, log=run.log)
        config = ServedModelConfig(
            model_name=endpoint.model, base_url=endpoint.url,
            tokenizer=tokenizer, max_length=facts.max_model_len or 2048,
            override_chat_template=run.chat_template, system_prompt=run.system_prompt,
            cache_dir=str(run.cache_dir))
        return LightevalTarget(model=ServedModel(config, scorer, replier), launcher="none",
                               info={"server": endpoint.url, "server_version": facts.version,
                                     "served_root": facts.root,
                                     "concurrency": self.concurrency()})
