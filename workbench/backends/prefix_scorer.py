"""lighteval's transformers model, scoring log-likelihoods with shared prompt prefixes.

lighteval's own backend scores every option of a question as a separate sequence, context
plus option: for the letters formulation it runs the whole prompt once per option to read
one token each time, and for cloze it re-encodes the question for every option. This model
is lighteval's ``TransformersModel`` (same loading, chat template, tokenization, generation
and perplexity paths) with one method replaced: ``loglikelihood``.

Per question it tokenizes exactly as lighteval does (``tok_encode_pair(prompt, choices,
pairwise=True)``: the context once, each option on its own, the prompt's trailing
whitespace moved into the options), so every option's token sequence is the shared context
followed by that option's tokens. Then:

- the **prefix** is the context plus the leading tokens every option has in common (with the
  chat template the options of the letters formulation start with the same newline token);
  it goes through the model once, and the log-probabilities of all the shared tokens and of
  each option's first own token are read from it. When every option is one token past the
  prefix (letters: " A", " B", ...), that is the whole question: one forward pass;
- the **rest** of each option (cloze: the option's text) runs after the prefix's KV cache,
  all options of the question in one batch;
- prefixes are batched by length (longest first, right-padded, as lighteval pads), and
  within a batch the tokens every question starts with (the instruction and the few-shot
  examples, when they repeat) are encoded once and their cache shared by the batch;
- only the positions that are read go through the output layer (``logits_to_keep``).

The numbers are lighteval's: per-option log-likelihoods equal its backend's to float
precision (tests/evaluation/test_fast_scorer.py checks 1e-4 on every option, predictions and
metrics identical), and the response carries what lighteval's does (the greedy flags, the
context tokens, the options' tokens padded with -1, which token-normalised metrics count).

Requests it does not cover go to lighteval's own code on the same weights: questions whose
sequences would be cut to the model's length, an empty context or option, several
processes (data parallel), models whose cache cannot be shared this way (sliding-window
layers, no ``logits_to_keep``), and every other kind of request (generation, perplexity).
Job process only (imports torch, transformers and lighteval).
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import Any

import torch
from lighteval.models.model_output import ModelResponse
from lighteval.models.transformers.transformers_model import TransformersModel
from lighteval.tasks.requests import Doc, SamplingMethod
from lighteval.utils.cache_management import cached
from torch.nn.utils.rnn import pad_sequence

SCORER = "prefix-sharing"
LIGHTEVAL_SCORER = "lighteval"
# Tokens the questions of a batch must have in common before that prefix is encoded once for
# the batch: below this, an extra forward pass costs more than it saves.
MIN_BATCH_PREFIX = 32
DEFAULT_BATCH_SIZE = 8


def prefix_sharing_unsupported(model: Any) -> str | None:
    """Why this transformers model cannot be scored with shared prefixes (None: it can)."""
    from transformers import DynamicCache

    config = model.config
    if getattr(config, "is_encoder_decoder", False):
        return "encoder-decoder model"
    params = inspect.signature(model.forward).parameters
    if "past_key_values" not in params or "logits_to_keep" not in params:
        return f"{type(model).__name__}.forward takes no past_key_values/logits_to_keep"
    # The cache transformers itself would build for this model: sliding-window layers keep
    # only their last tokens, so a prefix could not be cut out of them.
    cache = DynamicCache(config=config)
    if any(getattr(layer, "is_sliding", False) for layer in getattr(cache, "layers", [])):
        return "sliding-window attention layers"
    return None


def common_prefix_length(sequences: list[list[int]]) -> int:
    """How many leading tokens all ``sequences`` share."""
    if not sequences:
        return 0
    first, n = sequences[0], min(len(s) for s in sequences)
    for i in range(n):
        if any(s[i] != first[i] for s in sequences[1:]):
            return i
    return n


@dataclass
class QuestionPlan:
    """One loglikelihood request split into the prefix run once and each option's rest."""

    context: list[int]  # lighteval's context tokens
    continuations: list[list[int]]  # lighteval's tokens of each option
    shared: int  # leading option tokens every option has (part of the prefix)

    @classmethod
    def of(cls, context: list[int], continuations: list[list[int]]) -> QuestionPlan:
        # Every option keeps at least one token after the prefix: it is read at the
        # prefix's last position.
        shared = min(common_prefix_length(continuations),
                     min(len(c) for c in continuations) - 1)
        return cls(context, continuations, shared)

    @property
    def prefix(self) -> list[int]:
        return self.context + self.continuations[0][:self.shared]

    @property
    def first_read(self) -> int:
        """The position whose logits predict the options' first token."""
        return len(self.context) - 1

    def needs_rest(self) -> bool:
        """Whether some option goes on after the token read at the prefix's end."""
        return any(len(c) > self.shared + 1 for c in self.continuations)


class PrefixSharingModel(TransformersModel):  # type: ignore[misc]
    """lighteval's TransformersModel whose ``loglikelihood`` shares prompt prefixes."""

    def __init__(self, config: Any) -> None:
        super().__init__(config)
        self._unsupported = prefix_sharing_unsupported(self.model)

    @property
    def scorer(self) -> str:
        """What scores log-likelihoods: 'prefix-sharing', or 'lighteval (why)'."""
        if self._unsupported:
            return f"{LIGHTEVAL_SCORER} ({self._unsupported})"
        return SCORER

    @cached(SamplingMethod.LOGPROBS)  # type: ignore[misc]
    def loglikelihood(self, docs: list[Doc]) -> list[ModelResponse]:
        """Per doc, each choice's summed log-probability after the doc's prompt (lighteval's
        numbers; see the module docstring)."""
        processes = getattr(self.accelerator, "num_processes", 1) if self.accelerator else 1
        if self._unsupported or processes > 1:
            return list(self._loglikelihood_tokens(docs))
        responses: list[ModelResponse | None] = [None] * len(docs)
        plans: list[tuple[int, QuestionPlan]] = []
        elsewhere: list[int] = []
        for i, doc in enumerate(docs):
            prompt = self.prompt_manager.prepare_prompt(doc)
            contexts, continuations = self.tok_encode_pair(prompt, doc.choices, pairwise=True)
            context = list(contexts[0]) if contexts else []
            options = [list(c) for c in continuations]
            if (not context or not options or any(not c for c in options)
                    or len(context) + max(len(c) for c in options) > self.max_length):
                elsewhere.append(i)  # lighteval cuts these from the left: its own code does
                continue
            plans.append((i, QuestionPlan.of(context, options)))
        if elsewhere:
            theirs = self._loglikelihood_tokens([docs[i] for i in elsewhere])
            for i, response in zip(elsewhere, theirs, strict=True):
                responses[i] = response
        plans.sort(key=lambda p: -len(p[1].prefix))
        size = self.config.batch_size or DEFAULT_BATCH_SIZE
        with torch.inference_mode():
            for start in range(0, len(plans), size):
                batch = plans[start:start + size]
                for (i, _), response in zip(batch, self._score_batch([p for _, p in batch]),
                                            strict=True):
                    responses[i] = response
        return [r for r in responses if r is not None]

    # -- the forward passes ----------------------------------------------------------------
    def _score_batch(self, plans: list[QuestionPlan]) -> list[ModelResponse]:
        """Score the questions of one batch: one pass over their prefixes (after their
        common start, encoded once), then one pass per question over its options' rests."""
        device = self.device
        prefixes = [p.prefix for p in plans]
        # The batch's common start, ending before the first position any question reads.
        common = min(common_prefix_length(prefixes), min(p.first_read for p in plans))
        past = None
        if len(plans) > 1 and common >= MIN_BATCH_PREFIX:
            ids = torch.tensor([prefixes[0][:common]], dtype=torch.long, device=device)
            past = self.model(input_ids=ids, use_cache=True, logits_to_keep=1).past_key_values
            past = _cache_of([(k.expand(len(plans), -1, -1, -1), v.expand(len(plans), -1, -1, -1))
                              for k, v in _layer_states(past)])
        else:
            common = 0
        rests = [p[common:] for p in prefixes]
        width = max(len(r) for r in rests)
        pad = self.tokenizer.pad_token_id if self.tokenizer.pad_token_id is not None else 0
        ids = torch.full((len(plans), width), pad, dtype=torch.long)
        for row, rest in enumerate(rests):
            ids[row, :len(rest)] = torch.tensor(rest, dtype=torch.long)
        read = [range(p.first_read - common, len(p.prefix) - common) for p in plans]
        keep = sorted({pos for positions in read for pos in positions})
        column = {pos: j for j, pos in enumerate(keep)}
        needs_rest = any(p.needs_rest() for p in plans)
        out = self.model(input_ids=ids.to(device), past_key_values=past, use_cache=needs_rest,
                         logits_to_keep=torch.tensor(keep, dtype=torch.long, device=device))
        logprobs = torch.log_softmax(out.logits, dim=-1)  # [batch, len(keep), vocab]
        layers = _layer_states(out.past_key_values) if needs_rest else []
        responses = []
        for row, plan in enumerate(plans):
            columns = [column[pos] for pos in read[row]]
            heads = logprobs[row, columns]  # [shared + 1, vocab]
            rest_scores = self._score_rests(plan, layers, row) if plan.needs_rest() else {}
            responses.append(self._response(plan, heads, rest_scores))
        return responses

    def _score_rests(self, plan: QuestionPlan, layers: list[tuple[torch.Tensor, torch.Tensor]],
                     row: int) -> dict[int, tuple[torch.Tensor, torch.Tensor]]:
        """For each option longer than the prefix's read: the log-probabilities of its later
        tokens and whether each is the greedy one, from one pass of all such options after
        this question's cached prefix."""
        device = self.device
        longer = [k for k, c in enumerate(plan.continuations) if len(c) > plan.shared + 1]
        fed = [plan.continuations[k][plan.shared:-1] for k in longer]
        length = len(plan.prefix)
        past = _cache_of([(k[row:row + 1, :, :length].expand(len(longer), -1, -1, -1),
                           v[row:row + 1, :, :length].expand(len(longer), -1, -1, -1))
                          for k, v in layers])
        width = max(len(f) for f in fed)
        pad = self.tokenizer.pad_token_id if self.tokenizer.pad_token_id is not None else 0
        ids = torch.full((len(longer), width), pad, dtype=torch.long)
        for j, tokens in enumerate(fed):
            ids[j, :len(tokens)] = torch.tensor(tokens, dtype=torch.long)
        logits = self.model(input_ids=ids.to(device), past_key_values=past, use_cache=True).logits
        logprobs = torch.log_softmax(logits, dim=-1)
        scores = {}
        for j, k in enumerate(longer):
            targets = torch.tensor(plan.continuations[k][plan.shared + 1:], dtype=torch.long,
                                   device=device)
            rows = logprobs[j, :len(targets)]
            scores[k] = (rows.gather(1, targets.unsqueeze(1)).squeeze(1),
                         rows.argmax(dim=-1) == targets)
        return scores

    def _response(self, plan: QuestionPlan, heads: torch.Tensor,
                  rests: dict[int, tuple[torch.Tensor, torch.Tensor]]) -> ModelResponse:
        """lighteval's ModelResponse for one question (same fields, same types)."""
        device = self.device
        logprobs, greedy, tokens = [], [], []
        for k, option in enumerate(plan.continuations):
            read = torch.tensor(option[:plan.shared + 1], dtype=torch.long, device=device)
            rows = heads[:len(read)]
            token_logprobs = rows.gather(1, read.unsqueeze(1)).squeeze(1)
            matches = rows.argmax(dim=-1) == read
            if k in rests:
                token_logprobs = torch.cat([token_logprobs, rests[k][0]])
                matches = torch.cat([matches, rests[k][1]])
            logprobs.append(token_logprobs.sum().cpu().item())
            greedy.append(bool(matches.all().cpu().item()))
            tokens.append(torch.tensor(option, dtype=torch.long, device=device))
        return ModelResponse(
            argmax_logits_eq_gold=greedy, logprobs=logprobs,
            input_tokens=torch.tensor(plan.context, dtype=torch.long, device=device),
            output_tokens=pad_sequence(tokens, batch_first=True, padding_value=-1),
        )


def _layer_states(cache: Any) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """(keys, values) per layer of a transformers cache, [batch, heads, length, dim]."""
    layers = getattr(cache, "layers", None)
    if layers is not None:
        return [(layer.keys, layer.values) for layer in layers]
    return list(zip(cache.key_cache, cache.value_cache, strict=True))


def _cache_of(states: list[tuple[torch.Tensor, torch.Tensor]]) -> Any:
    """A fresh DynamicCache holding these (keys, values) per layer."""
    from transformers import DynamicCache

    cache = DynamicCache()
    for index, (keys, values) in enumerate(states):
        cache.update(keys, values, index)
    return cache
