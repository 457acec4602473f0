"""The sources stage: what several articles say, side by side, instead of the one best sentence.

- A figure, date, place or name asked for: each article that answers gives its value; values
  that differ are all shown, each with its source ("the sources differ"), and the same value
  from several articles is shown once with all of them ("2 sources agree").
- "Who said/claimed ...": every speaker, each with the sentence that quotes them (or, inside a
  quotation, the sentence before that names them).
- "How do A and B differ", "what did X and Y say about Z": a part per article or per speaker.
- "Timeline of ...", "what happened to X between May and June": dated events in order, relative
  dates ("on Monday") placed on the calendar from the article's publication date.

An article counts once: a copy of an article is never indexed (ingest), so it can never make
"2 sources agree". Sentences from two articles tell of the same thing when both answer the
question (evidence score) and read alike (cosine of their vectors).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import replace

import numpy as np

from assistant.answer import dates, spans
from assistant.answer.extractive import Candidate, Draft, Part, acronyms, span_of
from assistant.answer.question import Question
from assistant.text import MONTHS, NUMBER_WORDS, terms

SAME = 0.5  # two sentences that read this alike tell of the same thing (speakers)
AGREE = 0.4  # ... this alike, with the same figure or date: the same claim
RETOLD = 0.7  # ... with another value: the same claim told otherwise (a figure they differ on)
SAME_WORDS = 0.4  # ... and sharing this share of their words, less the speakers': the same quote
NEAR = 0.15  # another article's sentence joins when it scores within this of the best
POOL = 48  # ranked sentences looked at
EVENTS = 12  # a timeline's dated events at most
SPEAKERS = 8  # "which analysts are quoted ...": speakers (one per article each) at most
RELEVANT = 0.35  # timeline and comparison: a sentence within this of the best is on the subject
ARTICLES = 8  # a timeline reads the whole of this many articles on its subject at most
ON_SUBJECT = 0.5  # a timeline's best sentence (with the one before) holds this share of its words
LEEWAY = 0.05  # ... or its best sentence scores within this of the support threshold

VALUE_KINDS = ("count", "when", "who", "where")  # questions whose answer is a span of a kind

Vectors = Callable[[Candidate], np.ndarray]


def across(q: Question, draft: Draft, vector: Vectors, min_support: float) -> Draft:
    """The draft laid out across articles where the question asks for that, else as it was."""
    if draft.best is None or not draft.ranked:
        return draft
    # a timeline needs its subject in the articles, not one sentence that answers it all
    best = draft.best
    if q.layout == "timeline" and (
        not draft.abstained or best.window >= ON_SUBJECT or best.score >= min_support - LEEWAY
    ):
        return _timeline(q, draft, vector)
    if draft.abstained:
        return draft
    if q.layout == "compare":
        return _compare(q, draft, vector)
    if q.kind == "attribution" or _ASKS_SPEAKERS.match(q.text):
        return _speakers(q, draft, vector, min_support)
    if q.kind in VALUE_KINDS or q.figure:
        draft = _values(q, draft, vector, min_support)
    return _placed(draft) if q.kind == "when" else draft


def _placed(draft: Draft) -> Draft:
    """Relative dates on the calendar: 'on Monday' in an article of Thursday 1 June 2017 reads
    'on Monday (29 May 2017)' in each part of the answer. The short answer keeps the
    article's words, which the answer then states."""

    def place(text: str, c: Candidate) -> str:
        w = dates.first(text, c.passage.published)
        if w is None or not w.relative or not w.date or w.label in text:
            return text
        return text[: w.end] + f" ({w.label})" + text[w.end :]

    parts = [
        p._replace(
            text=place(p.text, p.cand) if p.text != p.cand.text else p.text,
            value=place(p.value, p.cand) if p.value else None,
        )
        for p in draft.parts
    ]
    return replace(draft, parts=parts)


def _aid(c: Candidate) -> str:
    return c.passage.chunk.article_id


def _answering(
    draft: Draft,
    vector: Vectors,
    min_support: float,
    value: Callable[[Candidate], str | None],
    key: Callable[[Candidate, str], tuple],
) -> list[tuple[Candidate, str, tuple]]:
    """The best sentence's value and, from each other article, its best sentence that tells of
    the same thing with a value. One that gives a figure or date already found needs only to
    come near answering (within NEAR of the support threshold) and read somewhat like the best
    (AGREE): the same figure in a sentence alike is the same claim. One that gives a name
    already found must answer (the threshold) and read like it (SAME): names share words too
    easily. One that gives another value must answer, nearly as well as the best (within
    NEAR), and read much like it (RETOLD), or two figures about two things would be taken for
    sources that differ."""
    best = draft.best
    assert best is not None
    first = value(best)
    if first is None:
        return []
    out = [(best, first, key(best, first))]
    seen = {_aid(best)}
    bv = vector(best)
    for c in draft.ranked[:POOL]:
        if _aid(c) in seen or c.score < min_support - NEAR:
            continue
        alike = float(np.dot(vector(c), bv))
        if alike < AGREE or (v := value(c)) is None:
            continue
        k = key(c, v)
        answers = c.score >= min_support and alike >= SAME
        if ((k[0] != "name" or answers) and any(_same(k, x[2]) for x in out)) or (
            alike >= RETOLD and c.score >= max(min_support, best.score - NEAR)
        ):
            seen.add(_aid(c))
            out.append((c, v, k))
    return out


def _values(q: Question, draft: Draft, vector: Vectors, min_support: float) -> Draft:
    """The value each article gives: of the asked kind (a count, a time, a name, a place), or
    for other questions the figure the sentence states ('valued at $6.75bn', '60%')."""
    qterms = set(q.terms) | acronyms(q.terms)
    asked = set(terms(q.text))

    def value(c: Candidate) -> str | None:
        if c is draft.best and draft.short_answer:
            return draft.short_answer
        if q.kind not in VALUE_KINDS:
            return _figure(c.text, qterms, asked)
        span, _ = span_of(q, c.text, qterms)
        if span is None or (q.kind == "count" and q.unit and not spans.unit_matches(span, q.unit)):
            return None
        return span.text

    found = _answering(draft, vector, min_support, value, lambda c, v: _key(q, c, v))
    if len(found) < 2:
        return draft
    groups = _groups([k for _, _, k in found])
    first = draft.parts[0]
    parts = [
        Part(
            first.text if c is draft.best and q.kind in VALUE_KINDS else v,
            c,
            first.context if c is draft.best else False,
            value=v,
            speaker=_speaker(c.text),
            group=g,
        )
        for (c, v, _), g in zip(found, groups)
    ]
    relation = "differ" if len(set(groups)) > 1 else "agree"
    return replace(draft, parts=parts, layout="claims", relation=relation)


def _figure(sentence: str, qterms: set[str], asked: set[str]) -> str | None:
    """The figure a sentence states nearest the question's words ('$6.75bn', '60% of its
    output'), less any the question itself gives; None when it states none."""
    found = [s for s in spans.counts(sentence) if amount(s.text) is not None]
    found = [s for s in found if not set(terms(s.text)) <= asked or not terms(s.text)]
    span = spans.nearest(found, sentence, qterms)
    return span.text if span else None


def _speakers(q: Question, draft: Draft, vector: Vectors, min_support: float) -> Draft:
    """Everyone the answering sentences quote: each sentence that answers (the support
    threshold) and reads somewhat like the best one (SAME) gives its speaker; a speaker is
    listed once per article. A question after everyone quoted ('which analysts are quoted
    ...', 'who else ...') takes every quote on the subject instead: sentences within RELEVANT
    of the best that share a word with the question, SPEAKERS at most. The same words given
    to other people in other articles are a disagreement on who said them; other people
    saying other things are just more speakers."""
    best = draft.best
    assert best is not None
    bv = vector(best)
    found: list[tuple[Candidate, str, tuple]] = []
    everyone = _everyone(q.text)
    for c in draft.ranked[:POOL]:
        if everyone:  # every quote on the subject: near the best and sharing a question word
            if c.score < best.score - RELEVANT or not c.window:
                continue
        elif c.score < min_support or float(np.dot(vector(c), bv)) < SAME:
            continue
        own = c is best and q.kind == "attribution" and draft.short_answer
        name = draft.short_answer if own else _speaker(c.text, c.before)
        if not name or not name[0].isupper():
            continue
        k = _name(name)
        if not any(_same(k, x[2]) and _aid(c) == _aid(x[0]) for x in found):
            found.append((c, name, k))
        if everyone and len(found) >= SPEAKERS:
            break
    if len({_aid(c) for c, _, _ in found}) < 2 and len(found) < 2:
        return draft
    keys = _groups([k for _, _, k in found])
    parts = [
        Part(v, c, v not in c.text and v in c.before, value=v, speaker=v, group=g)
        for (c, v, _), g in zip(found, keys)
    ]
    retold = any(
        _retold(a, b, vector)
        for a in parts
        for b in parts
        if a.group != b.group and _aid(a.cand) != _aid(b.cand)
    )
    relation = "agree" if len(set(keys)) == 1 else "differ" if retold else None
    return replace(draft, parts=parts, layout="speakers", relation=relation)


def _retold(a: Part, b: Part, vector: Vectors) -> bool:
    """The same words told of another speaker: the sentences read alike (RETOLD) and share
    many of their words once the speakers' own are left out (SAME_WORDS); two people making
    a like point in their own words are two speakers, not a disagreement."""
    if float(np.dot(vector(a.cand), vector(b.cand))) < RETOLD:
        return False
    left = set(terms(a.cand.text)) - set(terms(a.speaker or ""))
    right = set(terms(b.cand.text)) - set(terms(b.speaker or ""))
    return bool(left | right) and len(left & right) / len(left | right) >= SAME_WORDS


_SAYING_VERBS = (
    r"said|say|says|told|tell|claimed|claim|critici[sz]ed|critici[sz]e|dismissed|dismiss|"
    r"condemned|condemn|warned|warn|argued|argue|spoken out|spoke out|speak out|accused|accuse|"
    r"denied|deny|insisted|insist|praised|praise|welcomed|welcome|attacked|attack|rejected|"
    r"reject|blamed|blame|described|describe|called|repeated|repeat|added"
)
# "who said ...", "which opposition politicians criticised ...": asks who spoke
_ASKS_SPEAKERS = re.compile(
    rf"^\s*(?P<who>who(?:,[^,?]{{1,60}},)?|which\b[\w\s'-]{{0,60}}?)\s+"
    rf"(?:have |has |had |also |are |is |were |was |been )*(?:{_SAYING_VERBS}|quoted)\b",
    re.I,
)


def _everyone(question: str) -> bool:
    """Whether a question asks for everyone quoted on its subject, not only those whose
    sentence answers it: 'which analysts are quoted ...', 'which politicians criticised ...',
    'who else ...', 'apart from X'; not 'which Yukos spokesman said ...'."""
    if re.search(r"\b(?:quoted|apart from|who else)\b", question, re.I):
        return True
    m = _ASKS_SPEAKERS.match(question)
    last = m.group("who").split()[-1].lower() if m else ""
    return last == "people" or (m is not None and last[-1:] == "s" and last[-2:] != "ss")


def _compare(q: Question, draft: Draft, vector: Vectors) -> Draft:
    """A part per speaker the question names ('what did X and Y say'), else per article."""
    best = draft.best
    assert best is not None
    pool = [c for c in draft.ranked[:POOL] if c.score >= best.score - RELEVANT]
    parts: list[Part] = []
    names = q.compared
    if names:
        for name in names:
            words = set(terms(name))
            c = next((c for c in pool if words & set(terms(c.text + " " + c.before))), None)
            if c is not None and all(p.cand is not c for p in parts):
                speaker = _speaker(c.text)
                parts.append(Part(c.text, c, label=name, speaker=speaker, group=len(parts)))
    else:  # an article that says what another already said (a copy's twin) shares its part
        seen: set[str] = set()
        for c in pool:
            if _aid(c) in seen:
                continue
            seen.add(_aid(c))
            if not _joined(parts, c, vector):
                speaker = _speaker(c.text)
                parts.append(
                    Part(c.text, c, label=c.passage.title, speaker=speaker, group=len(parts))
                )
    if len(parts) < 2:
        return draft
    return replace(draft, parts=parts[:4], short_answer=None, layout="compare")


def _timeline(q: Question, draft: Draft, vector: Vectors) -> Draft:
    """Dated events in order, each cited. The articles that tell of the subject are those with
    a sentence scoring within RELEVANT of the best; each of their dated sentences that shares
    a word with the question (itself or the sentence before) is an event, the EVENTS best of
    them kept, each article's news (its best sentence dated from its publication, 'on
    Monday') before older background ('in 2002'). The same event told by two articles (the
    same date, sentences that read alike) is one row with both citations; undated sentences
    that answer as well come last."""
    best = draft.best
    assert best is not None
    window = _window(q.text)
    about = set(on_subject(draft))
    dated: list[Part] = []
    undated: list[Part] = []
    told = [
        (c, dates.first(c.text, c.passage.published))
        for c in draft.ranked
        if _aid(c) in about and c.window
    ]
    told = [
        (c, w)
        for c, w in told
        if not (window and w and w.date and not window[0] <= w.key <= window[1])
    ]
    news: dict[str, Candidate] = {}  # each article's best sentence dated from its publication
    for c, w in told:
        if w is not None and w.relative and w.date:
            news.setdefault(_aid(c), c)
    first = {id(c) for c in news.values()}
    for c, when in sorted(told, key=lambda cw: id(cw[0]) not in first):  # stable: by score
        if when is not None and when.date:
            rows, most = dated, EVENTS
        elif when is None and c.score >= best.score - NEAR:
            rows, most = undated, 2
        else:
            continue
        if not _joined(rows, c, vector, when) and len(rows) < most:
            rows.append(Part(c.text, c, when=when, speaker=_speaker(c.text)))
    if not dated:
        return draft
    dated.sort(key=lambda p: (p.when.key if p.when else (0, 0, 0), p.cand.passage.rank))
    dated = _dated_otherwise(dated, vector)
    return replace(
        draft,
        parts=dated + undated,
        short_answer=None,
        layout="timeline",
        abstained=False,
        relation="differ" if any(p.group for p in dated) else None,
    )


def _dated_otherwise(rows: list[Part], vector: Vectors) -> list[Part]:
    """Rows where other articles tell one event in the same words, all but its date ('on
    Sunday' here, 'on Monday' there), share a group number: the sources differ on when. The
    sentences must read alike within NEAR and share SAME_WORDS of their words less their
    dates' (two events of one story read alike too), and the dates must not hold one another
    ('2004' and 'November 2004' agree). 0: no other source dates the row otherwise."""
    group = [0] * len(rows)
    for i, a in enumerate(rows):
        for j in range(i + 1, len(rows)):
            b = rows[j]
            if not (a.when and b.when and a.when.date and b.when.date):
                continue
            if _same(("date", a.when.date), ("date", b.when.date)) or a.when.week or b.when.week:
                continue
            if {_aid(x) for x in (a.cand, *a.also)} & {_aid(x) for x in (b.cand, *b.also)}:
                continue  # one article's two events, not two sources
            if float(np.dot(vector(a.cand), vector(b.cand))) < 1 - NEAR:
                continue
            left = set(terms(a.text)) - set(terms(a.when.words))
            right = set(terms(b.text)) - set(terms(b.when.words))
            if len(left & right) >= SAME_WORDS * len(left | right):
                group[i] = group[j] = group[i] or group[j] or max(group) + 1
    return [p._replace(group=g) for p, g in zip(rows, group)]


def on_subject(draft: Draft) -> list[str]:
    """The articles that tell of a timeline's subject, best first: those with a sentence
    scoring within RELEVANT of the best; ARTICLES at most."""
    best = draft.best
    assert best is not None
    ids = [_aid(c) for c in draft.ranked if c.score >= best.score - RELEVANT]
    return list(dict.fromkeys(ids))[:ARTICLES]


def _joined(
    rows: list[Part], c: Candidate, vector: Vectors, when: dates.When | None = None
) -> bool:
    """Whether `c` tells again what a row already says (reads alike within NEAR, of the same
    date): then it is cited with that row (once per article) instead of making a row."""
    day = when.date if when else None
    for i, p in enumerate(rows):
        same_day = (p.when.date if p.when else None) == day
        if same_day and float(np.dot(vector(p.cand), vector(c))) >= 1 - NEAR:
            if _aid(c) not in {_aid(x) for x in (p.cand, *p.also)}:
                rows[i] = p._replace(also=(*p.also, c))
            return True
    return False


_MONTH_DAY = re.compile(
    r"\b(?:(?P<d1>\d{1,2}) )?(?P<m>" + "|".join(x.capitalize() for x in MONTHS) + r")\b"
    r"(?: (?P<d2>\d{1,2})\b(?!\d))?"
)


def _window(question: str) -> tuple[tuple[int, int, int], tuple[int, int, int]] | None:
    """'between May and June 2017', 'from 2004 to 2005', 'in March 2005': the first and last
    day asked about, as (year, month, day) keys; None when the question names no year."""
    if not re.search(r"\b(?:between|from|since|in|during|until)\b", question, re.I):
        return None
    years = [(m.start(), int(m.group())) for m in re.finditer(r"\b(?:19|20)\d\d\b", question)]
    if not years:
        return None
    keys: list[tuple[int, ...]] = []
    for m in _MONTH_DAY.finditer(question):
        year = next((y for at, y in years if at > m.start()), years[-1][1])
        day = m.group("d1") or m.group("d2")
        month = MONTHS.index(m.group("m").lower()) + 1
        keys.append((year, month, int(day)) if day else (year, month))
    named = {k[0] for k in keys}
    keys += [(y,) for _, y in years if y not in named]
    lo = min((*k, *[0] * (3 - len(k))) for k in keys)
    hi = max((*k, *[99] * (3 - len(k))) for k in keys)
    return lo, hi  # type: ignore[return-value]


def _speaker(sentence: str, before: str = "") -> str | None:
    """Who the sentence quotes ('according to the Russian Defense Ministry', 'Ms Hewitt told');
    for a sentence inside a quotation, or one whose speaker is 'he' or 'she', who the sentence
    before names ('Paul Collison said: "... . "Yugansk will most likely end up with
    Gazprom."')."""
    found = spans.attributions(sentence)
    pronoun = bool(found) and found[0].text.lower() in _PRONOUNS
    if before and (pronoun or (not found and sentence.lstrip()[:1] in _QUOTES)):
        found = spans.attributions(before)  # "He described the ban as ..." after "X told ..."
    if not found:
        return None
    text = found[0].text
    return None if text.lower() in _PRONOUNS else text


_PRONOUNS = {"it", "this", "he", "she", "they", "we", "i"}


_QUOTES = {'"', "\u201c", "\u2018", "'"}


def _key(q: Question, c: Candidate, value: str) -> tuple:
    """What two values must share to be the same: the amount of a count or figure, the
    calendar date of a time, else the name's words."""
    if q.kind not in ("when", "who", "where") and (n := amount(value)) is not None:
        return ("amount", n)
    if q.kind == "when" and (w := dates.first(value, c.passage.published)) and w.date:
        return ("date", w.date)
    return _name(value)


def _name(value: str) -> tuple:
    return ("name", frozenset(terms(value)))


def _same(a: tuple, b: tuple) -> bool:
    """Equal amounts, dates one within the other ('2003' and '2003-12'), or names one of which
    holds the other's words."""
    if a == b:
        return True
    if a[0] == b[0] == "date":
        return a[1].startswith(b[1]) or b[1].startswith(a[1])
    return a[0] == b[0] == "name" and bool(a[1]) and (a[1] <= b[1] or b[1] <= a[1])


def _groups(keys: Sequence[tuple]) -> list[int]:
    """A group number per key, the same for keys that are the same (`_same`)."""
    reps: list[tuple] = []
    out = []
    for k in keys:
        i = next((i for i, r in enumerate(reps) if _same(k, r)), None)
        if i is None:
            reps.append(k)
            i = len(reps) - 1
        out.append(i)
    return out


_SCALES = {"thousand": 1e3, "million": 1e6, "m": 1e6, "billion": 1e9, "bn": 1e9, "k": 1e3}
_SCALES |= {"trillion": 1e12, "hundred": 1e2, "dozen": 12}


def amount(text: str) -> float | None:
    """The number a count states: '80 militants' 80, '£1.4bn' 1.4e9, 'eight fuel trucks' 8."""
    for m in _AMOUNT.finditer(text.lower()):
        word, scale = m.group(1), m.group(2)
        if word[0].isdigit():
            n = float(word.replace(",", ""))
        elif word in NUMBER_WORDS:
            n = float(NUMBER_WORDS[word])
        elif word in ("a", "an") and scale:
            n = 1.0
        else:
            continue
        return n * _SCALES.get(scale or "", 1.0)
    return None


_AMOUNT = re.compile(
    r"(\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|\b[a-z]+\b)\s*"
    r"(thousand|million|billion|trillion|hundred|dozen|bn|m|k)?\b"
)
