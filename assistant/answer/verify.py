"""Checks a model's answer against the passages it was given, sentence by sentence.

The model cites passages by number ([2]). Markers that point at no given passage are dropped.
Each answer sentence must then be supported by sentences of the passages it cites: every
number, date, name and link in it must occur in its quotes, and it must mean much the same as
them (cosine of sentence vectors, with the share of its words the quotes hold). Sentences that
fail are removed, with the reason kept; a sentence that is an instruction planted in an article
("ignore previous instructions ...") never counts as support. The raw answer stays apart from
the checked one, which cites verbatim sentences with their offsets.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from assistant.text import ANSWER_ABBREVIATIONS, NUMBER_WORDS, SCALE_WORDS, STOPWORDS, stem, terms

# A sentence is supported when its facts all occur in its quotes and either its meaning is close
# (cosine >= MIN_SIMILARITY) or it is made of the quotes' words (>= MIN_OVERLAP of its content
# words, cosine >= MIN_SIMILARITY_WITH_OVERLAP). Set on hand-made answers with all-MiniLM-L6-v2.
MIN_SIMILARITY = 0.6
MIN_OVERLAP = 0.6
MIN_SIMILARITY_WITH_OVERLAP = 0.35
MAX_QUOTES = 3  # sentences one answer sentence may rest on

_MARKER = re.compile(
    r"\[\s*(?:(?:passages?|sources?|p)\s*)?(\d{1,3}(?:\s*(?:[,;]|and|-|–)\s*\d{1,3})*)\s*\]", re.I
)
_BROKEN_MARKER = re.compile(r"\[\s*(?:passages?|sources?)?\s*\d{0,3}\s*(?:\]|$)|【\d*】?", re.I)
# initials ("U.S.") or a word of ANSWER_ABBREVIATIONS, capitalised ("Mr.", "Jan.") but "vs."
_ABBREVIATION_WORDS = sorted(w if w == "vs" else w.capitalize() for w in ANSWER_ABBREVIATIONS)
_ABBREVIATION = re.compile(
    r"(?:\b(?:[A-Z]\.){1,3}|\b(?:" + "|".join(_ABBREVIATION_WORDS) + r")\.)$"
)
_BOUNDARY = re.compile(r"(?<=[.!?…])[\"”’)]?\s+|\n+")
_NUMBER = re.compile(r"(?<![\w.])\d[\d,]*(?:\.\d+)?(?![\w])|\d+(?=(?:st|nd|rd|th)\b)")
_NUMBER_WORDS = {w: str(n) for w, n in NUMBER_WORDS.items()}
_SCALE = {*SCALE_WORDS, "dozen", "percent", "%"}
_NAME = re.compile(r"\b[A-Z][\w'’-]*")
_LINK = re.compile(
    r"https?://\S+|www\.\S+|\b[\w-]+(?:\.[\w-]+)*\.(?:com|org|net|io|info|xyz|ru|ly|co|biz|top)\b"
    r"|\b[\w.+-]+@[\w-]+\.[\w.]+",
    re.I,
)
_WORD = re.compile(r"[\w'’-]+")
_ABSTAINED = re.compile(
    r"could not find|cannot find|can't find|not (?:in|mentioned in) the (?:articles|passages)|no information",
    re.I,
)

_INSTRUCTION = re.compile(
    r"\b(?:ignore|disregard|forget|override)\b[^.]{0,40}\b(?:instructions?|rules?|prompts?|"
    r"directions?|guidelines?)\b"
    r"|\b(?:new|updated|hidden|secret|system) (?:instructions?|prompt)\b"
    r"|(?:^|[.:;!?\]]\s*|\bplease\s+|\b(?:and|then)\s+)(?:answer|respond|reply|say|state)\s+"
    r"(?:only\s+)?(?:that|with)\b"
    r"|\btell (?:the |your )?(?:user|reader|human)s?\b"
    r"|\byou (?:must|should|are required to|have to) (?:answer|say|respond|reply|tell|include|"
    r"write|state)\b"
    r"|\b(?:AI|artificial intelligence|language models?|LLMs?|chatbots?|AI assistants?)\b[^.]{0,60}"
    r"\b(?:must|should|are told|are instructed|reading|summari[sz]ing|answering)\b"
    r"|\b(?:visit|click|open|follow|go to)\b[^.]{0,30}(?:https?://|www\.|\blink\b|\burl\b)",
    re.I,
)


@functools.lru_cache(maxsize=65536)  # the same passages come back question after question
def instruction_like(text: str) -> bool:
    """Text that addresses a model or a reader with orders, as planted in an article to steer
    an assistant: never used as evidence."""
    return bool(_INSTRUCTION.search(text))


@dataclass
class Checked:
    """One sentence of the model's answer and what the checks found."""

    text: str  # the sentence without its markers
    cited: list[int]  # passage numbers it cites that were given
    quotes: list = field(default_factory=list)  # the sentences that support it
    similarity: float = 0.0
    overlap: float = 0.0
    reason: str | None = None  # why it is not supported; None: supported

    @property
    def ok(self) -> bool:
        return self.reason is None


@dataclass
class Verified:
    raw: str
    sentences: list[Checked]
    dropped_markers: list[str]  # markers that pointed at no given passage
    abstained: bool = False  # the model said the passages do not answer

    @property
    def kept(self) -> list[Checked]:
        return [s for s in self.sentences if s.ok]

    @property
    def removed(self) -> list[Checked]:
        return [s for s in self.sentences if not s.ok]


Embed = Callable[[Sequence[str]], np.ndarray]


def verify(
    raw: str,
    sources: Mapping[int, Sequence],
    embed: Embed,
    vectors: Mapping[int, np.ndarray] | None = None,
) -> Verified:
    """Check `raw`, the model's answer, against `sources`: passage number -> its sentences
    (objects with `.text`). `embed` gives unit vectors of texts; `vectors`, if given, those
    of the sources' sentences (passage number -> one row per sentence), not embedded again."""
    pieces, dropped = split(raw, set(sources))
    if not pieces:
        return Verified(raw, [], dropped, abstained=bool(_ABSTAINED.search(raw)))
    checked = [Checked(text, cited) for text, cited in pieces]
    if all(not c.cited for c in checked) and _ABSTAINED.search(raw):
        for c in checked:
            c.reason = "the model found no answer"
        return Verified(raw, checked, dropped, abstained=True)
    _inherit_citations(checked)
    pool_keys = sorted({n for c in checked for n in c.cited})
    kept = [(n, i) for n in pool_keys for i, s in enumerate(sources[n])]
    kept = [(n, i) for n, i in kept if not instruction_like(sources[n][i].text)]
    pool = [(n, sources[n][i]) for n, i in kept]
    if not pool:
        pool_vectors = np.zeros((0, 1))
    elif vectors is None:
        pool_vectors = embed([s.text for _, s in pool])
    else:
        pool_vectors = np.stack([vectors[n][i] for n, i in kept])
    sentence_vectors = embed([c.text for c in checked])
    for c, vector in zip(checked, sentence_vectors):
        _check(c, vector, pool, pool_vectors, embed)
    return Verified(raw, checked, dropped)


def split(raw: str, given: set[int]) -> tuple[list[tuple[str, list[int]]], list[str]]:
    """The answer's sentences, each with the given passage numbers it cites, and the markers
    that point nowhere. Markers after a sentence's full stop belong to that sentence."""
    text = raw.replace("\r", "")
    dropped: list[str] = []
    out: list[tuple[str, list[int]]] = []
    for sentence in _sentences(text):
        cited: list[int] = []
        for m in _MARKER.finditer(sentence):
            for n in _numbers_in_marker(m.group(1)):
                if n in given:
                    if n not in cited:
                        cited.append(n)
                else:
                    dropped.append(f"[{n}]")
        clean = _BROKEN_MARKER.sub("", _MARKER.sub("", sentence))
        clean = re.sub(r"\s+([.,;:!?])", r"\1", " ".join(clean.split())).strip()
        if _WORD.search(clean):
            out.append((clean, cited))
        elif cited and out:  # a marker standing alone: it cites the sentence before
            out[-1][1].extend(n for n in cited if n not in out[-1][1])
    return out, dropped


def _numbers_in_marker(body: str) -> list[int]:
    out: list[int] = []
    for part in re.split(r"\s*(?:[,;]|and)\s*", body):
        if m := re.fullmatch(r"(\d{1,3})\s*[-–]\s*(\d{1,3})", part.strip()):
            a, b = int(m[1]), int(m[2])
            out += list(range(a, b + 1)) if 0 <= b - a <= 10 else [a, b]
        elif part.strip().isdigit():
            out.append(int(part))
    return out


def _sentences(text: str) -> list[str]:
    out: list[str] = []
    start = 0
    for m in _BOUNDARY.finditer(text):
        piece = text[start : m.start()]
        if m.group(0).strip(" \t") == "" and "\n" not in m.group(0) and _ABBREVIATION.search(piece):
            continue
        # markers right after the boundary belong to the sentence before
        lead = re.match(r"(?:\s*\[[^\]\n]{0,20}\])+", text[m.end() :])
        end = m.end() + (lead.end() if lead else 0)
        out.append(text[start : m.end()] + (lead.group(0) if lead else ""))
        start = end
    out.append(text[start:])
    return [s.strip() for s in out if s.strip()]


def _inherit_citations(checked: list[Checked]) -> None:
    """A sentence with no marker takes those of the next cited sentence ('A. B [1].' cites 1
    for both); it still has to be supported by them."""
    following: list[int] = []
    for c in reversed(checked):
        if c.cited:
            following = c.cited
        elif following:
            c.cited = list(following)


def facts(sentence: str) -> dict[str, set[str]]:
    """What must occur in the quotes: numbers, names (capitalised words, also dates' months and
    days) and links."""
    links = {m.group(0).rstrip(".,;:)") for m in _LINK.finditer(sentence)}
    rest = _LINK.sub(" ", sentence)
    numbers = {m.group(0).replace(",", "") for m in _NUMBER.finditer(rest)}
    words = [w.lower() for w in _WORD.findall(rest)]
    numbers |= {_NUMBER_WORDS[w] for w in words if w in _NUMBER_WORDS}
    numbers |= {w for w in words if w in _SCALE}
    names = {
        m.group(0).rstrip("'’").removesuffix("'s").removesuffix("’s")
        for m in _NAME.finditer(rest)
        if m.group(0).lower() not in STOPWORDS and m.group(0).lower() not in _NUMBER_WORDS
    }
    names = {n for n in names if n.lower() not in _COMMON_STARTS}
    return {"numbers": numbers, "names": names, "links": links}


_COMMON_STARTS = {"according", "however", "yes", "no", "i", "meanwhile", "also", "there"}


def missing_facts(sentence: str, quotes: Sequence[str]) -> list[str]:
    """The facts of `sentence` that none of `quotes` holds."""
    want = facts(sentence)
    have = facts(" ".join(quotes))
    text = " ".join(quotes)
    words = {w.lower() for w in _WORD.findall(text)}
    stems = {stem(w) for w in words}
    out = [n for n in sorted(want["numbers"]) if n not in have["numbers"]]
    for name in sorted(want["names"]):
        low = name.lower()
        parts = [p for p in re.split(r"[-'’]", low) if p] or [low]
        if not all(_word_in(p, words, stems) for p in parts):
            out.append(name)
    lowered = text.lower()
    out += [link for link in sorted(want["links"]) if link.lower() not in lowered]
    return out


def _word_in(word: str, words: set[str], stems: set[str]) -> bool:
    if word in words or stem(word) in stems:
        return True
    # 'Russia' in 'Russian', 'Syrian' for 'Syria': a shared stem of five letters or more
    return len(word) >= 5 and any(
        (w.startswith(word) or word.startswith(w)) and len(w) >= 5 and abs(len(w) - len(word)) <= 3
        for w in words
    )


def _check(
    c: Checked, vector: np.ndarray, pool: list, pool_vectors: np.ndarray, embed: Embed
) -> None:
    if not c.cited:
        c.reason = "cites no passage that was given"
        return
    mine = [(i, s) for i, (n, s) in enumerate(pool) if n in c.cited]
    if not mine:
        c.reason = "the cited passages hold no usable sentence"
        return
    sims = {i: float(np.dot(vector, pool_vectors[i])) for i, _ in mine}
    want = facts(c.text)
    n_facts = sum(len(v) for v in want.values())

    def coverage(texts: list[str]) -> float:
        return 1 - len(missing_facts(c.text, texts)) / n_facts if n_facts else 1.0

    best_i, best = max(mine, key=lambda x: (coverage([x[1].text]) + sims[x[0]], sims[x[0]]))
    chosen = [(best_i, best)]
    missing = missing_facts(c.text, [best.text])
    while missing and len(chosen) < MAX_QUOTES:  # facts spread over neighbouring sentences
        texts = [s.text for _, s in chosen]
        left = [x for x in mine if x not in chosen]
        if not left:
            break
        i, s = max(
            left, key=lambda x: (-len(missing_facts(c.text, [*texts, x[1].text])), sims[x[0]])
        )
        still = missing_facts(c.text, [*texts, s.text])
        if len(still) >= len(missing):
            break
        chosen.append((i, s))
        missing = still
    c.quotes = [s for _, s in chosen]
    c.similarity = max(sims[i] for i, _ in chosen)
    mine_terms = set(terms(c.text))
    quote_terms = {t for s in c.quotes for t in terms(s.text)}
    c.overlap = len(mine_terms & quote_terms) / len(mine_terms) if mine_terms else 0.0
    if missing:
        c.reason = "not in the cited passages: " + ", ".join(missing)
        return
    if not _close(c) and (parts := [p for s in c.quotes for p in clauses(s.text)]):
        # an answer may say what one clause of a long sentence says
        c.similarity = max(c.similarity, float(np.max(embed(parts) @ vector)))
    if not _close(c):
        c.reason = (
            f"the cited passages do not say this (similarity {c.similarity:.2f}, "
            f"shared words {c.overlap:.0%})"
        )


def _close(c: Checked) -> bool:
    return c.similarity >= MIN_SIMILARITY or (
        c.overlap >= MIN_OVERLAP and c.similarity >= MIN_SIMILARITY_WITH_OVERLAP
    )


def clauses(sentence: str) -> list[str]:
    """The parts of a sentence between commas, semicolons and colons, alone and in pairs:
    'According to a Thursday statement by X, Russian airstrikes targeted ...' gives
    'According to a Thursday statement by X' among others."""
    parts = [p.strip() for p in re.split(r"[,;:]\s+", sentence) if len(p.split()) >= 3]
    if len(parts) < 2:
        return []
    return parts + [f"{a}, {b}" for a, b in zip(parts, parts[1:])]
