"""What kind of answer a question asks for, and what it is about."""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.text import MONTHS, STOPWORDS, stem, terms

_ATTRIBUTION_VERBS = (
    r"said|say|says|claim|claimed|claims|warn|warned|warns|state|stated|states|report|reported|"
    r"reports|announce|announced|announces|tell|told|tells|allege|alleged|alleges|accuse|accused|"
    r"accuses|insist|insisted|deny|denied|denies|confirm|confirmed|confirms|threaten|threatened"
)

_RULES: list[tuple[str, re.Pattern[str]]] = [
    (
        "count",
        re.compile(
            r"\bhow (many|much|old)\b|\bwhat (was |is )?the (number|total|amount) of\b|"
            r"\bhow (large|big)\b",
            re.I,
        ),
    ),
    (
        "attribution",
        re.compile(
            rf"^\s*(who|which \w+( \w+)?|what \w+)\s+(has |have |had |did |does |do )?({_ATTRIBUTION_VERBS})\b|according to whom|\bwho is the source\b",
            re.I,
        ),
    ),
    (
        "when",
        re.compile(
            r"^\s*(when|what (year|date|day|month|time)|(in |on )?which (year|date|day|month)|in what (year|month)|on what (date|day)|since when|how long ago)\b",
            re.I,
        ),
    ),
    (  # "where does X rank?" asks a rank, not a place
        "what",
        re.compile(
            r"^\s*where\s+(?:do|does|did|is|was|are|were)\b[^?]*\b(?:rank|stand)(?:s|ed)?\b", re.I
        ),
    ),
    (
        "where",
        re.compile(
            r"^\s*(where|from where|in what (city|country|place|town|region)|what (city|country|place|town|region|location))\b|\bwhich (city|country|place|town|region)\b",
            re.I,
        ),
    ),
    (
        "who",
        re.compile(
            r"^\s*(who|whom|whose|which (person|group|organi[sz]ation|country|company|force|forces|militants?))\b",
            re.I,
        ),
    ),
    ("why", re.compile(r"^\s*(why|for what reason)\b", re.I)),
    (
        "yesno",
        re.compile(
            r"^\s*(is|are|was|were|do|does|did|has|have|had|can|could|will|would|should)\b", re.I
        ),
    ),
]

_UNIT = re.compile(r"\bhow (?:many|much)\s+((?:[a-z][\w-]*\s*){1,3})", re.I)


@dataclass(frozen=True)
class Question:
    text: str
    kind: str  # count | attribution | when | where | who | why | yesno | what
    terms: tuple[str, ...]
    unit: tuple[str, ...] = ()  # for counts: the stemmed noun asked about ("vehicle",)
    wants_total: bool = False
    verb: str | None = None  # stem of the verb whose subject is asked: "who spotted ..." -> "spott"
    object_verb: str | None = None  # stem of the verb whose object is asked: "what ... carrying?"
    preposition: str | None = None  # a question ending "... a deal with?" asks what follows "with"
    described: tuple[str, ...] = ()  # "what is the main stronghold of X?" -> ("main", "stronghold")
    passive: bool = False  # "who was limited by X?": the asked one is who `verb` was done to
    layout: str | None = None  # timeline | compare: an answer across articles (sources.py)
    compared: tuple[str, ...] = ()  # "what did X and Y say ...": ("X", "Y")
    figure: bool = False  # asks for a figure: "what share ...", "valued at", "how much"

    @property
    def money(self) -> bool:
        """'How much did it cost?', not 'how much of the land?': a sum is asked for."""
        return bool(_MONEY.search(self.text))


_IN_CURRENCY = re.compile(
    r"\bin (?:us |american |british )?(dollars|pounds|sterling|euros)\b", re.I
)
_LOCAL_CURRENCY = [
    (r"\bin (?:the )?(?:US|USA|United States|America)\b", "dollar"),
    (r"\bin (?:the )?(?:UK|Britain|United Kingdom|England)\b", "pound"),
    (r"\bin Japan\b", "yen"),
    (r"\bin (?:Europe|the eurozone)\b", "euro"),
]
_MONEY = re.compile(r"\bhow much\b(?!\s+(?:of|more|less|longer|time|land|oil|gas|water)\b)", re.I)


def classify(text: str) -> Question:
    kind = next((k for k, rule in _RULES if rule.search(text)), "what")
    unit: tuple[str, ...] = ()
    if kind == "count" and (m := _UNIT.search(text)):
        words = m.group(1).split()
        # the unit is the noun phrase before the verb: stop at auxiliaries
        stop = next((i for i, w in enumerate(words) if w.lower() in _AUX), len(words))
        unit = tuple(terms(" ".join(words[:stop]))) or tuple(terms(words[0]))
    if kind == "count" and (m := _IN_CURRENCY.search(text)):  # "how much in US dollars"
        unit += ("pound" if m.group(1).lower() == "sterling" else terms(m.group(1))[0],)
    elif kind == "count" and re.search(r"\bhow much\b", text, re.I):  # "cost in the US"
        unit += tuple(c for place, c in _LOCAL_CURRENCY if re.search(place, text, re.I))[:1]
    if kind == "count" and re.search(r"\bhow old\b", text, re.I):
        unit = ("year",)  # "the 29-year-old", "aged 34", "Holmes, 34,"
    total = bool(re.search(r"\b(total|in all|altogether|combined|overall|sum)\b", text, re.I))
    layout = _layout(text)
    words = tuple(terms(text))
    if layout:  # "timeline", "differ", "reports", "between May and June": how, not what about
        words = (
            tuple(w for w in words if w not in _LAYOUT_WORDS and not _WHEN_WORD.match(w)) or words
        )
    return Question(
        text,
        kind,
        words,
        unit,
        total,
        _verb(text),
        _object_verb(text),
        _preposition(text),
        _described(text),
        _passive(text),
        layout,
        _compared(text),
        bool(_FIGURE.search(text)),
    )


_FIGURE = re.compile(
    r"\bhow (?:much|many|large|big|high|low|long|far|old)\b|\bwhat(?: was| is| were| are)?"
    r"(?: the| its| their| his| her)? (?:share|percentage|proportion|price|cost|value|amount|"
    r"number|figure|rate|sum|total|size|stake|fine|fee|salary|budget|profit|loss|turnover|"
    r"valuation|debt|debts|age)\b|\b(?:valued|priced|estimated|put|set) at\b|\bworth\b",
    re.I,
)


_TIMELINE = re.compile(
    r"\b(?:timeline|chronology|chronicle|sequence of events|in (?:chronological|what) order|"
    r"key (?:events|dates|moments|developments)|events (?:leading|that led)|unfold(?:ed|s)?|"
    r"dated (?:sequence|history|events|account|list)|sequence of developments|"
    r"(?:set|lay|put|list)(?: out)? in (?:\w+ )?order)\b"
    r"|^\s*(?:trace|outline the events)\b|^\s*what (?:has |had )?happened\b.*\b(?:between|"
    r"since|from|during|over the|in the (?:days|weeks|months|years)|after)\b"
    r"|^\s*when (?:did|was|were|do|does|has|have)\b[^?]*,[^?]*\band\b",  # when did X, Y and Z?
    re.I,
)
_COMPARE = re.compile(
    r"^\s*how (?:do|does|did|have|has)\b.*\b(?:differ|compare|contrast|change)\b|\b(?:differ"
    r"(?:ence|ences)?|change[sd]?) between (?:the |his |her |their )?(?:two |three )?(?:reports|"
    r"articles|stories|sources|outlets|accounts|versions)\b|\bcompare\b|^\s*(?:what|how) (?:did|do|does|have|"
    r"has) .+ and .+ (?:each )?(?:say|said|claim|tell|told|respond|describe|see)\b|\bon each of\b"
    r"|\b(?:each|both|the two|all three) (?:reports|articles|stories|sources|outlets|accounts)\b",
    re.I,
)
_COMPARED = re.compile(
    r"^\s*(?:[Ww]hat|[Hh]ow) (?:did|do|does|have|has) (?P<a>[A-Z][\w'.-]*(?: [A-Z][\w'.-]*)*) and "
    r"(?P<b>[A-Z][\w'.-]*(?: [A-Z][\w'.-]*)*) (?:each )?(?:say|said|claim|tell|told|respond|"
    r"describe|see)"
)


_LAYOUT_WORDS = set(
    terms(
        "timeline chronology sequence events order chronological happened happen give list "
        "differ differs differed difference differences compare compared contrast reports report "
        "articles article stories story sources source outlets accounts account two three each both"
    )
)


_WHEN_WORD = re.compile(
    r"^(?:\d+|" + "|".join(m[:3] for m in MONTHS) + r")\w*$|^(?:week|month|year|day)s?$"
)


def _layout(text: str) -> str | None:
    if _TIMELINE.search(text):
        return "timeline"
    return "compare" if _COMPARE.search(text) else None


def _compared(text: str) -> tuple[str, ...]:
    m = _COMPARED.match(text)
    return (m.group("a"), m.group("b")) if m else ()


_WHAT_IS = re.compile(r"^\s*what\s+(?:is|was|are|were)\s+(?:the|a|an)\s+(?P<phrase>[^?]+)", re.I)


def _described(text: str) -> tuple[str, ...]:
    m = _WHAT_IS.match(text)
    return tuple(terms(m.group("phrase")))[:2] if m else ()


_SUBJECT_Q = re.compile(
    r"^\s*(?:who|whom|what|which \w+)\s+(?P<aux>(?:(?:is|are|was|were|has|have|had|will|would|"
    r"could|can|also|being|been)\s+)*)(?P<verb>[a-z][\w-]*)(?P<by>\s+by\b)?",
    re.I,
)
_OBJECT_Q = re.compile(  # "what were the pickups carrying?" ("what did X do?" forms misfire)
    r"^\s*what\s+(?:were|was|are|is)\s+.+?\s(?P<ing>[a-z][\w-]*ing)\s*\??\s*$", re.I
)


_PREPOSITION_Q = re.compile(
    r"^\s*(?:who|whom|what|which \w+)\b.*?\s(?P<prep>with|to|for|from|by|against|into)\s*"
    r"(?:,[^?]*)?\??\s*$",
    re.I,
)


def _preposition(text: str) -> str | None:
    m = _PREPOSITION_Q.match(text)
    return m.group("prep").lower() if m else None


def _verb(text: str) -> str | None:
    m = _SUBJECT_Q.match(text)
    if not m or m.group("verb").lower() in STOPWORDS:
        return None
    return stem(m.group("verb").lower())


def _passive(text: str) -> bool:
    m = _SUBJECT_Q.match(text)
    return bool(m and m.group("by") and re.search(r"\b(?:is|are|was|were|been)\b", m.group("aux")))


def _object_verb(text: str) -> str | None:
    m = _OBJECT_Q.match(text)
    verb = m and m.group("ing").lower()
    if not verb or verb in STOPWORDS:
        return None
    return stem(verb)


_AUX = {
    "were",
    "was",
    "are",
    "is",
    "did",
    "do",
    "does",
    "have",
    "has",
    "had",
    "will",
    "would",
    "can",
    "could",
    "been",
    "be",
    "in",
    "on",
    "at",
    "by",
    "of",
    "the",
}
