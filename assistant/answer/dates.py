"""Times in a sentence, placed on the calendar: 'on Monday' in an article published Thursday
1 June 2017 is 29 May 2017; 'last week', 'yesterday', 'in May' likewise. What cannot be placed
(no publication date, no year anywhere) keeps its words and no date."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from assistant.answer import spans
from assistant.text import MONTHS, WEEKDAYS, month_number

_RELATIVE = re.compile(
    r"\b(?:(?P<day>yesterday|today|tonight|overnight|this (?:morning|afternoon|evening))"
    r"|(?:(?P<which>last|this|next|earlier this|later this) (?P<span>week|month|year))"
    r"|(?P<n>\d+|a|an|one|two|three|four|five|six|seven|eight|nine|ten) "
    r"(?P<unit>days?|weeks?|months?|years?) ago)\b",
    re.I,
)
_SMALL = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6}
_SMALL |= {"seven": 7, "eight": 8, "nine": 9, "ten": 10}
# the verb looks ahead: 'will resume on Monday', 'the ban comes into force on Friday'
_FUTURE = re.compile(
    r"\b(?:will|would|shall|next|(?:is|are) (?:due|to|expected|set|scheduled)|plans? to|"
    r"(?:comes|come) into (?:force|effect)|takes effect|goes on sale|(?:is|are) going to)\b",
    re.I,
)
_YEAR = re.compile(r"\b(1[5-9]\d\d|20\d\d)(?!\d)")
_DAY_MONTH = re.compile(r"\b(\d{1,2})(?:st|nd|rd|th)?\s+([A-Z][a-z]+)\.?", re.I)
_MONTH_DAY = re.compile(r"\b([A-Z][a-z]+)\.?\s+(\d{1,2})(?:st|nd|rd|th)?\b", re.I)


@dataclass(frozen=True)
class When:
    """A time the sentence names: its words as written (offsets in the sentence) and the
    calendar date they mean: 'YYYY-MM-DD', 'YYYY-MM' or 'YYYY' as precise as the words are
    ('last week': the Monday of that week, `week` True); None when it cannot be placed."""

    words: str
    start: int
    end: int
    date: str | None
    relative: bool = False
    week: bool = False

    @property
    def key(self) -> tuple[int, int, int]:
        """For sorting: a month before its days, a year before its months."""
        y, m, d = ([int(x) for x in (self.date or "0").split("-")] + [0, 0])[:3]
        return y, m, d

    @property
    def label(self) -> str:
        """'29 May 2017', 'May 2017', '2017', '1990s', 'week of 22 May 2017'; '' when not
        placed."""
        if not self.date:
            return ""
        if decade := re.search(r"\b(\d{3}0)s\b", self.words):
            return f"{decade.group(1)}s"
        y, m, d = self.key
        if not m:
            return str(y)
        name = MONTHS[m - 1].capitalize()
        text = f"{d} {name} {y}" if d else f"{name} {y}"
        return f"week of {text}" if self.week else text


def times(sentence: str, published: str | None) -> list[When]:
    """Every time `sentence` names, in order, each placed on the calendar where it can be."""
    pub = _parse(published)
    found = []
    for s in spans.dates(sentence):
        if (wd := _weekday_of(s.text)) is None:
            found.append(When(s.text, s.start, s.end, _absolute(s.text, sentence, pub)))
        else:
            future = bool(_FUTURE.search(_clause(sentence, s.start)))
            last = bool(re.search(r"\blast\s+$", sentence[: s.start], re.I))
            found.append(When(s.text, s.start, s.end, _weekday(wd, pub, future, last), True))
    for m in _RELATIVE.finditer(sentence):
        if any(w.start <= m.start() < w.end for w in found):
            continue
        if m.start() and m.group()[0].isupper():  # a name: "Radio 4's Today programme"
            continue
        d, week = _relative(m, pub)
        found.append(When(m.group(), m.start(), m.end(), d, True, week))
    return sorted(found, key=lambda w: w.start)


def first(sentence: str, published: str | None) -> When | None:
    """When the sentence's event happened: its first placed time that a preposition or a
    relative word introduces ('on Monday', 'last year'; not the 'Thursday' of 'a Thursday
    statement' nor the '2002' of 'the 2002 London Marathon'), else its first placed time,
    else its first time, else None."""
    found = times(sentence, published)
    placed = [w for w in found if w.date]
    told = [w for w in placed if " " in w.words or (w.relative and _weekday_of(w.words) is None)]
    return next(iter(told or placed or found), None)


def _clause(sentence: str, at: int) -> str:
    """The words before `at` in its clause (from the last comma, colon or semicolon), at most
    80 characters: where the verb of the time at `at` is."""
    head = sentence[max(0, at - 80) : at]
    return re.split(r"[,;:()]", head)[-1]


def _parse(published: str | None) -> date | None:
    try:
        return date.fromisoformat(published) if published else None
    except ValueError:
        return None


def _weekday_of(text: str) -> int | None:
    words = text.lower().split()
    return WEEKDAYS.index(words[-1]) if words and words[-1] in WEEKDAYS else None


def _weekday(wd: int, pub: date | None, future: bool, last: bool) -> str | None:
    """The weekday nearest the publication date on the side the sentence speaks of: before it
    unless the verb looks ahead, the day itself either way ('on Thursday' in Thursday's
    paper), except for 'last Thursday'."""
    if pub is None:
        return None
    if future:
        return (pub + timedelta(days=(wd - pub.weekday()) % 7)).isoformat()
    back = (pub.weekday() - wd) % 7
    return (pub - timedelta(days=back or (7 if last else 0))).isoformat()


def _relative(m: re.Match[str], pub: date | None) -> tuple[str | None, bool]:
    if pub is None:
        return None, False
    if day := m.group("day"):
        return (pub - timedelta(days=1) if day.lower() == "yesterday" else pub).isoformat(), False
    if span := m.group("span"):
        step = {"last": -1, "next": 1}.get(m.group("which").lower(), 0)
        return _shift(pub, span.lower(), step), span.lower() == "week"
    n = int(m.group("n")) if m.group("n").isdigit() else _SMALL[m.group("n").lower()]
    unit = m.group("unit").lower().rstrip("s")
    if unit in ("day", "week"):
        return (pub - timedelta(days=n * (7 if unit == "week" else 1))).isoformat(), False
    return _shift(pub, unit, -n), False


def _shift(pub: date, unit: str, step: int) -> str:
    if unit == "week":
        monday = pub - timedelta(days=pub.weekday()) + timedelta(weeks=step)
        return monday.isoformat()
    if unit == "month":
        months = pub.year * 12 + pub.month - 1 + step
        return f"{months // 12:04d}-{months % 12 + 1:02d}"
    return f"{pub.year + step:04d}"


def _absolute(words: str, sentence: str, pub: date | None) -> str | None:
    """'May 25, 2017', '14 February', 'June 2017', 'in 2007', 'in May': the year from the words,
    else the publication's (a month after it: the year before, as news tells of the past)."""
    year_m = _YEAR.search(words)
    month = day = None
    for rule, (mi, di) in ((_DAY_MONTH, (2, 1)), (_MONTH_DAY, (1, 2))):
        if (m := rule.search(words)) and _is_month(m.group(mi)):
            month, day = month_number(m.group(mi)), int(m.group(di))
            break
    if month is None:
        month = next(
            (month_number(w) for w in re.findall(r"[A-Za-z]+", words) if _is_month(w)), None
        )
    if year_m:
        year = int(year_m.group(1))
        if re.search(r"\d{2,4}s\b|-\s*\d", words):  # "the 1990s", "2004-05": the first year
            return str(year)
    elif pub is not None and month is not None:
        future = bool(_FUTURE.search(sentence))
        year = pub.year - (month > pub.month + 1 and not future)
    else:
        return None
    if month is None:
        return f"{year:04d}"
    if day is None or not 1 <= day <= 31:
        return f"{year:04d}-{month:02d}"
    try:
        return date(year, month, day).isoformat()
    except ValueError:
        return f"{year:04d}-{month:02d}"


def _is_month(word: str) -> bool:
    w = word.lower().rstrip(".")
    return len(w) >= 3 and any(m.startswith(w) for m in MONTHS) and (w in MONTHS or len(w) <= 4)
