"""The cite stage: a draft (extractive) or a verified model answer (generative) becomes the
answer the user sees, with [n] markers for verbatim sentences numbered in order of first use.

Every quote is checked against the stored article text it claims to come from (`texts`:
article id -> text); a sentence that is not there verbatim at its offsets is never cited.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import date

from assistant.answer import dates
from assistant.answer.extractive import ABSTAIN, Candidate, Draft, Part
from assistant.answer.sources import amount
from assistant.answer.verify import Verified
from assistant.text import terms
from assistant.types import Answer, Citation, Claim, Context, Event

_ENDS_SENTENCE = re.compile(r"[.!?][\"'\u201d\u2019)]*\s*$")


def articles_of(cands: Iterable[Candidate]) -> set[str]:
    """The ids of the articles whose text citing `cands` needs."""
    return {c.passage.chunk.article_id for c in cands}


def extractive(question: str, draft: Draft, abstain: bool, texts: Mapping[str, str]) -> Answer:
    """The draft's parts, each with its [n]: '36 vehicles ... on Monday [1]; 32 ... [2].'
    With `abstain`, a draft below the support threshold is the abstention. Laid out across
    articles (draft.layout), the parts become the answer's claims or timeline too."""
    if not draft.parts or (draft.abstained and abstain):
        return Answer(question, ABSTAIN, None, True, [])
    cite = Citer(texts)
    shown: list[tuple[Part, list[tuple[Candidate, int]]]] = []  # each part, its cited sentences
    for p in draft.parts:
        n = cite(p.cand, p.context)
        if n is not None:
            also = [(c, m) for c in p.also if (m := cite(c)) is not None]
            shown.append((p, [(p.cand, n), *also]))
    if not shown:
        return Answer(question, ABSTAIN, None, True, [])
    answer = Answer(question, "", draft.short_answer, False, cite.citations)
    if draft.layout == "timeline":
        answer.timeline = [_event(p, tuple(n for _, n in cited)) for p, cited in shown]
        answer.agreement = draft.relation
    elif draft.layout:  # a claim per article: one that says what another does shares its group
        answer.claims = [_claim(p, c, n) for p, cited in shown for c, n in cited]
        answer.agreement = draft.relation
    answer.layout = draft.layout
    answer.answer = _text(draft, shown, answer)
    return answer


def _text(draft: Draft, shown: list, answer: Answer) -> str:
    if draft.layout == "timeline":
        lines = [f"{_when(e)}: {e.text} {_marks(e.citations)}" for e in answer.timeline]
        dated: dict[int, list[str]] = {}  # the rows that other sources date otherwise
        for e in answer.timeline:
            if e.group:
                dated.setdefault(e.group, []).append(f"{e.label} {_marks(e.citations)}")
        lines += [f"The sources differ on when: {' or '.join(d)}." for d in dated.values()]
        return "\n".join(lines)
    groups: dict[int, list[Claim]] = {}
    for c in answer.claims:
        groups.setdefault(c.group, []).append(c)
    if draft.layout == "compare":
        return "\n".join(
            f"{same[0].label} ({'; '.join(where(c) or c.title for c in same)}): {same[0].value} "
            + "".join(_marks(c.citations) for c in same)
            for same in groups.values()
        )
    if draft.layout in ("claims", "speakers"):
        text = "; ".join(
            f"{_said(same[0], draft.layout)} "
            + " ".join(f"({where(c) or c.title}) {_marks(c.citations)}" for c in same)
            for same in groups.values()
        )
        if draft.relation == "differ":
            return text + ": the sources differ."
        n = len(answer.claims)
        return text + (f": {n} sources agree." if draft.relation == "agree" else ".")
    text = "; ".join(f"{p.text} {_marks([n for _, n in cited])}" for p, cited in shown)
    # a sentence quoted whole keeps its own full stop: "... machine guns. [1]", not "[1]."
    if not _ENDS_SENTENCE.search(shown[-1][0].text):
        text += "."
    return text


def _when(e: Event) -> str:
    """'29 May 2017 (on Monday)': the date, and the article's words when they are relative
    (absolute words say no more than the date: '2014', not '2014 (in 2014)')."""
    if not e.date:
        return "Undated"
    if e.words and not set(terms(e.words)) <= set(terms(e.label)):
        return f"{e.label} ({e.words})"
    return e.label


def _said(c: Claim, layout: str) -> str:
    """'80 militants, according to the Russian Defense Ministry': a figure or date and who
    gives it (a name is not said 'according to' anyone, nor by one that shares its words)."""
    if layout == "speakers" or not c.speaker or set(terms(c.speaker)) & set(terms(c.value)):
        return c.value
    if amount(c.value) is None and not dates.first(c.value, None):
        return c.value
    return f"{c.value}, according to {c.speaker}"


def _marks(numbers: Sequence[int]) -> str:
    return "".join(f"[{n}]" for n in numbers)


def where(c: Claim | Event) -> str:
    """'Iran Press TV, 1 Jun 2017': the source and date it has."""
    return ", ".join(x for x in (c.source, day(c.published)) if x)


def day(iso: str | None) -> str | None:
    """'2017-06-01' -> '1 Jun 2017'."""
    if not iso:
        return None
    try:
        d = date.fromisoformat(iso)
    except ValueError:
        return iso
    return f"{d.day} {d.strftime('%b')} {d.year}"


def _claim(p: Part, cand: Candidate, n: int) -> Claim:
    c = cand.passage
    return Claim(
        p.value or p.text,
        (n,),
        c.chunk.article_id,
        c.title,
        c.source,
        c.published,
        p.speaker if cand is p.cand else _speaker_of(cand, p),
        p.group,
        p.label,
    )


def _speaker_of(cand: Candidate, p: Part) -> str | None:
    """A twin's speaker: the part's, when the twin's sentence names them too."""
    return p.speaker if p.speaker and p.speaker in cand.text else None


def _event(p: Part, marks: tuple[int, ...]) -> Event:
    c = p.cand.passage
    w = p.when
    return Event(
        w.date if w else None,
        w.label if w else "",
        w.words if w else None,
        p.text,
        marks,
        c.chunk.article_id,
        c.title,
        c.source,
        c.published,
        p.speaker,
        p.group,
    )


def generative(
    question: str, verified: Verified, draft: Draft, texts: Mapping[str, str]
) -> Answer | None:
    """The model's supported sentences, each with [n] markers for the verbatim sentences it
    rests on; None when no sentence is left."""
    cite = Citer(texts)
    out = []
    dropped = removed(verified)
    for checked in verified.kept:
        marks = list(dict.fromkeys(n for n in map(cite, checked.quotes) if n is not None))
        if not marks:
            dropped.append({"text": checked.text, "reason": "its quote is not in the article"})
            continue
        out.append(with_markers(checked.text, marks))
    if not out:
        return None
    text = " ".join(out)
    short = draft.short_answer
    if short and short.lower() not in text.lower():
        short = None
    return Answer(question, text, short, False, cite.citations, mode="generative", removed=dropped)


def removed(verified: Verified) -> list[dict]:
    """The model's sentences the checks dropped, with why."""
    return [{"text": c.text, "reason": c.reason} for c in verified.removed]


def with_markers(sentence: str, marks: Sequence[int]) -> str:
    """'It was signed.' + [1, 2] -> 'It was signed [1][2].'"""
    tags = "".join(f"[{n}]" for n in marks)
    body = sentence.rstrip()
    end = ""
    while body and body[-1] in '.!?;:,"”’)':
        end = body[-1] + end
        body = body[:-1]
    end = end if any(c in end for c in ".!?") else end + "."
    return f"{body.rstrip()} {tags}{end}"


class Citer:
    """Numbers cited sentences in order of first use; a sentence the stored article does not
    hold verbatim at its offsets gets no number (None): it is never cited."""

    def __init__(self, texts: Mapping[str, str]) -> None:
        self.texts = texts
        self.citations: list[Citation] = []
        self.numbers: dict[tuple[str, int], int | None] = {}

    def __call__(self, cand: Candidate, context: bool = False) -> int | None:
        """The citation number of `cand`; with `context`, its quote also shows the sentence
        before it (the answer draws on that too). None: the store does not hold the sentence,
        or the context, verbatim: the part is left out rather than shown unchecked."""
        aid = cand.passage.chunk.article_id
        key = (aid, cand.start)
        text = self.texts.get(aid, "")
        before = None
        if context:
            end = cand.before_start + len(cand.before)
            if cand.before_start < 0 or text[cand.before_start : end] != cand.before:
                return None
            before = Context(cand.before, cand.before_start, end)
        if key not in self.numbers:
            if text[cand.start : cand.end] != cand.text:
                self.numbers[key] = None
                return None
            self.numbers[key] = len(self.citations) + 1
            p = cand.passage
            self.citations.append(
                Citation(
                    self.numbers[key],
                    aid,
                    p.title,
                    p.source,
                    p.published,
                    cand.text,
                    cand.start,
                    cand.end,
                    before,
                )
            )
        n = self.numbers[key]
        if n is not None and before is not None and self.citations[n - 1].context is None:
            self.citations[n - 1] = dataclasses.replace(self.citations[n - 1], context=before)
        return n
