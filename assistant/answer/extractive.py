"""The default answerer, with no language model: pick the sentences that answer the question
from the retrieved passages, cut a short answer of the asked kind, cite every sentence used,
and abstain when the evidence is weak."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import NamedTuple

import numpy as np

from assistant.answer import spans
from assistant.answer.dates import When
from assistant.answer.question import Question
from assistant.answer.reader import Item, Reader, Reading
from assistant.text import terms
from assistant.types import Passage

ABSTAIN = "I could not find this in the articles."

# Weights of the evidence score, tuned on the SQuAD dev sets (squad1-extra and squad2-dev give
# the same best weights when tuned on one and scored on the other): meaning, the question's key
# words in the sentence, its word pairs, its key words in the sentence with the one before, an
# answer of the asked kind, and the rank of the passage the sentence came from.
W_SEM, W_LEX, W_PAIRS, W_WINDOW, W_FIT, W_RANK = 0.5, 0.4, 0.2, 0.4, 0.05, 0.1
RANK_SCALE = 16
# share of the score kept as support: no answer of the asked kind / a doubtful one / a good one
FIT_SUPPORT = {0.0: 0.6, 0.5: 0.8, 1.0: 1.0}


@dataclass
class Candidate:
    passage: Passage
    start: int  # offsets in the article text
    end: int
    text: str
    before: str = ""  # the sentence before it in the chunk, for words it refers back to
    before_start: int = -1  # its offset in the article text (-1: none)
    sem: float = 0.0  # cosine of question and sentence
    lex: float = 0.0  # IDF-weighted share of the question's words in the sentence
    pairs: float = 0.0  # share of the question's word pairs in the sentence
    window: float = 0.0  # as lex, over the sentence and the one before ("the city" = Palmyra)
    fit: float = 0.0  # 1: holds an answer of the asked kind, 0.5: a doubtful one

    @property
    def score(self) -> float:
        return (
            W_SEM * self.sem
            + W_LEX * self.lex
            + W_PAIRS * self.pairs
            + W_WINDOW * self.window
            + W_FIT * self.fit
            - W_RANK * self.passage.rank / RANK_SCALE
        )


class Part(NamedTuple):
    """A piece of the answer: the text shown, the sentence it cites, and whether the text also
    draws on the sentence before it (then shown with the quote as its context). Laid out
    across articles (answer/sources.py), a part also carries what it claims: the value, its
    speaker, the group of parts giving the same value, the event's time, or whose side it is,
    and `also`: other articles' sentences saying the same (cited with it)."""

    text: str
    cand: Candidate
    context: bool = False
    also: tuple[Candidate, ...] = ()
    value: str | None = None
    speaker: str | None = None
    group: int = 0
    when: When | None = None
    label: str | None = None


@dataclass
class Draft:
    """What the answerer decided, before citations are numbered and checked against the store."""

    short_answer: str | None
    parts: list[Part]
    abstained: bool  # the support is below the threshold
    best: Candidate | None = None
    support: float = 0.0  # evidence score of the answer's sentence (reader: its probability)
    read: list[tuple[Candidate, Reading]] = field(default_factory=list)  # reader: best first
    ranked: list[Candidate] = field(default_factory=list)  # every candidate, best first
    layout: str | None = None  # claims | speakers | compare | timeline (answer/sources.py)
    relation: str | None = None  # claims: differ | agree


def candidates(passages: Sequence[Passage]) -> list[Candidate]:
    """Every sentence of the retrieved chunks, once, in retrieval order."""
    seen: set[tuple[str, int]] = set()
    out = []
    for p in passages:
        c = p.chunk
        previous, previous_start = "", -1
        for s in c.sentences:
            text = c.text[s.start - c.start : s.end - c.start]
            key = (c.article_id, s.start)
            if key not in seen:
                seen.add(key)
                out.append(Candidate(p, s.start, s.end, text, previous, previous_start))
            previous, previous_start = text, s.start
    return out


def score(
    q: Question,
    qvec: np.ndarray,
    cands: Sequence[Candidate],
    vectors: np.ndarray,
    idf: Callable[[str], float],
) -> list[Candidate]:
    """The candidate sentences (`candidates`) with their evidence features, best first;
    `vectors`: their unit vectors, row by row."""
    if not cands:
        return []
    weights = {t: idf(t) for t in set(q.terms)}
    total = sum(weights.values()) or 1.0
    qterms = set(q.terms) | acronyms(q.terms)
    qpairs = set(zip(q.terms, q.terms[1:]))
    for c, v in zip(cands, vectors):
        c.sem = float(np.dot(qvec, v))
        words = terms(c.text)
        present = set(words)
        near = present | set(terms(c.before))
        c.lex = sum(w for t, w in weights.items() if t in present) / total
        c.window = sum(w for t, w in weights.items() if t in near) / total
        c.pairs = len(qpairs & set(zip(words, words[1:]))) / len(qpairs) if qpairs else 0.0
        c.fit = _fit(q, c.text, qterms)
    return sorted(cands, key=lambda c: -c.score)


def answer(
    q: Question,
    qvec: np.ndarray,
    cands: Sequence[Candidate],
    vectors: np.ndarray,
    idf: Callable[[str], float],
    min_support: float,
    reader: Reader | None = None,
    n_read: int = 6,
) -> Draft:
    """The best sentence by evidence score, its short answer by the rules below, its score
    the support; with a `reader`, the reader's choice among the `n_read` best (`read`)."""
    ranked = score(q, qvec, cands, vectors, idf)
    if not ranked:
        return Draft(None, [], True)
    if reader is not None:
        return replace(read(q, ranked[:n_read], reader, min_support), ranked=ranked)
    qterms = set(q.terms) | acronyms(q.terms)
    best = ranked[0]  # the kind of answer asked weighs in the score; it does not overrule it
    support = best.score * (FIT_SUPPORT[best.fit] if q.kind not in ("what", "why", "yesno") else 1)
    short = _short(q, best.text, qterms)
    parts = [Part(short.text if short else best.text, best)]
    if q.kind == "count" and short and not q.wants_total:
        others = [c for c in ranked[1:8] if c.score + W_FIT >= min_support]
        parts = _more_counts(
            q, best, others, qterms, lambda c, bonus: c.score + bonus >= min_support
        )
    short_text = short.text if short else None
    return Draft(short_text, parts, support < min_support, best, support, ranked=ranked)


def read(q: Question, top: list[Candidate], reader: Reader, min_support: float) -> Draft:
    """The learned reader's answer (opt-in: it does not beat the rules yet, docs/accuracy.md):
    the candidate with the highest logit + the card's cosine weight x cosine; the reader's
    span in it as the short answer when its span probability reaches the card's threshold;
    its probability as the support."""
    readings = reader.read(q.text, [Item(c.text, c.passage.title, c.before) for c in top])
    w = reader.cosine_weight
    order = sorted(range(len(top)), key=lambda i: -(readings[i].score + w * top[i].sem))
    ranked = [(top[i], readings[i]) for i in order]
    best, r = ranked[0]
    short = _reader_short(q, best.text, r, reader.span_threshold)
    parts = [Part(short or best.text, best)]
    if q.kind == "count" and short and not q.wants_total:
        qterms = set(q.terms) | acronyms(q.terms)
        others = [c for c, x in ranked[1:] if x.prob >= min_support]
        parts = _more_counts(q, best, others, qterms, lambda c, bonus: True)
    return Draft(short, parts, r.prob < min_support, best, r.prob, ranked)


def _reader_short(q: Question, sentence: str, r: Reading, span_threshold: float) -> str | None:
    """The reader's span, when it is sure enough of it; for a count, widened to the count
    with what it counts ('36' -> '36 vehicles')."""
    if r.span is None or r.span_prob < span_threshold:
        return None
    a, b = r.span
    if q.kind == "count":
        for c in spans.counts(sentence):
            if c.start < b and a < c.end:
                return c.text
    return sentence[a:b]


def acronyms(words: Sequence[str]) -> set[str]:
    """Initials of runs of the question's words: 'Syrian Democratic Forces' -> 'sdf'."""
    return {
        "".join(w[0] for w in words[i:j])
        for i in range(len(words))
        for j in range(i + 2, min(len(words), i + 5) + 1)
    }


def _fit(q: Question, sentence: str, qterms: set[str]) -> float:
    """1 when the sentence holds an answer of the asked kind, 0.5 when doubtful, else 0."""
    span, _ = span_of(q, sentence, qterms)
    if span is None:
        return 0.0
    if q.kind == "count" and q.unit and not spans.unit_matches(span, q.unit):
        return 0.5
    return 1.0


def _short(q: Question, sentence: str, qterms: set[str]) -> spans.Span | None:
    """The short answer: the span of the asked kind, but only where the rule that found it is
    one that is usually right (measured on the SQuAD dev sets); else None, and the cited
    sentence is the answer."""
    span, sure = span_of(q, sentence, qterms)
    return span if sure else None


def span_of(q: Question, sentence: str, qterms: set[str]) -> tuple[spans.Span | None, bool]:
    """The span of the asked kind nearest the question's own words, and whether to trust it."""
    if q.kind == "count":
        span, _ = spans.best_count(sentence, q.unit, frozenset(q.terms), q.money)
        if span is None:
            return None, False
        if age := re.match(r"(\d+)-year-olds?$", span.text):  # "how old": the years, "34"
            span = spans.Span(age.group(1), span.start, span.start + len(age.group(1)))
        counted = set(terms(spans.unit_of(span)))
        sure = bool(counted & set(q.unit)) if counted else spans.counted_by(sentence, span, qterms)
        return span, sure
    if q.kind == "attribution":
        return next(iter(spans.attributions(sentence)), None), True
    if q.kind == "when":
        found = spans.dates(sentence)
        return spans.nearest(found, sentence, qterms), spans.clearly_nearest(
            found, sentence, qterms
        )
    if q.kind == "where":
        found = [p for p in spans.places(sentence, qterms) if spans.located(p)]
        return spans.nearest(found, sentence, qterms), spans.clearly_nearest(
            found, sentence, qterms
        )
    if q.preposition and (span := spans.after_preposition(sentence, q.preposition, qterms)):
        return span, True
    if q.kind == "who":
        if q.verb and (span := spans.subject_of(sentence, q.verb, qterms, q.passive)):
            return span, True
        if span := spans.agent_of_noun(sentence, qterms):
            return span, True
        found = spans.names(sentence, qterms)
        return spans.nearest(found, sentence, qterms), len(found) == 1
    if q.kind == "what" and q.described and (span := spans.appositive(sentence, q.described)):
        return span, True
    if q.kind == "what" and q.object_verb:
        span = spans.object_of(sentence, q.object_verb, qterms)
        return span, span is not None
    return None, False


def _more_counts(
    q: Question,
    best: Candidate,
    others: list[Candidate],
    qterms: set[str],
    answers: Callable[[Candidate, float], bool],
) -> list[Part]:
    """'How many' over several events: each count with when it happened, each with its own
    sentence ('36 vehicles, eight fuel trucks, 17 pickups on Monday [1]; 32 pick-up trucks on
    May 25 [2]'). Listed, never added up. Another sentence (of `others`, best first) joins
    when it would be an answer by itself (`answers(it, fit bonus)`) and counts the asked
    thing, or, when the asked thing heads a tally ('36 vehicles, eight fuel trucks, and 17
    pickups'), a thing the tally counts with it. A question that names its event ('on May 25', 'when the jets struck the
    convoys') gets that event only. The first part replaces the bare short answer."""
    short, rest = spans.best_count(best.text, q.unit, frozenset(q.terms), q.money)
    if short is None:
        return [Part(best.text, best)]
    listed = spans.listed_with(best.text, short, rest)
    first = ", ".join(s.text for s in [short, *(s for s in listed if s is not short)])
    parts = [_dated(first, best)]
    if spans.dates(q.text) or _NAMES_EVENT.search(q.text):  # other events are not asked
        return parts
    asked = set(q.unit)
    tally = {_head(s) for s in listed} - {None} if listed[0] is short else set()
    for c in others:
        span, _ = spans.best_count(c.text, tuple(asked | tally), frozenset(q.terms), q.money)
        if span is None or (c.passage.chunk.article_id, c.start) == (
            best.passage.chunk.article_id,
            best.start,
        ):
            continue
        words = terms(spans.unit_of(span))
        if words:  # all the asked unit ('pick-up trucks' are not 'fuel trucks'), or the tally's
            joins = (bool(asked) and asked <= set(words)) or words[-1] in tally
            bonus = W_FIT * (1 - c.fit)  # its fit was judged against the question's unit only
        else:
            joins, bonus = spans.counted_by(c.text, span, qterms), 0.0
        if joins and answers(c, bonus):
            parts.append(_dated(span.text, c))
    return parts


def _head(span: spans.Span) -> str | None:
    """The noun a count counts: the last word of its unit ('eight fuel trucks' -> 'truck')."""
    words = terms(spans.unit_of(span))
    return words[-1] if words else None


_NAMES_EVENT = re.compile(r"\b(?:when|while|during)\b", re.I)


def _dated(counts: str, c: Candidate) -> Part:
    """Counts with the time the sentence places them in, or else the sentence before it (then
    cited as the quote's context). A sentence with a time of its own ('during the closure')
    borrows none: the one before may tell of another event."""

    def when(text: str) -> spans.Span | None:
        return next(
            (
                d
                for d in spans.dates(text)
                if " " in d.text
                and d.text.split()[0].lower() in ("on", "in", "since", "during", "by")
            ),
            None,
        )

    found, context = when(c.text), False
    if found is None and c.before and not _OWN_TIME.search(c.text):
        found, context = when(c.before), True
    if found is None:
        return Part(counts, c)
    return Part(f"{counts} {found.text[0].lower()}{found.text[1:]}", c, context)


_OWN_TIME = re.compile(
    r"\b(?:during|after|before|while|since|until|following|earlier|later|previously|"
    r"last|next|this)\b|\b(?:today|yesterday|tomorrow|ago)\b",
    re.I,
)
