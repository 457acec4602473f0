"""The default answerer, with no language model: pick the sentences that answer the question
from the retrieved passages, cut a short answer of the asked kind, cite every sentence used,
and abstain when the evidence is weak."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from assistant.answer import spans
from assistant.answer.question import Question
from assistant.retrieve import terms
from assistant.types import Passage

ABSTAIN = "I could not find this in the articles."

# weights of the evidence score: meaning, shared key words, answer of the asked kind
W_SEM, W_LEX, W_FIT = 0.5, 0.4, 0.1
NO_FIT_PENALTY = 0.6  # support kept when no sentence holds an answer of the asked kind


@dataclass
class Candidate:
    passage: Passage
    start: int  # offsets in the article text
    end: int
    text: str
    sem: float = 0.0
    lex: float = 0.0
    fit: float = 0.0
    anchored: float = 1.0  # share of the question's names, numbers and dates in the sentence

    @property
    def score(self) -> float:
        base = W_SEM * self.sem + W_LEX * self.lex + W_FIT * self.fit
        return base * (0.5 + 0.5 * self.anchored)


@dataclass
class Draft:
    """What the answerer decided, before citations are numbered and checked against the store."""

    short_answer: str | None
    parts: list[tuple[str, Candidate]]  # (text to show, the sentence it cites)
    abstained: bool  # the support is below the threshold
    best: Candidate | None = None
    support: float = 0.0  # evidence score of the answer's sentence


def candidates(passages: Sequence[Passage]) -> list[Candidate]:
    """Every sentence of the retrieved chunks, once, in retrieval order."""
    seen: set[tuple[str, int]] = set()
    out = []
    for p in passages:
        c = p.chunk
        for s in c.sentences:
            key = (c.article_id, s.start)
            if key in seen:
                continue
            seen.add(key)
            out.append(Candidate(p, s.start, s.end, c.text[s.start - c.start : s.end - c.start]))
    return out


def answer(
    q: Question,
    qvec: np.ndarray,
    passages: Sequence[Passage],
    embed: Callable[[Sequence[str]], np.ndarray],
    idf: Callable[[str], float],
    min_support: float,
) -> Draft:
    cands = candidates(passages)
    if not cands:
        return Draft(None, [], True)
    vectors = embed([c.text for c in cands])
    weights = {t: idf(t) for t in set(q.terms)}
    total = sum(weights.values()) or 1.0
    qterms = set(q.terms)
    for c, v in zip(cands, vectors):
        c.sem = float(np.dot(qvec, v))
        present = set(terms(c.text))
        c.lex = sum(w for t, w in weights.items() if t in present) / total
        c.fit = 1.0 if _short(q, c.text, qterms) else 0.0
        if q.anchors:
            c.anchored = sum(t in present for t in q.anchors) / len(q.anchors)
    ranked = sorted(cands, key=lambda c: -c.score)
    best, support = ranked[0], ranked[0].score
    if q.kind not in ("what", "why", "yesno"):
        fitting = [c for c in ranked if c.fit]
        if fitting:
            best, support = fitting[0], fitting[0].score
        else:  # no sentence holds an answer of the asked kind: weaker evidence
            support *= NO_FIT_PENALTY
    short = _short(q, best.text, qterms)
    parts: list[tuple[str, Candidate]] = [(short.text if short else best.text, best)]
    if q.kind == "count" and short:
        parts += _more_counts(q, best, ranked)
    return Draft(short.text if short else None, parts, support < min_support, best, support)


def _short(q: Question, sentence: str, qterms: set[str]) -> spans.Span | None:
    if q.kind == "count":
        return spans.best_count(sentence, q.unit)[0]
    if q.kind == "attribution":
        return next(iter(spans.attributions(sentence)), None)
    if q.kind == "when":
        found = spans.dates(sentence)
        return max(found, key=lambda s: len(s.text)) if found else None
    if q.kind == "where":
        return next(iter(spans.places(sentence, qterms)), None)
    if q.kind == "who":
        return next(iter(spans.names(sentence, qterms)), None)
    return None


def _more_counts(
    q: Question, best: Candidate, ranked: list[Candidate]
) -> list[tuple[str, Candidate]]:
    """Counts of other events or items that answer the same question, each with its sentence.
    Listed, never added up."""
    more: list[tuple[str, Candidate]] = []
    _, others = spans.best_count(best.text, q.unit)
    if others:
        more.append((", ".join(s.text for s in others), best))
    for c in ranked[1:6]:
        if c is best or c.score < 0.8 * best.score or not c.fit:
            continue
        span, _ = spans.best_count(c.text, q.unit)
        when = spans.dates(c.text)
        label = f"{span.text} ({when[0].text})" if when and span else span.text if span else None
        if label:
            more.append((label, c))
    return more
