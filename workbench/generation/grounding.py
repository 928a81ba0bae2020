"""The grounding gate: a generated question must be tied to its passage, checked without any
model call.

Three checks, each with its own rejection kind:

- ``no-quote``: the model gave no supporting quote, or one under three words (a quote of
  "2" or "the cell" occurs in almost any passage and proves nothing);
- ``quote-not-in-passage``: the quote does not occur in the passage, allowing small slips
  (rapidfuzz partial ratio >= 90 on lower-cased words, so punctuation, case and a changed
  letter or two do not count);
- ``no-shared-words``: the question and its correct answer share no content word with the
  passage, or the quote shares none with the question and its answer (a real quote pasted
  beside an unrelated question).

Light module (rapidfuzz only): validation, the demo set and the Review screen use it.
"""

from __future__ import annotations

import re

from rapidfuzz import fuzz

QUOTE_MIN_WORDS = 3
QUOTE_MIN_SCORE = 90.0

_WORD = re.compile(r"\w+", re.UNICODE)

# Words that carry no content, in the languages the importer detects, and words about the
# exam itself ("answer", "option", "passage"). Such a word cannot ground a question; digits
# and every other word can ("1000 pages", "cristae").
_STOPWORDS = frozenset("""
a an the of in on at to for and or but nor is are was were be been being am by with from as
into onto than then that this these those it its they them their there here he she his
her we our you your i me my what which who whom whose when where why how does do did done
doing has have had having can could may might must shall should will would not no yes so
if about above after again all also any because before below between both each few more
most other some such only own same too very just up down out off over under once further
while until during through against per
answer answers question questions correct option options following mentioned passage text according
le la les un une des du de et est en dans pour que qui sur au aux par pas ne se ce il elle
der die das den dem des ein eine und ist nicht mit zu von im auf für sich es
el los las y es una para con por del al lo se su
il di e che per sono gli della
o os as um uma com não dos das
het een en van op dat met
""".split())


def words(text: str) -> list[str]:
    """Lower-cased words of ``text`` in order."""
    return [w.lower() for w in _WORD.findall(text)]


def content_words(text: str) -> set[str]:
    """Words of ``text`` that can tie it to a passage (stopwords left out)."""
    return {w for w in words(text) if w not in _STOPWORDS and w != "_"}


def _normalized_with_offsets(text: str) -> tuple[str, list[int]]:
    """``text`` as lower-case words joined by single spaces, and for every character of that
    string the index of the character of ``text`` it came from (a space points at the start
    of the next word)."""
    out: list[str] = []
    offsets: list[int] = []
    for match in _WORD.finditer(text):
        if out:
            out.append(" ")
            offsets.append(match.start())
        word = match.group()
        lowered = word.lower()
        if len(lowered) == len(word):
            offsets.extend(range(match.start(), match.end()))
        else:  # a letter whose lower case is longer ('İ'): point every char at the word
            offsets.extend([match.start()] * len(lowered))
        out.append(lowered)
    return "".join(out), offsets


def quote_match(passage: str, quote: str) -> tuple[float, tuple[int, int] | None]:
    """How well ``quote`` occurs in ``passage`` (0-100, rapidfuzz partial ratio on normalized
    words) and where: the (start, end) character span in ``passage`` of the best match.

    A quote longer than the passage scores 0: it cannot occur in it.
    """
    needle = " ".join(words(quote))
    haystack, offsets = _normalized_with_offsets(passage)
    if not needle or not haystack or len(needle) > len(haystack):
        return 0.0, None
    found = haystack.find(needle)
    if found >= 0:  # exact (after normalization): no need for the aligner
        return 100.0, (offsets[found], offsets[found + len(needle) - 1] + 1)
    alignment = fuzz.partial_ratio_alignment(needle, haystack)
    if alignment is None or alignment.dest_end <= alignment.dest_start:
        return 0.0, None
    start, end = alignment.dest_start, alignment.dest_end
    return float(alignment.score), (offsets[start], offsets[end - 1] + 1)


def quote_span(passage: str, quote: str | None) -> tuple[int, int] | None:
    """Where a stored quote lies in ``passage`` (None when it is absent or does not pass the
    gate's threshold): what the Review screen marks."""
    if not quote:
        return None
    score, span = quote_match(passage, quote)
    return span if score >= QUOTE_MIN_SCORE else None


class GroundingError(ValueError):
    """A question that is not tied to its passage; ``kind`` names the check that failed."""

    def __init__(self, kind: str, reason: str) -> None:
        super().__init__(reason)
        self.kind = kind
        self.reason = reason


def check_grounding(question: str, answer: str, quote: str, passage: str
                    ) -> tuple[int, int]:
    """Raise GroundingError when the question is not grounded in ``passage``; return the
    quote's span in the passage otherwise."""
    if not quote.strip():
        raise GroundingError("no-quote", "no supporting quote from the passage")
    if len(words(quote)) < QUOTE_MIN_WORDS:
        raise GroundingError(
            "no-quote", f"the supporting quote '{quote}' is shorter than {QUOTE_MIN_WORDS} words")
    score, span = quote_match(passage, quote)
    if score < QUOTE_MIN_SCORE or span is None:
        raise GroundingError(
            "quote-not-in-passage",
            f"the quote does not occur in the passage (best match {score:.0f}% < "
            f"{QUOTE_MIN_SCORE:.0f}%): '{quote[:80]}'")
    in_passage = content_words(passage)
    asked = content_words(question) | content_words(answer)
    if not asked & in_passage:
        raise GroundingError(
            "no-shared-words", "the question and its answer share no content word with the passage")
    if not content_words(quote) & asked:
        raise GroundingError(
            "no-shared-words", "the quote shares no content word with the question or its answer")
    return span


NOT_GROUNDED_IMPORTED = "not grounded: imported"


def grounding_status(source: str, quote: str | None, status: str) -> str:
    """What the grounding gate says of a stored question, for people and the JSON output:
    'grounded' (it has a supporting quote from its passage), 'not grounded: imported' (an
    imported exam bank has no passage: the gate does not apply), 'rejected' (the gate or
    another rule refused the output), or 'not checked' (written before the gate existed)."""
    if source.startswith("import"):
        return NOT_GROUNDED_IMPORTED
    if status == "rejected":
        return "rejected"
    return "grounded" if quote else "not checked: no quote (made before the grounding gate)"
