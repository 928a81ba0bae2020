"""Splitting a document into passages with exact character offsets.

Passages follow paragraph and sentence boundaries where they can: a chunk gathers whole
units (sentences) up to ``size`` characters; the next chunk starts at the first unit that
begins inside the last ``overlap`` characters of the previous one. Same input, same chunks.
"""

from __future__ import annotations

import re

from store.records import ChunkSpan

_SENTENCE_END = re.compile(r"(?<=[.!?。！？])[\"')\]]*\s+|\n\s*\n")


def _units(text: str, size: int) -> list[tuple[int, int]]:
    """Sentence-ish spans covering the text's non-blank parts; none longer than ``size``."""
    spans: list[tuple[int, int]] = []
    start = 0
    for match in _SENTENCE_END.finditer(text):
        spans.append((start, match.end()))
        start = match.end()
    if start < len(text):
        spans.append((start, len(text)))
    units: list[tuple[int, int]] = []
    for s, e in spans:
        # trim surrounding whitespace so offsets point at text
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        while e - s > size:  # a sentence longer than a chunk: cut at the last space
            cut = text.rfind(" ", s + size // 2, s + size)
            cut = cut if cut > s else s + size
            units.append((s, cut))
            s = cut
            while s < e and text[s].isspace():
                s += 1
        if e > s:
            units.append((s, e))
    return units


def chunk_text(text: str, size: int = 1200, overlap: int = 150) -> list[ChunkSpan]:
    """Chunks of at most ``size`` characters (a single over-long word excepted)."""
    if size < 50:
        raise ValueError("chunk size must be at least 50 characters")
    overlap = max(0, min(overlap, size // 2))
    units = _units(text, size)
    chunks: list[ChunkSpan] = []
    i = 0
    while i < len(units):
        start = units[i][0]
        j = i
        while j + 1 < len(units) and units[j + 1][1] - start <= size:
            j += 1
        end = units[j][1]
        chunks.append(ChunkSpan(len(chunks), start, end, text[start:end]))
        if j + 1 >= len(units):
            break
        nxt = j + 1
        # step back to include units that start within the overlap window
        while nxt - 1 > i and units[nxt - 1][0] >= end - overlap:
            nxt -= 1
        i = nxt
    return chunks
