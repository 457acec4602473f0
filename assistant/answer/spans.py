"""Short answers: the span of a sentence that is the answer, by the kind of question."""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.text import (
    MONTH_ABBREVIATIONS,
    MONTHS,
    NUMBER_WORDS,
    SCALE_WORDS,
    WEEKDAYS,
    stem,
    terms,
)

# as written in prose: "June", "Jun.", "Sept", "Monday"
_MONTH_WORDS = [m.capitalize() for m in MONTHS] + [
    rf"{a.capitalize()}\.?" for a in MONTH_ABBREVIATIONS
]
_MONTHS = "(?:" + "|".join(_MONTH_WORDS) + ")"
_WEEKDAYS = "(?:" + "|".join(d.capitalize() for d in WEEKDAYS) + ")"
# "eight" (not "zero": it counts nothing) and round amounts
_NUMBER_WORDS = "|".join(w for w, n in NUMBER_WORDS.items() if n) + (
    "|a hundred|hundreds|a thousand|thousands|a dozen|dozens|millions|billions"
)
_SCALE = "|".join(SCALE_WORDS)
_NUMBER = (
    rf"(?:[$£€]\s?)?(?:\d{{1,3}}(?:,\d{{3}})+(?:\.\d+)?|\d+(?:\.\d+)?|\b(?:{_NUMBER_WORDS}))"
    rf"(?:\s?(?:{_SCALE}|bn|m|k)\b)?(?:\s?(?:%|per ?cent|percent))?"
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
    "during",
    "as",
    "than",
    "that",
    "which",
    "who",
    "where",
    "when",
    "while",
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
    rf"\b(?:(?:early|late|mid-?)\s*)?(?:{_MONTHS}\s+\d{{1,2}}(?:st|nd|rd|th)?\b(?:,?\s+\d{{4}})?"
    rf"|\d{{1,2}}\s+{_MONTHS}(?:\s+\d{{4}})?|{_MONTHS}(?:\s+of)?\s+\d{{4}}|{_MONTHS}\b|{_WEEKDAYS}"
    rf"|(?:1[5-9]|20)\d\d(?:s|\s*-\s*\d{{2,4}})?)",
)
_PLACE = re.compile(
    r"\b(?P<prep>in|at|near|from|to|towards|toward|outside|inside|across|into|around|over)\s+"
    r"(?:the\s+)?(?P<place>[A-Z][\w'-]+(?:\s+(?:of\s+|de\s+)?[A-Z][\w'-]+)*"
    r"(?:,\s+[A-Z][\w'-]+(?=[\s.;,]|$))?)"  # "Eisleben, Saxony"
)
_LOCATED = {"in", "at", "near", "towards", "toward", "outside", "inside"}
_DATE_PREP = re.compile(r"\b(?:in|on|since|by|during|until|from|between|before|after)\s+$", re.I)
_NAME = re.compile(
    r"(?:\b[Tt]he\s+)?(?P<name>[A-Z][\w'.-]*(?:\s+(?:of\s+|the\s+|for\s+|de\s+)?[A-Z][\w'.-]*)*)"
    r"(?P<noun>\s+(?:jets?|forces?|troops?|military|army|navy|government|officials?|militants?|"
    r"sources?|ministry|task force|police|president|minister|spokesman|spokeswoman|group))?"
)
# verbs that give a view: who "described the ban as ridiculous" is quoted as much as who said so
_JUDGED = "described|dismissed|criticised|criticized|condemned|repeated|argued"
_SAYS = f"said|says|told|warned|added|claimed|{_JUDGED}"
_ATTRIBUTION = [
    re.compile(
        r"[Aa]ccording to (?:an? |the )?(?:\w+ )?(?:statement|report|reports|remarks|comments|"
        r"figures|data) (?:by|from) (?P<src>(?:the )?[^,.;]+)"
    ),
    re.compile(r"[Aa]ccording to (?P<src>(?:the )?[^,.;]+)"),
    re.compile(
        r"(?:^|[,;:]\s+|\bthat\s+)(?P<src>(?:[Tt]he\s+)?(?:[A-Z][\w.'-]*|[a-z]+)(?:\s+[\w.'-]+){0,8}?)"
        r"\s+(?:has\s+|have\s+|had\s+)?(?:also\s+)?(?:said|says|claimed|claims|warned|warns|stated|"
        r"states|reported|reports|announced|announces|told|alleged|insisted|denied|confirmed|"
        rf"threatened|accused|{_JUDGED})\b"
    ),
    re.compile(  # 'Paul Collison, chief analyst at Brunswick UBS, said:'
        r"(?:^|[.;:]\s+|[\"\u201d]\s+)(?:(?:And|But)\s+)?(?P<src>[A-Z][\w.'-]*(?:\s+[A-Z][\w.'-]*)+),"
        rf"\s+(?:an?\s+|the\s+)?[a-z][^,]{{0,80}},\s+(?:has\s+)?(?:{_SAYS})\b"
    ),
    re.compile(  # '"...," Dieter Brandt, its minister for economic affairs added.'
        r"[\"\u201d]\s+(?P<src>[A-Z][\w.'-]*(?:\s+[A-Z][\w.'-]*)+),\s+(?:an?\s+|the\s+|its\s+|"
        rf"his\s+|her\s+|their\s+)[a-z][^,]{{0,80}}?\s+(?:{_SAYS})\b"
    ),
    re.compile(  # 'The Shadow Secretary of State for the Family, Theresa May, said:'
        rf",\s+(?P<src>[A-Z][\w.'-]*(?:\s+[A-Z][\w.'-]*)+),\s+(?:has\s+)?(?:{_SAYS})\b"
    ),
    re.compile(  # '"... a serious headache," said Yukos spokesman Alexander Shadrin.'
        r"[,\"\u201d']\s+(?:said|says|claimed|warned|added|told)\s+(?P<src>(?:[A-Z][\w.'-]*\s+)*?"
        r"(?:[a-z]+\s+)?(?:[A-Z][\w.'-]*)(?:\s+[A-Z][\w.'-]*)*)(?=\s*(?:[,.;]|$))"
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
    at = 0
    while m := _COUNT.search(sentence, at):
        at = m.end()
        num = m.group("num")
        before = sentence[max(0, m.start() - 12) : m.start()]
        if re.search(rf"{_MONTHS}\s*$", before) or re.fullmatch(r"(1[5-9]|20)\d\d", num.strip()):
            continue  # a date or a year, not a count
        if re.match(r"'?s\b", sentence[m.end("num") :]):
            continue  # a decade: "the 90s"
        unit_words = []
        for w in m.group("unit").split():
            if unit_words and unit_words[-1].lower().endswith(("-year-old", "-year-olds")):
                break  # "the 29-year-old took part": the age is the count
            # a participle after the noun ends it ("17 pickups carrying"); before, it is part
            # of it ("108 existing television stations")
            if w.lower() in _UNIT_STOP or (w.lower().endswith("ing") and unit_words):
                break
            unit_words.append(w)
        end = (
            m.start("unit") + _prefix_len(m.group("unit"), unit_words)
            if unit_words
            else m.end("num")
        )
        start = m.start("pre") if m.group("pre") else m.start("num")
        if (
            out
            and not unit_of(out[-1])
            and _RANGE.fullmatch(sentence[out[-1].end : start])
            and not re.search(r"\bfrom\s+$", sentence[: out[-1].start], re.I)  # a change
        ):
            start = out.pop().start  # "one or two additional membranes" is one count
        out.append(Span(sentence[start:end], start, end))
        at = end  # the words after a unit that stopped may hold the next count ("one of five")
    return out


_RANGE = re.compile(r"\s+(?:or|to)\s+|\s?-\s?")


def _prefix_len(unit: str, words: list[str]) -> int:
    pos = 0
    for w in words:
        pos = unit.index(w, pos) + len(w)
    return pos


def best_count(
    sentence: str, unit: tuple[str, ...], given: frozenset[str] = frozenset(), money: bool = False
) -> tuple[Span | None, list[Span]]:
    """The count whose unit matches the question's, and the other counts of the sentence.
    Not one the question itself gives (all its words among `given`: 'six weeks' in 'after
    the first six weeks'), nor the part of a whole ('one' of 'one of five executives'); with
    `money` ('how much ...?'), a sum before other counts."""
    spans = counts(sentence)
    if not spans:
        return None, []

    def match(s: Span) -> int:
        return len((set(terms(s.text)) | _currency(s.text)) & set(unit))

    asked = [s for s in spans if not given or not set(terms(s.text)) <= given]
    if not asked:
        return None, []
    whole = [s for s in asked if not any(_OF.fullmatch(sentence[s.end : t.start]) for t in spans)]
    pool = whole or asked
    best = max(pool, key=lambda s: (match(s), money and _is_money(s.text), -s.start))
    if unit and match(best) == 0 and not any(unit_of(s) for s in spans) and not money:
        best = pool[0]
    return best, [s for s in spans if s is not best]


_CURRENCIES = {"$": "dollar", "£": "pound", "€": "euro"}
_MONEY_WORDS = re.compile(
    r"\b(?:dollars?|pounds?|euros?|roubles?|rubles?|yen|yuan|francs?|pence|cents?|rupees?)\b|"
    r"\d\s?p\b",
    re.I,
)


def _currency(text: str) -> set[str]:
    """'$9.4bn' -> {'dollar'}: the currency a sign names, as a word of the question would."""
    return {word for sign, word in _CURRENCIES.items() if sign in text}


def _is_money(text: str) -> bool:
    """A sum of money: '£102.80', '$9.4bn', '260.75bn roubles', '270.25p'."""
    return bool(_currency(text)) or bool(_MONEY_WORDS.search(text))


_OF = re.compile(r"\s+of\s+(?:the\s+|its\s+|their\s+)?", re.I)


def listed_with(sentence: str, span: Span, others: list[Span]) -> list[Span]:
    """The span and the counts listed with it ('36 vehicles, eight fuel trucks, and 17
    pickups'), in sentence order; counts elsewhere in the sentence count something else."""
    chain = sorted([span, *others], key=lambda s: s.start)
    i = chain.index(span)
    lo = hi = i
    joined = re.compile(r"\s*(?:,\s*)?(?:(?:and|or)\s+)?")
    while lo > 0 and joined.fullmatch(sentence[chain[lo - 1].end : chain[lo].start]):
        lo -= 1
    while hi < len(chain) - 1 and joined.fullmatch(sentence[chain[hi].end : chain[hi + 1].start]):
        hi += 1
    return chain[lo : hi + 1]


def unit_matches(span: Span, unit: tuple[str, ...]) -> bool:
    """A count without a unit ('as many as 120') may be the asked one; one with another unit not."""
    counted = unit_of(span)
    return not counted or bool(set(terms(counted)) & set(unit))


def unit_of(span: Span) -> str:
    return re.sub(_NUMBER, "", span.text, count=1, flags=re.I).strip()


def dates(sentence: str) -> list[Span]:
    """Dates with the word that places them in time: 'in 2014', 'on Monday', 'between 1835 and
    1842' (an answer reads so, and gold spans include it as often as not)."""
    out: list[Span] = []
    for m in DATE.finditer(sentence):
        start, end = m.start(), m.end()
        if out and start < out[-1].end:  # the second date of "between 1835 and 1842"
            continue
        if p := _DATE_PREP.search(sentence[max(0, start - 12) : start]):
            start = start - (len(sentence[max(0, start - 12) : m.start()]) - p.start())
            if p.group().lower().startswith("between") and (
                more := re.match(r"\s+and\s+" + DATE.pattern, sentence[end:])
            ):
                end += more.end()
        out.append(Span(sentence[start:end], start, end))
    return out


def places(sentence: str, question_terms: set[str]) -> list[Span]:
    """Named places with their preposition: 'in the Castle Church', 'towards Palmyra'."""
    return [
        Span(sentence[m.start() : m.end()], m.start(), m.end())
        for m in _PLACE.finditer(sentence)
        if not set(terms(m.group("place"))) <= question_terms
        and not DATE.fullmatch(m.group("place"))
    ]


def located(place: Span) -> bool:
    """The place follows a word of location ('in', 'at', 'near', 'towards', ...), not 'to'/'from'."""
    return place.text.split()[0].lower() in _LOCATED


def names(sentence: str, question_terms: set[str]) -> list[Span]:
    out = []
    for m in _NAME.finditer(sentence):
        name = m.group("name")
        if m.start("name") == 0 and (name.lower() in _SENTENCE_OPENERS or " " not in name):
            continue  # a capitalised first word is usually not a name
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
            src = m.group("src").strip().removesuffix(".")
            if src.lower() in {"it", "this", "he", "she", "they"} and out:
                continue
            out.append(Span(src, m.start("src"), m.start("src") + len(src)))
    return out


# -- phrases around the question's own words ----------------------------------------------------
_TOKEN = re.compile(r"\w[\w'.-]*\w|\w")
_AUX = {
    "has",
    "have",
    "had",
    "was",
    "were",
    "is",
    "are",
    "be",
    "been",
    "being",
    "also",
    "not",
    "would",
    "will",
    "could",
    "can",
    "may",
    "might",
    "should",
    "did",
    "does",
    "do",
    "reportedly",
}
_CLAUSE = {
    "after",
    "before",
    "when",
    "that",
    "which",
    "who",
    "while",
    "and",
    "but",
    "because",
    "as",
    "if",
    "since",
    "although",
    "though",
    "where",
    "whereas",
    "than",
    "so",
    "then",
    "said",
}
_NP_STOP = _CLAUSE | {
    "in",
    "on",
    "at",
    "from",
    "to",
    "during",
    "for",
    "with",
    "into",
    "over",
    "under",
    "towards",
    "toward",
    "until",
    "by",
    "of",
    "against",
    "through",
    "within",
    "without",
    "via",
}


def _tokens(sentence: str) -> list[re.Match[str]]:
    return list(_TOKEN.finditer(sentence))


def _gap_breaks(sentence: str, a: re.Match[str], b: re.Match[str]) -> bool:
    """Punctuation between two neighbouring words ends a phrase."""
    return bool(re.search(r"[,;:()\[\]\"“”]", sentence[a.end() : b.start()]))


def _phrase_after(
    sentence: str, toks: list[re.Match[str]], i: int, qterms: set[str]
) -> Span | None:
    """The noun phrase starting at token i: up to punctuation or a clause word; conjuncts the
    question already names are dropped ('X and Iranian advisers' asked 'besides Iranian
    advisers' gives X)."""
    j = i
    while j < len(toks) and j - i < 10:
        w = toks[j].group().lower()
        if j > i and (
            _gap_breaks(sentence, toks[j - 1], toks[j]) or (w in _NP_STOP and w != "and")
        ):
            break
        j += 1
    if j == i:
        return None
    words = toks[i:j]
    groups: list[list[re.Match[str]]] = [[]]
    for t in words:
        if t.group().lower() == "and":
            groups.append([])
        else:
            groups[-1].append(t)
    kept = [g for g in groups if g and not {stem(t.group().lower()) for t in g} <= qterms | _FILLER]
    if not kept:
        return None
    start, end = kept[0][0].start(), kept[0][-1].end()
    if len(kept) == len(groups):  # nothing dropped: keep the whole coordination
        end = kept[-1][-1].end()
    return Span(sentence[start:end], start, end)


_FILLER = {"the", "a", "an", "its", "their", "his", "her"}


def _phrase_before(sentence: str, toks: list[re.Match[str]], i: int) -> Span | None:
    """The subject before token i (a verb): back over auxiliaries, then to a clause boundary.
    A name joined by 'and' stays in ('Temüjin and his brother Khasar killed'); a relative
    clause between the subject and its verb is skipped ('X, who succeeded Y after Y died,
    invited'); a lone pronoun is no answer."""
    j = i - 1
    while j >= 0 and toks[j].group().lower() in _AUX:
        j -= 1
    end_tok = j
    if m := _RELATIVE.search(sentence[: toks[end_tok + 1].start()]):
        return Span(m.group("np"), m.start("np"), m.end("np"))
    while j >= 0 and end_tok - j < 8:
        w = toks[j].group().lower()
        name_and = w == "and" and 0 < j < end_tok and toks[j - 1].group()[0].isupper()
        if name_and and not _gap_breaks(sentence, toks[j - 1], toks[j]):
            j -= 1
            continue
        if w in _CLAUSE or (j < end_tok and _gap_breaks(sentence, toks[j], toks[j + 1])):
            break
        j -= 1
    if end_tok < 0 or j + 1 > end_tok or toks[end_tok].group().lower() in _PRONOUNS:
        return None
    start, end = toks[j + 1].start(), toks[end_tok].end()
    return Span(sentence[start:end], start, end)


# a subject and its relative clause, just before the verb: "[In May,] X, who ..., <verb>"
_RELATIVE = re.compile(r"(?:^\s*|,\s+)(?P<np>\w[^,;]{0,80}?),\s+(?:who|which)\s[^;]*,\s*$")
_PRONOUNS = {"he", "she", "it", "they", "we", "i", "you", "this", "that", "these", "those"}


def subject_of(sentence: str, verb: str, qterms: set[str], passive: bool = False) -> Span | None:
    """Who did `verb` (a stem): the subject before it, or the agent after '<verb> by'.
    `passive` ('who was limited by X?') asks the other way round: who the verb was done to."""
    toks = _tokens(sentence)
    for i, t in enumerate(toks):
        if stem(t.group().lower()) != verb:
            continue
        by = i + 1 < len(toks) and toks[i + 1].group().lower() == "by"
        if by != passive:
            span = _phrase_after(sentence, toks, i + (1 if passive else 2), qterms)
        else:
            span = _phrase_before(sentence, toks, i)
        if span and not set(terms(span.text)) <= qterms:
            return span
    return agent_of_noun(sentence, qterms)


def agent_of_noun(sentence: str, qterms: set[str]) -> Span | None:
    """'a statement by the Russian Defense Ministry' asked 'who issued the statement'."""
    toks = _tokens(sentence)
    for i, t in enumerate(toks[:-1]):
        if toks[i + 1].group().lower() == "by" and stem(t.group().lower()) in qterms:
            span = _phrase_after(sentence, toks, i + 2, qterms)
            if span:
                return span
    return None


def after_preposition(sentence: str, prep: str, qterms: set[str]) -> Span | None:
    """'Who has Daesh entered a deal with?': the phrase after 'with' where it follows one of the
    question's words ('a deal with the so-called Syrian Democratic Forces')."""
    toks = _tokens(sentence)
    for i, t in enumerate(toks[1:-1], start=1):
        if t.group().lower() == prep and stem(toks[i - 1].group().lower()) in qterms:
            span = _phrase_after(sentence, toks, i + 1, qterms)
            if span and not set(terms(span.text)) <= qterms:
                return span
    return None


_APPOSITIVE = re.compile(
    r"(?P<np>(?:[A-Z][\w'-]*\s+){0,3}[A-Z][\w'-]*),\s+(?:the|a|an)\s+(?P<rest>[^,.;]+)"
)


def appositive(sentence: str, described: tuple[str, ...]) -> Span | None:
    """'Raqqah, the main stronghold of Daesh' asked 'what is the main stronghold of Daesh?'."""
    for m in _APPOSITIVE.finditer(sentence):
        if set(described) <= set(terms(m.group("rest"))):
            return Span(m.group("np"), m.start("np"), m.end("np"))
    return None


def object_of(sentence: str, verb: str, qterms: set[str]) -> Span | None:
    """What `verb` (a stem) acts on: the phrase right after it."""
    toks = _tokens(sentence)
    for i, t in enumerate(toks):
        if stem(t.group().lower()) == verb and i + 1 < len(toks):
            span = _phrase_after(sentence, toks, i + 1, qterms)
            if span and not set(terms(span.text)) <= qterms:
                return span
    return None


def words_between(sentence: str, span: Span, qterms: set[str]) -> int:
    """How many words separate the span from the nearest use of a question word (99: none)."""
    toks = _tokens(sentence)
    inside = [i for i, t in enumerate(toks) if span.start <= t.start() < span.end]
    used = [i for i, t in enumerate(toks) if stem(t.group().lower()) in qterms and i not in inside]
    if not inside or not used:
        return 99
    return min(abs(u - i) for u in used for i in (inside[0], inside[-1])) - 1


def clearly_nearest(found: list[Span], sentence: str, qterms: set[str], within: int = 2) -> bool:
    """One span, or the one nearest the question's words: next to them and nearer than the rest."""
    if len(found) <= 1:
        return bool(found)
    gaps = sorted(words_between(sentence, s, qterms) for s in found)
    return gaps[0] <= within and gaps[0] < gaps[1]


def counted_by(sentence: str, span: Span, qterms: set[str]) -> bool:
    """A count without a unit whose verb is the question's: 'killing as many as 120'."""
    before = _tokens(sentence[: span.start])
    return bool(before) and stem(before[-1].group().lower()) in qterms


def nearest(found: list[Span], sentence: str, qterms: set[str]) -> Span | None:
    """The span closest to where the sentence uses the question's words."""
    if not found:
        return None
    anchors = [t.start() for t in _tokens(sentence) if stem(t.group().lower()) in qterms]
    if not anchors:
        return found[0]

    def distance(s: Span) -> int:
        return min(a - s.end if a >= s.end else s.start - a if a < s.start else 0 for a in anchors)

    return min(found, key=lambda s: (distance(s), s.start))
