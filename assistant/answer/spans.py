"""Short answers: the span of a sentence that is the answer, by the kind of question."""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.retrieve import stem, terms

_MONTHS = (
    r"(?:January|February|March|April|May|June|July|August|September|October|November|December"
    r"|Jan\.?|Feb\.?|Mar\.?|Apr\.?|Jun\.?|Jul\.?|Aug\.?|Sept?\.?|Oct\.?|Nov\.?|Dec\.?)"
)
_WEEKDAYS = r"(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)"
_NUMBER_WORDS = (
    r"one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|"
    r"sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|"
    r"a hundred|hundreds|a thousand|thousands|a dozen|dozens|millions|billions"
)
_NUMBER = (
    rf"(?:[$£€]\s?)?(?:\d[\d,]*(?:\.\d+)?|\b(?:{_NUMBER_WORDS}))"
    r"(?:\s?(?:million|billion|trillion|thousand|hundred|bn|m|k)\b)?(?:\s?(?:%|per ?cent|percent))?"
)
_UNIT_STOP = {
    "and",
    "or",
    "but",
    "in",
    "on",
    "at",
    "of",
    "to",
    "with",
    "from",
    "by",
    "for",
    "as",
    "than",
    "that",
    "which",
    "who",
    "were",
    "was",
    "are",
    "is",
    "had",
    "have",
    "has",
    "the",
    "a",
    "an",
}
_COUNT = re.compile(
    rf"(?P<pre>(?:as many as|more than|at least|about|around|nearly|almost|over|some|up to)\s+)?"
    rf"(?P<num>{_NUMBER})(?P<unit>(?:[ -][A-Za-z][\w-]*){{0,3}})",
    re.I,
)
DATE = re.compile(
    rf"\b(?:(?:early|late|mid-?)\s*)?(?:{_MONTHS}\s+\d{{1,2}}(?:st|nd|rd|th)?(?:,?\s+\d{{4}})?"
    rf"|\d{{1,2}}\s+{_MONTHS}(?:\s+\d{{4}})?|{_MONTHS}(?:\s+of)?\s+\d{{4}}|{_MONTHS}\b|{_WEEKDAYS}"
    rf"|(?:1[5-9]|20)\d\d(?:s|\s*-\s*\d{{2,4}})?)",
)
_PLACE = re.compile(
    r"\b(?:in|at|near|from|to|towards|toward|outside|inside|across|into|around|over)\s+(?:the\s+)?"
    r"(?P<place>[A-Z][\w'-]+(?:\s+(?:of\s+|de\s+)?[A-Z][\w'-]+)*)"
)
_NAME = re.compile(
    r"(?:\b[Tt]he\s+)?(?P<name>[A-Z][\w'.-]*(?:\s+(?:of\s+|the\s+|for\s+|de\s+)?[A-Z][\w'.-]*)*)"
    r"(?P<noun>\s+(?:jets?|forces?|troops?|military|army|navy|government|officials?|militants?|"
    r"sources?|ministry|task force|police|president|minister|spokesman|spokeswoman|group))?"
)
_ATTRIBUTION = [
    re.compile(
        r"[Aa]ccording to (?:an? |the )?(?:\w+ )?(?:statement|report|reports|remarks|comments|"
        r"figures|data) (?:by|from) (?P<src>(?:the )?[^,.;]+)"
    ),
    re.compile(r"[Aa]ccording to (?P<src>(?:the )?[^,.;]+)"),
    re.compile(
        r"(?:^|[,;:]\s+|\bthat\s+)(?P<src>(?:[Tt]he\s+)?(?:[A-Z][\w.'-]*|[a-z]+)(?:\s+[\w.'-]+){0,6}?)"
        r"\s+(?:has\s+|have\s+|had\s+)?(?:also\s+)?(?:said|says|claimed|claims|warned|warns|stated|"
        r"states|reported|reports|announced|announces|told|alleged|insisted|denied|confirmed|"
        r"threatened|accused)\b"
    ),
]
_SENTENCE_OPENERS = {"the", "on", "in", "at", "a", "an", "this", "it", "its", "but", "and", "after"}


@dataclass(frozen=True)
class Span:
    text: str
    start: int  # offsets within the sentence
    end: int


def counts(sentence: str) -> list[Span]:
    """Numbers with what they count: '36 vehicles', 'eight fuel trucks', 'as many as 120'."""
    out = []
    for m in _COUNT.finditer(sentence):
        num = m.group("num")
        before = sentence[max(0, m.start() - 12) : m.start()]
        if re.search(rf"{_MONTHS}\s*$", before) or re.fullmatch(r"(1[5-9]|20)\d\d", num.strip()):
            continue  # a date or a year, not a count
        unit_words = []
        for w in m.group("unit").split():
            if w.lower() in _UNIT_STOP or w.lower().endswith("ing"):
                break
            unit_words.append(w)
        end = (
            m.start("unit") + _prefix_len(m.group("unit"), unit_words)
            if unit_words
            else m.end("num")
        )
        start = m.start("pre") if m.group("pre") else m.start("num")
        out.append(Span(sentence[start:end], start, end))
    return out


def _prefix_len(unit: str, words: list[str]) -> int:
    pos = 0
    for w in words:
        pos = unit.index(w, pos) + len(w)
    return pos


def best_count(sentence: str, unit: tuple[str, ...]) -> tuple[Span | None, list[Span]]:
    """The count whose unit matches the question's, and the other counts of the sentence."""
    spans = counts(sentence)
    if not spans:
        return None, []

    def match(s: Span) -> int:
        return len(set(terms(s.text)) & set(unit))

    best = max(spans, key=lambda s: (match(s), -s.start))
    if unit and match(best) == 0 and not any(_unit_of(s) for s in spans):
        best = spans[0]
    return best, [s for s in spans if s is not best]


def _unit_of(span: Span) -> str:
    return re.sub(_NUMBER, "", span.text, count=1, flags=re.I).strip()


def dates(sentence: str) -> list[Span]:
    return [Span(m.group(0), m.start(), m.end()) for m in DATE.finditer(sentence)]


def places(sentence: str, question_terms: set[str]) -> list[Span]:
    return [
        Span(m.group("place"), m.start("place"), m.end("place"))
        for m in _PLACE.finditer(sentence)
        if not set(terms(m.group("place"))) <= question_terms
        and not DATE.fullmatch(m.group("place"))
    ]


def names(sentence: str, question_terms: set[str]) -> list[Span]:
    out = []
    for m in _NAME.finditer(sentence):
        name = m.group("name")
        if m.start("name") == 0 and name.lower() in _SENTENCE_OPENERS:
            continue
        if DATE.fullmatch(name) or set(terms(name)) <= question_terms:
            continue
        start = m.start()
        end = m.end("noun") if m.group("noun") else m.end("name")
        out.append(Span(sentence[start:end].strip(), start, end))
    return out


def attributions(sentence: str) -> list[Span]:
    """Who the sentence says is speaking: 'Russian sources', 'The Russian task force in Syria'."""
    out = []
    for rule in _ATTRIBUTION:
        for m in rule.finditer(sentence):
            src = m.group("src").strip()
            if src.lower() in {"it", "this", "he", "she", "they"} and out:
                continue
            out.append(Span(src, m.start("src"), m.start("src") + len(src)))
    return out


def stems(text: str) -> set[str]:
    return {stem(w) for w in re.findall(r"\w+", text.lower())}
