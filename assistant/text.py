"""Word lists shared by ingest and answering: month and weekday names, number words and
abbreviations, each listed once. The date parser, the span rules and the sentence splitters
build their own patterns from these (each reads the words its own way: case, dots, groups).

The content words of retrieval and answer scoring (`stem`, `terms`, `STOPWORDS`) stay in
assistant/retrieve.py, which defines the lexical vocabulary.
"""

from __future__ import annotations

MONTHS = (
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
)
# the short forms in use ("May" has none; September has two, the longer first: a pattern made
# of these then reads "Sept 2017" whole, not "Sep")
MONTH_ABBREVIATIONS = (
    "jan",
    "feb",
    "mar",
    "apr",
    "jun",
    "jul",
    "aug",
    "sept",
    "sep",
    "oct",
    "nov",
    "dec",
)
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")

NUMBER_WORDS = {
    w: i
    for i, w in enumerate(
        [
            "zero",
            "one",
            "two",
            "three",
            "four",
            "five",
            "six",
            "seven",
            "eight",
            "nine",
            "ten",
            "eleven",
            "twelve",
            "thirteen",
            "fourteen",
            "fifteen",
            "sixteen",
            "seventeen",
            "eighteen",
            "nineteen",
            "twenty",
        ]
    )
} | {
    w: 10 * i
    for i, w in enumerate(["thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"], 3)
}
SCALE_WORDS = ("million", "billion", "trillion", "thousand", "hundred")

# Words whose full stop does not end a sentence ("Mr. Smith", "Jan. 5", "Acme Inc."), lower-case,
# without the final dot. Titles, months and firms that both sentence splitters know:
_COMMON_ABBREVIATIONS = (
    "mr",
    "mrs",
    "ms",
    "dr",
    "prof",
    "st",
    "gen",
    "col",
    "lt",
    "sgt",
    "capt",
    "gov",
    "sen",
    "rep",
    "no",
    "vs",
    *MONTH_ABBREVIATIONS,
    "inc",
    "ltd",
    "co",
    "corp",
)
# the ingest splitter's (ingest/sentences.py), matched in any case;
ABBREVIATIONS = frozenset(
    [
        *_COMMON_ABBREVIATIONS,
        "sr",
        "jr",
        "cmdr",
        "rev",
        "hon",
        "pres",
        "nos",
        "etc",
        "e.g",
        "i.e",
        "approx",
        "mt",
        "ft",
        "fig",
        "vol",
        "est",
        "dept",
        "univ",
        "u.s",
        "u.k",
        "u.n",
        "a.m",
        "p.m",
        "op",
        "cf",
        "al",
    ]
)
# the shorter list of the splitter of a model's answer (answer/verify.py), matched as written
# there ("Mr.", "vs.", not "mr."), with "Maj." that ingest lacks. Giving that splitter
# ABBREVIATIONS would change how answers split (no longer after "a.m.", "e.g." or "Jr.", nor
# after "said no. Then"): a change of behaviour, for its own issue.
ANSWER_ABBREVIATIONS = frozenset([*_COMMON_ABBREVIATIONS, "maj"])


def month_number(word: str) -> int:
    """1-12 for a month's name or abbreviation ("June", "Sept", "dec")."""
    return [m[:3] for m in MONTHS].index(word[:3].lower()) + 1
