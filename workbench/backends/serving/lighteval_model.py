"""A lighteval model that scores log-likelihoods through a server's completions endpoint
and writes answers (the generative formulation) through its chat endpoint.

lighteval still builds every prompt (its PromptManager, chat template included), runs the
metrics and writes the details; only the forward pass happens on the server. Tokenization
is lighteval's own (``tok_encode_pair(..., pairwise=True)``, special tokens added, context
cut from the left to the model's length), exactly as its transformers backend does, and
the token ids are what the server scores, so both give the same numbers on the same
weights. Written answers need no tokenizer: the server gets the messages lighteval builds
for API models (``prepare_prompt_api``) and applies the model's chat template itself.
Job process only (imports lighteval).
"""

from __future__ import annotations

from typing import Any

from lighteval.models.abstract_model import LightevalModel, ModelConfig
from lighteval.models.model_output import ModelResponse
from lighteval.models.utils import uses_chat_template
from lighteval.tasks.prompt_manager import PromptManager
from lighteval.tasks.requests import Doc

from workbench.backends.serving.chat_replies import ChatRequest
from workbench.backends.serving.prompt_logprobs import PromptScorer, ScoreRequest
from workbench.backends.serving.replier import Replier
from workbench.errors import BackendUnavailable


class ServedModelConfig(ModelConfig):  # type: ignore[misc,unused-ignore]
    """What the run records about the served model (lighteval logs ``model_name``)."""

    base_url: str = ""
    tokenizer: str = ""  # "": none on this machine (written answers only)
    max_length: int = 2048
    add_special_tokens: bool = True
    override_chat_template: bool = False


class _NoSampleCache:
    """lighteval's pipeline wires its sample cache into every model; ours keeps answers
    per request instead (see prompt_logprobs), so this one does nothing."""

    def _init_registry(self, registry: Any) -> None:
        return None


class ServedModel(LightevalModel):  # type: ignore[misc,unused-ignore]
    def __init__(self, config: ServedModelConfig, scorer: PromptScorer | None,
                 replier: Replier | None = None) -> None:
        self.config = config
        self.scorer = scorer
        self.replier = replier
        self._tokenizer: Any = None
        if config.tokenizer:
            from transformers import AutoTokenizer

            try:
                self._tokenizer = AutoTokenizer.from_pretrained(config.tokenizer)  # type: ignore[no-untyped-call]
            except Exception as exc:
                raise BackendUnavailable(
                    f"Cannot load the tokenizer '{config.tokenizer}' of the served model: {exc}",
                    "Register the model with --tokenizer PATH (its folder on this machine or a "
                    "hub id in the local cache).") from None
            self.use_chat_template = uses_chat_template(
                tokenizer=self._tokenizer, override_chat_template=config.override_chat_template)
        else:  # a chat endpoint applies the model's template itself
            self.use_chat_template = True
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
        if self.scorer is None or self._tokenizer is None:
            raise BackendUnavailable(
                f"The server of '{self.model_name}' cannot score log-likelihoods here (no "
                "prompt log-probabilities, or no tokenizer on this machine).",
                "Use --formulation generative, or serve it with vLLM and register "
                "--tokenizer PATH.")
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
        """Per doc, the reply of the server's chat endpoint to lighteval's messages: greedy,
        at most the doc's generation_size tokens. Stop sequences are not sent: the answer is
        read from the text before the first one (answer_extraction), as for a local chat
        model, which lighteval lets write to its end-of-text token; so the stored reply
        shows what the model wrote on every backend."""
        if self.replier is None:
            raise BackendUnavailable("This served model has no chat endpoint configured.",
                                     "Register it with the openai or vllm backend.")
        if not self.use_chat_template:
            raise BackendUnavailable(
                "A chat endpoint always wraps prompts in the model's chat template.",
                "Run the generative formulation without --no-chat-template.")
        requests = []
        for doc in docs:
            messages = self.prompt_manager.prepare_prompt_api(doc)
            requests.append(ChatRequest(
                tuple((str(m["role"]), str(m["content"])) for m in messages),
                int(doc.generation_size or 32)))
        replies = self.replier.replies(requests)
        return [ModelResponse(input=[dict(role=r, content=c) for r, c in req.messages],
                              text=[reply]) for req, reply in zip(requests, replies, strict=True)]

    def cleanup(self) -> None:
        if self.scorer is not None:
            self.scorer.close()
        if self.replier is not None:
            self.replier.close()
