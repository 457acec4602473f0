from __future__ import annotations

from assistant.ingest.sentences import split_sentences
from tests.conftest import SEEDS


def texts(text: str) -> list[str]:
    return [text[s.start : s.end] for s in split_sentences(text)]


def test_offsets_point_at_the_sentence_text():
    text = (SEEDS / "russian-airstrikes-daesh-convoy-raqqah.md").read_text()
    spans = split_sentences(text)
    for a, b in zip(spans, spans[1:]):
        assert a.end <= b.start
    for s in spans:
        assert text[s.start : s.end] == text[s.start : s.end].strip()
        assert s.end > s.start


def test_abbreviations_initials_and_decimals_do_not_end_a_sentence():
    assert texts("Mr. J. Smith went to the U.S. on Jan. 5. He paid $3.5 million. Dr. No left.") == [
        "Mr. J. Smith went to the U.S. on Jan. 5.",
        "He paid $3.5 million.",
        "Dr. No left.",
    ]


def test_quotes_and_question_marks():
    assert texts('"Is it over?" she asked. "No!" He left.') == [
        '"Is it over?" she asked.',
        '"No!"',
        "He left.",
    ]


def test_lowercase_after_period_continues_the_sentence():
    assert texts("It rose at 5 p.m. yesterday. e.g. this stays") == [
        "It rose at 5 p.m. yesterday. e.g. this stays"
    ]


def test_blank_lines_always_end_a_sentence():
    assert texts("A headline without a stop\n\nThe body starts here.") == [
        "A headline without a stop",
        "The body starts here.",
    ]


def test_wrapped_lines_and_formulas_stay_together_but_table_rows_split():
    assert texts("The gas is O\n2 and it\nburns well.") == ["The gas is O\n2 and it\nburns well."]
    assert texts("Results:\nArsenal 2\nChelsea 1") == ["Results:", "Arsenal 2", "Chelsea 1"]


def test_empty_and_whitespace():
    assert split_sentences("") == []
    assert split_sentences("  \n\n \t ") == []
