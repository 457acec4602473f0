"""Word lists and text helpers shared by ingest, retrieval and answering, each written once:
month and weekday names, number words, abbreviations, and the lexical vocabulary (`terms`:
stemmed content words less `STOPWORDS`) that BM25, sentence scoring and the checks share. The
date parser, the span rules and the sentence splitters build their own patterns from the lists
(each reads the words its own way: case, dots, groups).
"""

from __future__ import annotations

import re

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


# -- the lexical vocabulary: BM25, answer scoring and the checks share it ------------------
STOPWORDS = frozenset(
    [
        "a",
        "about",
        "above",
        "after",
        "again",
        "against",
        "all",
        "also",
        "am",
        "an",
        "and",
        "any",
        "are",
        "as",
        "at",
        "be",
        "because",
        "been",
        "before",
        "being",
        "below",
        "between",
        "both",
        "but",
        "by",
        "can",
        "could",
        "did",
        "do",
        "does",
        "doing",
        "down",
        "during",
        "each",
        "few",
        "for",
        "from",
        "further",
        "had",
        "has",
        "have",
        "having",
        "he",
        "her",
        "here",
        "hers",
        "herself",
        "him",
        "himself",
        "his",
        "how",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "itself",
        "just",
        "me",
        "more",
        "most",
        "my",
        "myself",
        "no",
        "nor",
        "not",
        "now",
        "of",
        "off",
        "on",
        "once",
        "only",
        "or",
        "other",
        "our",
        "ours",
        "ourselves",
        "out",
        "over",
        "own",
        "same",
        "she",
        "should",
        "so",
        "some",
        "such",
        "than",
        "that",
        "the",
        "their",
        "theirs",
        "them",
        "themselves",
        "then",
        "there",
        "these",
        "they",
        "this",
        "those",
        "through",
        "to",
        "too",
        "under",
        "until",
        "up",
        "very",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "while",
        "who",
        "whom",
        "why",
        "will",
        "with",
        "would",
        "you",
        "your",
        "yours",
        "yourself",
        "yourselves",
        "many",
        "much",
    ]
)
_WORD = re.compile(r"\w+", re.UNICODE)


def stem(word: str) -> str:
    """A light suffix stripper: enough to match 'vehicles'/'vehicle', 'claimed'/'claims'."""
    if len(word) <= 3:
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("sses", "shes", "ches", "xes", "zes")):
        return word[:-2]
    if word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    if word.endswith("ing") and len(word) > 5:
        return word[:-3]
    if word.endswith("ed") and len(word) > 4:
        return word[:-2]
    return word


def terms(text: str) -> list[str]:
    """Lower-cased, stemmed content words: the lexical vocabulary of BM25 and answer scoring."""
    return [stem(w) for w in _WORD.findall(text.lower()) if w not in STOPWORDS]
