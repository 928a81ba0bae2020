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
- the **rest** of each option (cloze: the option's text) is packed into the same row, after
  its question's prefix and beside the other options' rests; a 4D attention mask lets each
  rest token see the prefix and its own option's earlier tokens only, at the positions it
  would have right after the prefix. So a batch of questions is one forward pass, whatever
  the formulation, and no token is encoded twice (on a CPU every pass costs at least a read
  of all the weights, so passes are few and wide);
- prefixes are batched by task and length (longest first, right-padded, as lighteval
  pads), and the tokens every question of a batch starts with (the instruction and the
  few-shot examples, when they repeat) are encoded once and their cache shared by the
  batch, and by the next batches while they start the same way;
- only the positions that are read go through the output layer (``logits_to_keep``).

The numbers are lighteval's: per-option log-likelihoods equal its backend's to float
precision (tests/evaluation/test_fast_scorer.py checks 1e-4 on every option, predictions and
metrics identical), and the response carries what lighteval's does (the greedy flags, the
context tokens, the options' tokens padded with -1 and cut as lighteval's gathering cuts
them, which token-normalised metrics count).

Requests it does not cover go to lighteval's own code on the same weights: questions whose
sequences would be cut to the model's length, an empty context or option, several
processes (data parallel), models whose cache cannot be shared this way (sliding-window
layers, no ``logits_to_keep``), options of several tokens when the model's attention takes
no custom mask (flash attention), and every other kind of request (generation, perplexity).
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
# Attention implementations that take a custom 4D mask, which packing options needs.
PACKING_ATTENTION = ("sdpa", "eager")


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

    def rests(self) -> list[tuple[int, list[int]]]:
        """(option index, the tokens fed after the prefix) of each option that goes on:
        its tokens from its first own one up to its last but one, which predict the rest."""
        return [(k, c[self.shared:-1]) for k, c in enumerate(self.continuations)
                if len(c) > self.shared + 1]


class PrefixSharingModel(TransformersModel):
    """lighteval's TransformersModel whose ``loglikelihood`` shares prompt prefixes."""

    def __init__(self, config: Any) -> None:
        super().__init__(config)
        self._unsupported = prefix_sharing_unsupported(self.model)
        # The last common start encoded for a batch, and its (keys, values) per layer: the
        # next batches of the same task usually start with the same few-shot examples.
        self._kept: tuple[list[int], list[tuple[torch.Tensor, torch.Tensor]]] | None = None

    @property
    def scorer(self) -> str:
        """What scores log-likelihoods: 'prefix-sharing', or 'lighteval (why)'."""
        if self._unsupported:
            return f"{LIGHTEVAL_SCORER} ({self._unsupported})"
        if not self.packs_options:
            return (f"{SCORER} (options of several tokens: {LIGHTEVAL_SCORER}, "
                    f"{self._attention} attention takes no custom mask)")
        return SCORER

    @property
    def _attention(self) -> str | None:
        """The attention implementation the model runs with (transformers' config)."""
        return getattr(self.model.config, "_attn_implementation", None)

    @property
    def packs_options(self) -> bool:
        """Whether options that go on after their first token can be packed after their
        prefix (the attention must take a custom mask); if not, lighteval scores them."""
        return self._attention in PACKING_ATTENTION

    @cached(SamplingMethod.LOGPROBS)  # type: ignore[untyped-decorator]
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
            plan = QuestionPlan.of(context, options)
            if plan.needs_rest() and not self.packs_options:
                elsewhere.append(i)
                continue
            plans.append((i, plan))
        if elsewhere:
            theirs = self._loglikelihood_tokens([docs[i] for i in elsewhere])
            for i, response in zip(elsewhere, theirs, strict=True):
                responses[i] = response
        # A task's questions together (they share its instruction and few-shot examples),
        # longest first within it (less padding).
        plans.sort(key=lambda p: (docs[p[0]].task_name or "", -len(p[1].prefix)))
        size = self.config.batch_size or DEFAULT_BATCH_SIZE
        try:
            with torch.inference_mode():
                for start in range(0, len(plans), size):
                    batch = plans[start:start + size]
                    for (i, _), response in zip(batch, self._score_batch([p for _, p in batch]),
                                                strict=True):
                        responses[i] = response
        finally:
            self._kept = None
        missing = [i for i, r in enumerate(responses) if r is None]
        if missing:
            raise RuntimeError(f"prefix-sharing scorer: no response for requests {missing}")
        return [r for r in responses if r is not None]

    # -- the forward pass -----------------------------------------------------------------
    def _score_batch(self, plans: list[QuestionPlan]) -> list[ModelResponse]:
        """Score the questions of one batch in one forward pass (after their common start,
        encoded once): each row is a question's prefix, then the rests of its options
        packed side by side (see ``_packed_layout``)."""
        device = self.device
        prefixes = [p.prefix for p in plans]
        # The batch's common start, ending before the first position any question reads.
        common = min(common_prefix_length(prefixes), min(p.first_read for p in plans))
        past = None
        start = self._common_start(prefixes[0][:common], encode=len(plans) > 1)
        if start is not None:
            common = start[0][0].shape[2]
            past = _cache_of([(k.expand(len(plans), -1, -1, -1), v.expand(len(plans), -1, -1, -1))
                              for k, v in start])
        else:
            common = 0
        rests = [plan.rests() for plan in plans]
        heads_width = max(len(p) for p in prefixes) - common
        width = heads_width + max(sum(len(fed) for _, fed in r) for r in rests)
        pad = self.tokenizer.pad_token_id if self.tokenizer.pad_token_id is not None else 0
        ids = torch.full((len(plans), width), pad, dtype=torch.long)
        for row, prefix in enumerate(prefixes):
            ids[row, :len(prefix) - common] = torch.tensor(prefix[common:], dtype=torch.long)
        read = [range(p.first_read - common, len(p.prefix) - common) for p in plans]
        keep = sorted({pos for positions in read for pos in positions}
                      | set(range(heads_width, width)))
        column = {pos: j for j, pos in enumerate(keep)}
        mask = positions = None
        if width > heads_width:  # some option goes on after its first own token
            mask, positions = _packed_layout(plans, rests, common, heads_width, width)
            for row, blocks in enumerate(rests):
                at = heads_width
                for _, fed in blocks:
                    ids[row, at:at + len(fed)] = torch.tensor(fed, dtype=torch.long)
                    at += len(fed)
            mask = self._attention_mask(mask)
        logits = self.model(input_ids=ids.to(device), past_key_values=past, use_cache=False,
                            attention_mask=None if mask is None else mask.to(device),
                            position_ids=None if positions is None else positions.to(device),
                            logits_to_keep=torch.tensor(keep, dtype=torch.long, device=device),
                            ).logits  # [batch, len(keep), vocab]
        responses = []
        for row, plan in enumerate(plans):
            heads = torch.log_softmax(logits[row, [column[pos] for pos in read[row]]], dim=-1)
            scored: dict[int, tuple[torch.Tensor, torch.Tensor]] = {}
            at = heads_width
            for k, fed in rests[row]:
                targets = torch.tensor(plan.continuations[k][plan.shared + 1:],
                                       dtype=torch.long, device=device)
                rows = torch.log_softmax(
                    logits[row, [column[pos] for pos in range(at, at + len(fed))]], dim=-1)
                scored[k] = (rows.gather(1, targets.unsqueeze(1)).squeeze(1),
                             rows.argmax(dim=-1) == targets)
                at += len(fed)
            responses.append(self._response(plan, heads, scored))
        return responses

    def _attention_mask(self, allowed: torch.Tensor) -> torch.Tensor:
        """The packed layout's mask as this model's attention takes it: boolean for SDPA
        (True: may attend), additive for the eager implementation."""
        if self._attention == "eager":
            dtype = self.model.dtype
            return torch.zeros(allowed.shape, dtype=dtype).masked_fill(
                ~allowed, torch.finfo(dtype).min)
        return allowed

    def _common_start(self, tokens: list[int], encode: bool,
                      ) -> list[tuple[torch.Tensor, torch.Tensor]] | None:
        """(keys, values) per layer, [1, heads, length, dim], of the longest start of
        ``tokens`` worth sharing: the kept start's when they agree on at least
        MIN_BATCH_PREFIX tokens; else, if ``encode``, ``tokens`` encoded once (and kept);
        else None."""
        if self._kept is not None:
            kept_tokens, kept_layers = self._kept
            length = common_prefix_length([kept_tokens, tokens])
            if length >= MIN_BATCH_PREFIX:
                return [(k[:, :, :length], v[:, :, :length]) for k, v in kept_layers]
        if not encode or len(tokens) < MIN_BATCH_PREFIX:
            return None
        ids = torch.tensor([tokens], dtype=torch.long, device=self.device)
        out = self.model(input_ids=ids, use_cache=True, logits_to_keep=1)
        layers = _layer_states(out.past_key_values)
        self._kept = (list(tokens), layers)
        return layers

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
        options = pad_sequence(tokens, batch_first=True, padding_value=-1)
        if self.accelerator is not None:
            # lighteval's own path (it always has an accelerator) ends with
            # ``gathered[i][:num_choices][:len_choice]``: the options' rows are cut to the
            # longest option's token count (letters keep one row). Same here, so that the
            # details and any metric reading output_tokens are lighteval's.
            options = options[:len(tokens)][:options.shape[1]]
        # Tensors, not the annotated lists: what lighteval's own backend puts there.
        return ModelResponse(
            argmax_logits_eq_gold=greedy, logprobs=logprobs,
            input_tokens=torch.tensor(plan.context, dtype=torch.long, device=device),  # type: ignore[arg-type]
            output_tokens=options,  # type: ignore[arg-type]
        )


def _packed_layout(plans: list[QuestionPlan], rests: list[list[tuple[int, list[int]]]],
                   common: int, heads_width: int, width: int,
                   ) -> tuple[torch.Tensor, torch.Tensor]:
    """The attention mask, [batch, 1, width, common + width] (True: may attend), and the
    position ids, [batch, width], of a batch whose row ``r`` holds question ``r``'s prefix
    (after the batch's ``common`` cached tokens) right-padded to ``heads_width``, then the
    rests of its options one after the other.

    Each prefix token sees the common start and the prefix up to itself; each token of an
    option's rest sees the common start, its whole prefix and its own rest up to itself, at
    the positions it would have right after the prefix. So every option is scored exactly as
    the sequence prefix + option, as lighteval scores it, without running the prefix again
    (and without another pass over a copied cache). A padding token sees only itself (a row
    that sees nothing would turn into NaN)."""
    allowed = torch.zeros((len(plans), 1, width, common + width), dtype=torch.bool)
    positions = torch.arange(common, common + width).repeat(len(plans), 1)
    allowed[:, 0, :, :common] = True
    own = torch.arange(width)
    allowed[:, 0, own, common + own] = True
    for row, plan in enumerate(plans):
        length = len(plan.prefix) - common
        allowed[row, 0, :length, common:common + length] = torch.ones(
            length, length, dtype=torch.bool).tril()
        at = heads_width
        for _, fed in rests[row]:
            n = len(fed)
            allowed[row, 0, at:at + n, common:common + length] = True
            allowed[row, 0, at:at + n, common + at:common + at + n] = torch.ones(
                n, n, dtype=torch.bool).tril()
            positions[row, at:at + n] = torch.arange(common + length, common + length + n)
            at += n
    return allowed, positions


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
