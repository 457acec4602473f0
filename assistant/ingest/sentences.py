"""Sentence splitting with character offsets, done once at ingest.

Rule-based and download-free (no NLTK/spaCy models). Tuned for news prose: abbreviations,
initials, decimals and quotes do not end a sentence; blank lines always do.
"""

from __future__ import annotations

import re

from assistant.text import ABBREVIATIONS
from assistant.types import Sentence

# Candidate ends: terminal punctuation, optional closing quotes/brackets, then whitespace.
_END = re.compile(r"[.!?]+[\"'”’)\]]*(?=\s)")
# What may open the next sentence.
_OPENER = re.compile(r"\s+[\"'“‘(\[]?[A-Z0-9]")
_PARAGRAPH = re.compile(r"\n[ \t]*\n\s*")


def split_sentences(text: str) -> list[Sentence]:
    """Return sentence spans of `text`, each stripped of surrounding whitespace."""
    spans: list[Sentence] = []
    pos = 0
    for m in _PARAGRAPH.finditer(text):
        _split_block(text, pos, m.start(), spans)
        pos = m.end()
    _split_block(text, pos, len(text), spans)
    return spans


def _split_block(text: str, start: int, end: int, out: list[Sentence]) -> None:
    for line_start, line_end in _lines(text, start, end):
        seg_start = line_start
        for m in _END.finditer(text, line_start, line_end):
            if _is_boundary(text, m.start(), m.end(), line_end):
                _emit(text, seg_start, m.end(), out)
                seg_start = m.end()
        _emit(text, seg_start, line_end, out)


def _lines(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Group the lines of a paragraph: a single newline ends a sentence only where the
    previous line looks finished and the next one starts like a new line (tables, lists);
    wrapped prose (PDF) and formulas such as 'O\\n2' stay together."""
    groups: list[tuple[int, int]] = []
    group_start = start
    i = text.find("\n", start, end)
    while i != -1:
        prev = text[group_start:i].rstrip()
        nxt = text[i + 1 : end].lstrip(" \t")
        if (
            prev
            and nxt
            and not re.search(r"[a-z,;(\-]$", prev)
            and re.match(r"[A-Z\"'“‘•*\-]", nxt)
        ):
            groups.append((group_start, i))
            group_start = i + 1
        i = text.find("\n", i + 1, end)
    groups.append((group_start, end))
    return groups


def _is_boundary(text: str, punct: int, stop: int, line_end: int) -> bool:
    if not _OPENER.match(text, stop, line_end):
        return False
    if text[punct] != ".":
        return True
    word = re.search(r"[\w.]*$", text[max(0, punct - 20) : punct]).group(0).lower()
    if word in ABBREVIATIONS or word.rstrip(".") in ABBREVIATIONS:
        return False
    if len(word) == 1 and word.isalpha():  # an initial: "J. Smith"
        return False
    if re.fullmatch(r"(?:[a-z]\.)+[a-z]", word):  # "U.S", "e.g" before the final dot
        return False
    return True


def _emit(text: str, start: int, end: int, out: list[Sentence]) -> None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if end > start:
        out.append(Sentence(start, end))
