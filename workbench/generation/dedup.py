"""Near-duplicate questions within a project: same words, nearly the same set of words.

Token-set Jaccard similarity over normalized words, with an inverted index so that each new
question is compared only with questions sharing a word (fast enough for 100k questions).
"""

from __future__ import annotations

from collections import defaultdict

from workbench.generation.validation import normalize

NEAR_DUPLICATE = "near-duplicate"
THRESHOLD = 0.8

# Words too common to make two questions candidates of each other.
_STOP = frozenset(
    "a an the of in on at to for and or is are was were be by with what which who whom "
    "whose when where why how does do did from as that this these those it its".split()
)


def _tokens(text: str) -> frozenset[str]:
    # "cell's" and "cells" are the same word here
    return frozenset(normalize(text.replace("'", "").replace("\u2019", "")).split())


def similarity(a: str, b: str) -> float:
    """Jaccard similarity of the two questions' word sets (1.0 = same words)."""
    ta, tb = _tokens(a), _tokens(b)
    if not ta or not tb:
        return 0.0
    return len(ta & tb) / len(ta | tb)


class DuplicateIndex:
    """The project's questions; ``add`` returns the ids of earlier near-duplicates."""

    def __init__(self, threshold: float = THRESHOLD) -> None:
        self.threshold = threshold
        self._tokens: dict[int, frozenset[str]] = {}
        self._by_word: dict[str, set[int]] = defaultdict(set)

    def matches(self, text: str) -> list[int]:
        """Ids of indexed questions at least ``threshold`` similar to ``text``."""
        tokens = _tokens(text)
        if not tokens:
            return []
        candidates: set[int] = set()
        for word in tokens - _STOP or tokens:
            candidates |= self._by_word.get(word, set())
        found = []
        for qid in sorted(candidates):
            other = self._tokens[qid]
            if len(tokens & other) / len(tokens | other) >= self.threshold:
                found.append(qid)
        return found

    def add(self, question_id: int, text: str) -> list[int]:
        """Index a question; returns the earlier questions it nearly duplicates."""
        found = self.matches(text)
        tokens = _tokens(text)
        self._tokens[question_id] = tokens
        for word in tokens - _STOP or tokens:
            self._by_word[word].add(question_id)
        return found
