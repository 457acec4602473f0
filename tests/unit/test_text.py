"""The shared word lists and the lexical vocabulary (assistant/text.py)."""

from __future__ import annotations

import pytest

from assistant.text import (
    ABBREVIATIONS,
    ANSWER_ABBREVIATIONS,
    MONTH_ABBREVIATIONS,
    MONTHS,
    NUMBER_WORDS,
    month_number,
    terms,
)


@pytest.mark.parametrize(
    ("word", "n"), [("January", 1), ("sept", 9), ("Sep", 9), ("MAY", 5), ("dec", 12)]
)
def test_month_names_and_short_forms_give_their_number(word: str, n: int):
    assert month_number(word) == n


def test_the_lists_hold_what_their_users_expect():
    assert len(MONTHS) == 12 and MONTH_ABBREVIATIONS.index("sept") < MONTH_ABBREVIATIONS.index(
        "sep"
    )
    assert NUMBER_WORDS["twelve"] == 12 and NUMBER_WORDS["one"] == 1
    # the answer splitter's list is narrower, on purpose (see text.py), and within ingest's
    assert ANSWER_ABBREVIATIONS - {"maj"} <= ABBREVIATIONS and "maj" in ANSWER_ABBREVIATIONS


def test_terms_are_stemmed_content_words():
    assert terms("The vehicles were destroyed, claims said") == [
        "vehicle",
        "destroy",
        "claim",
        "said",
    ]
