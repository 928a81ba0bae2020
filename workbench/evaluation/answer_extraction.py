"""Which option a model's written reply chooses (the generative formulation).

This module is self-contained on purpose (only ``re``): its source is copied verbatim into
each snapshot's exported lighteval task file, so the plain lighteval CLI and our job score a
reply with the same code.

Only the text before the first stop sequence of the task counts (a server cuts there; a
local chat model, which lighteval lets run to its end-of-text token, may write on: a blank
line and another answer, or a new "Question:" of its own). The rules, in order, follow lighteval's ``IndicesExtractionConfig`` patterns and
inspect_ai's ``choice`` scorer ("ANSWER: $LETTER"), tightened for a reply to a question
whose options are lettered A, B, ...:

1. reasoning in ``<think>...</think>`` is dropped, and markdown emphasis (``**``);
2. an explicit statement, the last one in the reply: "Answer: B", "The answer is (B)",
   "the correct option is B", "final answer: B";
3. the reply starts with a letter: "B", "(B)", "B.", "B) text", "B: text"; a bare "A" or
   "I" followed by a word is read as the English word, not a letter;
4. the option's own text: the reply is, starts with or contains exactly one option's text
   (case, punctuation and spacing ignored);
5. a parenthesised letter or "option B" anywhere, when every one found is the same letter.

Only capital letters of the offered options count ("a" is an article). Nothing found:
``None`` (the reply is "unparsed" and scored wrong).
"""

import re
from collections.abc import Sequence

EXTRACTION_VERSION = 1
LETTERS = "ABCDEFGHIJ"

_THINK = re.compile(r"<think>.*?(?:</think>|$)", re.DOTALL | re.IGNORECASE)


def _letter_class(n: int) -> str:
    return "[" + LETTERS[:n] + "]"


def _normalize(text: str) -> str:
    text = re.sub(r"[^\w\s]", " ", text.lower())
    return " ".join(text.split())


def _by_statement(text: str, letters: str) -> str | None:
    pattern = re.compile(
        r"(?i:\b(?:final\s+|correct\s+|right\s+)?(?:answer|option|choice))"
        r"(?i:\s+(?:is|would\s+be|will\s+be))?\s*(?::|-|=)?\s*"
        r"(?:(?i:option|choice|letter)\s+)?\(?(" + letters + r")\)?(?![\w'])")
    found = pattern.findall(text)
    return str(found[-1]) if found else None


def _by_start(text: str, letters: str) -> str | None:
    match = re.match(r"\(?(" + letters + r")\)?(?=$|[.):,\n]|\s)(.?)", text)
    if match is None:
        return None
    letter, after = match.group(1), match.group(2)
    bracketed = text.startswith("(")
    if not bracketed and letter in "AI" and after == " ":
        rest = text[match.end(1):].lstrip()
        if rest and rest[0].isalpha():  # "A cell ...", "I think ..."
            return None
    return letter


def _by_option_text(text: str, options: Sequence[str]) -> int | None:
    reply = _normalize(text)
    norms = [_normalize(o) for o in options]
    if not reply:
        return None
    exact = [i for i, o in enumerate(norms) if o and reply == o]
    if len(exact) == 1:
        return exact[0]
    starts = [i for i, o in enumerate(norms) if o and (reply + " ").startswith(o + " ")]
    starts = [i for i in starts if not any(j != i and norms[j].startswith(norms[i] + " ")
                                           for j in starts)]
    if len(starts) == 1:
        return starts[0]
    padded = " " + reply + " "
    inside = [i for i, o in enumerate(norms) if o and (" " + o + " ") in padded]
    # An option that is part of a longer option found too ("cell" in "cell wall") yields.
    inside = [i for i in inside if not any(j != i and norms[i] in norms[j] for j in inside)]
    if len(inside) == 1:
        return inside[0]
    return None


def _by_mention(text: str, letters: str) -> str | None:
    found = set(re.findall(r"\((" + letters + r")\)", text))
    found |= set(re.findall(r"(?i:\b(?:option|choice|letter))\s+(" + letters + r")\b", text))
    return found.pop() if len(found) == 1 else None


def before_stop(reply: str, stop: Sequence[str] = ()) -> str:
    """``reply`` up to its first stop sequence."""
    for sequence in stop:
        if sequence:
            reply = reply.split(sequence)[0]
    return reply


def extract_choice(reply: str | None, options: Sequence[str],
                   stop: Sequence[str] = ()) -> int | None:
    """The index of the option ``reply`` chooses among ``options`` (shown as A, B, ...),
    or None when no answer can be read from it. Reasoning in <think> tags is dropped
    before the reply is cut at its first ``stop`` sequence."""
    n = min(len(options), len(LETTERS))
    if n == 0 or not reply:
        return None
    text = before_stop(_THINK.sub(" ", reply), stop).replace("**", "").strip()
    letters = _letter_class(n)
    letter = _by_statement(text, letters) or _by_start(text, letters)
    if letter is not None:
        return LETTERS.index(letter)
    index = _by_option_text(text, options[:n])
    if index is not None:
        return index
    letter = _by_mention(text, letters)
    return None if letter is None else LETTERS.index(letter)
