"""Article metadata from plain text: front matter, datelines and headline lines.

News files often arrive as bare text with the headline, outlet and date as the first lines.
These helpers recover that metadata with small explicit rules (no models, no dateutil) so
that the same file always yields the same title, source and date.
"""

from __future__ import annotations

import datetime as dt
import re

from assistant.text import MONTH_ABBREVIATIONS, MONTHS, WEEKDAYS, month_number

_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?\n)?---[ \t]*(?:\n|\Z)", re.DOTALL)
_FIELD = re.compile(r"([A-Za-z][\w-]*)[ \t]*:[ \t]*(.*)")
_KEYS = {
    "title": "title",
    "source": "source",
    "published": "published",
    "date": "published",
    "url": "url",
}

_MONTH = "(" + "|".join([*MONTHS, *MONTH_ABBREVIATIONS]) + ")"  # matched in any case
_WEEKDAY = "(?:" + "|".join(d[:3] for d in WEEKDAYS) + ")[a-z]*"  # "Thu", "Thursday"
_ORD = r"(?:st|nd|rd|th)?"
_ISO = re.compile(r"(?<!\d)(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?!\d)")
_MONTH_FIRST = re.compile(rf"\b{_MONTH}\.?\s+(\d{{1,2}}){_ORD},?\s+(\d{{4}})(?!\d)", re.IGNORECASE)
_DAY_FIRST = re.compile(
    rf"(?<!\d)(\d{{1,2}}){_ORD}\s+(?:of\s+)?{_MONTH}\.?,?\s+(\d{{4}})(?!\d)", re.IGNORECASE
)
_NUMERIC = re.compile(r"(?<!\d)(\d{1,2})[/.](\d{1,2})[/.](\d{4})(?!\d)")

# Words that may sit next to a date on a dateline without making it a sentence.
_DATELINE_FILLER = re.compile(
    rf"\b{_WEEKDAY}\.?"
    r"|\b\d{1,2}[:.]\d{2}(?:[:.]\d{2})?\s*(?:[ap]\.?m\.?)?"
    r"|\b\d{1,2}\s*[ap]\.?m\.?|\b(?:published|updated|posted|last|on|at|am|pm|gmt|utc|bst|"
    r"cet|cest|est|edt|pst|pdt|et|pt)\b",
    re.IGNORECASE,
)
_HEADER_LINES = 12


def split_front_matter(text: str) -> tuple[dict[str, str], str]:
    """Split a leading `---` block of `key: value` lines from the body.

    Keys are lowercased and `date` is read as `published`; unknown keys are kept so callers
    can see them. Text without such a block comes back unchanged with no fields.
    """
    m = _FRONT_MATTER.match(text)
    if not m:
        return {}, text
    fields: dict[str, str] = {}
    for line in (m.group(1) or "").splitlines():
        fm = _FIELD.fullmatch(line.strip())
        if not fm:
            continue
        key = fm.group(1).lower()
        value = _unquote(fm.group(2).strip())
        if value and not (key == "date" and "published" in fields):
            fields[_KEYS.get(key, key)] = value
    if "published" in fields:
        published = parse_date(fields["published"])
        if published:
            fields["published"] = published
        else:
            del fields["published"]
    return fields, text[m.end() :]


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1].strip()
    return value


def parse_date(s: str) -> str | None:
    """Return the first date in `s` as YYYY-MM-DD, or None.

    Handles ISO dates and timestamps, "June 1, 2017", "Jun. 1, 2017", "1 June 2017" and
    dd/mm/yyyy or mm/dd/yyyy when only one reading is valid; "01/06/2017" stays None.
    """
    found = _find_date(s)
    return found[0] if found else None


def _find_date(s: str) -> tuple[str, int, int] | None:
    """The earliest valid date in `s` with its span."""
    best: tuple[str, int, int] | None = None
    for pattern, order in (
        (_ISO, "ymd"),
        (_MONTH_FIRST, "mdy"),
        (_DAY_FIRST, "dmy"),
        (_NUMERIC, "num"),
    ):
        for m in pattern.finditer(s):
            if best is not None and m.start() >= best[1]:
                break
            iso = _to_iso(m.groups(), order)
            if iso:
                best = (iso, m.start(), m.end())
                break
    return best


def _to_iso(groups: tuple[str, ...], order: str) -> str | None:
    a, b, c = groups
    if order == "ymd":
        return _valid(int(a), int(b), int(c))
    if order == "mdy":
        return _valid(int(c), month_number(a), int(b))
    if order == "dmy":
        return _valid(int(c), month_number(b), int(a))
    first, second, year = int(a), int(b), int(c)
    if first == second or second > 12:
        return _valid(year, first, second)
    if first > 12:
        return _valid(year, second, first)
    return None  # both readings possible: refuse to guess


def _valid(year: int, month: int, day: int) -> str | None:
    if not 1900 <= year <= 2100:
        return None
    try:
        return dt.date(year, month, day).isoformat()
    except ValueError:
        return None


def is_dateline(line: str) -> bool:
    """True for a line that is mostly a date, e.g. "Thu Jun 1, 2017 9:14AM"."""
    return _dateline_date(line) is not None


def _dateline_date(line: str) -> str | None:
    line = line.strip()
    found = _find_date(line) if len(line) <= 80 else None
    if not found:
        return None
    rest = _DATELINE_FILLER.sub(" ", line[: found[1]] + " " + line[found[2] :])
    return found[0] if len(re.findall(r"\w+", rest)) <= 2 else None


def _words(line: str) -> int:
    return len(line.split())


def _ends_sentence(line: str) -> bool:
    return line.endswith(".") and not line.endswith("...")  # "Rivals of the £400 Apple..."


def _headline_like(line: str) -> bool:
    """A headline: 3-25 words and no final period."""
    line = line.strip()
    return 3 <= _words(line) <= 25 and not _ends_sentence(line) and not is_dateline(line)


def _source_like(line: str) -> bool:
    line = line.strip()
    return 1 <= _words(line) <= 6 and not _ends_sentence(line) and not is_dateline(line)


def infer(text: str) -> tuple[dict[str, str], str]:
    """Guess title, source and published date from the first lines of a plain-text article.

    With a dateline among the first lines, the lines up to it are header boilerplate: the
    date comes from it, the source is the short line just above it and the title the nearest
    headline above that; the body starts after the dateline. Without one, a headline-like
    first line followed by a blank line (the BBC layout) is the title and is removed.
    """
    lines = text.split("\n")
    offsets: list[int] = []
    pos = 0
    for line in lines:
        offsets.append(pos)
        pos += len(line) + 1
    nonempty = [i for i, line in enumerate(lines) if line.strip()][:_HEADER_LINES]

    for k, i in enumerate(nonempty):
        published = _dateline_date(lines[i])
        if published is None:
            continue
        above = [lines[j].strip() for j in nonempty[:k]]
        if any(_words(line) > 25 for line in above):
            break  # prose above the date: this is a date inside the article, not a header
        fields = {"published": published}
        if above and _source_like(above[-1]):
            candidates = above[:-1]
            title = next((line for line in reversed(candidates) if _headline_like(line)), None)
            if title is None and _headline_like(above[-1]):
                title = above[-1]  # a short headline right above the date, no outlet line
            else:
                fields["source"] = above[-1]
        else:
            title = next((line for line in reversed(above) if _headline_like(line)), None)
        if title:
            fields["title"] = title
        body_start = offsets[i] + len(lines[i]) + 1
        return fields, text[body_start:].lstrip("\n")

    if nonempty:
        first = nonempty[0]
        nxt = lines[first + 1] if first + 1 < len(lines) else None
        if _headline_like(lines[first]) and nxt is not None and not nxt.strip():
            body = text[offsets[first] + len(lines[first]) + 1 :].lstrip("\n")
            return {"title": lines[first].strip()}, body
    return {}, text
