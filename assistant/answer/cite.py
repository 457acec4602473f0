"""The cite stage: a draft (extractive) or a verified model answer (generative) becomes the
answer the user sees, with [n] markers for verbatim sentences numbered in order of first use.

Every quote is checked against the stored article text it claims to come from (`texts`:
article id -> text); a sentence that is not there verbatim at its offsets is never cited.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Mapping, Sequence

from assistant.answer.extractive import ABSTAIN, Candidate, Draft
from assistant.answer.verify import Verified
from assistant.types import Answer, Citation, Context

_ENDS_SENTENCE = re.compile(r"[.!?][\"'\u201d\u2019)]*\s*$")


def articles_of(cands: Iterable[Candidate]) -> set[str]:
    """The ids of the articles whose text citing `cands` needs."""
    return {c.passage.chunk.article_id for c in cands}


def extractive(question: str, draft: Draft, abstain: bool, texts: Mapping[str, str]) -> Answer:
    """The draft's parts, each with its [n]: '36 vehicles ... on Monday [1]; 32 ... [2].'
    With `abstain`, a draft below the support threshold is the abstention."""
    if not draft.parts or (draft.abstained and abstain):
        return Answer(question, ABSTAIN, None, True, [])
    cite = Citer(texts)
    shown = [(p.text, n) for p in draft.parts if (n := cite(p.cand, p.context)) is not None]
    if not shown:
        return Answer(question, ABSTAIN, None, True, [])
    text = "; ".join(f"{t} [{n}]" for t, n in shown)
    # a sentence quoted whole keeps its own full stop: "... machine guns. [1]", not "[1]."
    if not _ENDS_SENTENCE.search(shown[-1][0]):
        text += "."
    return Answer(question, text, draft.short_answer, False, cite.citations)


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
