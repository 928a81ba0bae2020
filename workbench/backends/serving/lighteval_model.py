"""A lighteval model that scores log-likelihoods through a server's completions endpoint.

lighteval still builds every prompt (its PromptManager, chat template included), runs the
metrics and writes the details; only the forward pass happens on the server. Tokenization
is lighteval's own (``tok_encode_pair(..., pairwise=True)``, special tokens added, context
cut from the left to the model's length), exactly as its transformers backend does, and
the token ids are what the server scores, so both give the same numbers on the same
weights. Job process only (imports lighteval).
"""

from __future__ import annotations

from typing import Any

from lighteval.models.abstract_model import LightevalModel, ModelConfig
from lighteval.models.model_output import ModelResponse
from lighteval.models.utils import uses_chat_template
from lighteval.tasks.prompt_manager import PromptManager
from lighteval.tasks.requests import Doc

from workbench.backends.serving.prompt_logprobs import PromptScorer, ScoreRequest
from workbench.errors import BackendUnavailable


class ServedModelConfig(ModelConfig):  # type: ignore[misc]
    """What the run records about the served model (lighteval logs ``model_name``)."""

    base_url: str = ""
    tokenizer: str = ""
    max_length: int = 2048
    add_special_tokens: bool = True
    override_chat_template: bool = False


class _NoSampleCache:
    """lighteval's pipeline wires its sample cache into every model; ours keeps answers
    per request instead (see prompt_logprobs), so this one does nothing."""

    def _init_registry(self, registry: Any) -> None:
        return None


class ServedModel(LightevalModel):  # type: ignore[misc]
    def __init__(self, config: ServedModelConfig, scorer: PromptScorer) -> None:
        from transformers import AutoTokenizer

        self.config = config
        self.scorer = scorer
        try:
            self._tokenizer = AutoTokenizer.from_pretrained(config.tokenizer)  # type: ignore[no-untyped-call]
        except Exception as exc:
            raise BackendUnavailable(
                f"Cannot load the tokenizer '{config.tokenizer}' of the served model: {exc}",
                "Register the model with --tokenizer PATH (its folder on this machine or a "
                "hub id in the local cache).") from None
        self.use_chat_template = uses_chat_template(
            tokenizer=self._tokenizer, override_chat_template=config.override_chat_template)
        self.prompt_manager = PromptManager(use_chat_template=self.use_chat_template,
                                            tokenizer=self._tokenizer,
                                            system_prompt=config.system_prompt)
        self.model_name = config.model_name
        self.model_sha = None
        self._cache = _NoSampleCache()

    @property
    def tokenizer(self) -> Any:
        return self._tokenizer

    @property
    def add_special_tokens(self) -> bool:
        return bool(self.config.add_special_tokens)

    @property
    def max_length(self) -> int:
        return int(self.config.max_length)

    @property
    def disable_tqdm(self) -> bool:
        return True

    def loglikelihood(self, docs: list[Doc]) -> list[ModelResponse]:
        """Per doc, the summed log-probability of each choice after the doc's prompt."""
        plans: list[tuple[list[int], list[list[int]]]] = []
        requests: list[ScoreRequest] = []
        for doc in docs:
            context = self.prompt_manager.prepare_prompt(doc)
            contexts, continuations = self.tok_encode_pair(context, doc.choices, pairwise=True)
            plans.append((list(contexts[0]) if contexts else [], [list(c) for c in continuations]))
            for ctx, cont in zip(contexts, continuations, strict=True):
                whole = (list(ctx) + list(cont))[-self.max_length:]
                requests.append(ScoreRequest(tuple(whole), min(len(cont), len(whole) - 1)))
        scores = iter(self.scorer.score(requests))
        responses = []
        for context_tokens, continuations in plans:
            mine = [next(scores) for _ in continuations]
            responses.append(ModelResponse(
                logprobs=[s.logprob for s in mine],
                argmax_logits_eq_gold=[s.greedy for s in mine],
                input_tokens=context_tokens, output_tokens=continuations,
            ))
        return responses

    def loglikelihood_rolling(self, docs: list[Doc]) -> list[ModelResponse]:
        raise BackendUnavailable("Perplexity tasks are not supported on a served model yet.",
                                 "Run them with the transformers backend.")

    def greedy_until(self, docs: list[Doc]) -> list[ModelResponse]:
        raise BackendUnavailable("Generative tasks are not supported on a served model yet.",
                                 "Run them with the transformers backend.")

    def cleanup(self) -> None:
        self.scorer.close()
