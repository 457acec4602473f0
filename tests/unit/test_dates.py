"""Times placed on the calendar from an article's publication date (answer/dates.py)."""

from __future__ import annotations

import pytest

from assistant.answer.dates import first, times

THURSDAY = "2017-06-01"  # the seed's publication date


@pytest.mark.parametrize(
    ("sentence", "words", "date"),
    [
        (
            "Airstrikes targeted the convoys on Monday after units spotted them.",
            "on Monday",
            "2017-05-29",
        ),
        ("The ministry spoke on Thursday.", "on Thursday", THURSDAY),  # the day itself
        ("He resigned last Thursday.", "Thursday", "2017-05-25"),
        ("Talks will resume on Monday.", "on Monday", "2017-06-05"),  # the verb looks ahead
        (
            "Fans say they will go out and test the new law to its limits on Monday.",
            "on Monday",
            "2017-06-05",
        ),  # ... from afar in its clause
        ("The ban comes into effect from midnight on Friday.", "on Friday", "2017-06-02"),
        ("The console goes on sale on Thursday.", "on Thursday", THURSDAY),
        (
            "He said it would be clear, given the law, which came into force on Monday.",
            "on Monday",
            "2017-05-29",
        ),  # another clause's verb does not
        ("Yesterday the firm fired 30 staff.", "Yesterday", "2017-05-31"),
        ("The ban came into force overnight.", "overnight", THURSDAY),
        ("Shares fell last week.", "last week", "2017-05-22"),
        ("Sales rose last month.", "last month", "2017-05"),
        ("It opened two weeks ago.", "two weeks ago", "2017-05-18"),
        ("On May 25, jets attacked another convoy.", "On May 25", "2017-05-25"),
        ("The deal was signed on 14 February 2005.", "on 14 February 2005", "2005-02-14"),
        ("The group seized the city in 2014.", "in 2014", "2014"),
        ("The court ruled in December.", "in December", "2016-12"),  # news tells of the past
        ("Prices peaked in June 2004.", "in June 2004", "2004-06"),
    ],
)
def test_times_are_placed_from_the_publication_date(sentence: str, words: str, date: str):
    found = {w.words: w.date for w in times(sentence, THURSDAY)}
    assert found[words] == date


def test_without_a_publication_date_only_the_words_own_dates_are_placed():
    found = {w.words: w.date for w in times("On Monday, and in 2014, and in May.", None)}
    assert found == {"On Monday": None, "in 2014": "2014", "in May": None}


def test_the_event_time_is_told_by_its_preposition_not_an_adjective():
    s = "According to a Thursday statement, airstrikes targeted the convoys on Monday."
    w = first(s, THURSDAY)
    assert (w.words, w.date, w.label) == ("on Monday", "2017-05-29", "29 May 2017")
    assert first("Nothing is dated here.", THURSDAY) is None


def test_labels_say_how_precise_a_date_is():
    week, month, year = (first(s, THURSDAY) for s in ("last week", "last month", "in 2014"))
    assert (week.label, month.label, year.label) == ("week of 22 May 2017", "May 2017", "2014")
    assert week.key < (*month.key[:2], 99) and year.key == (2014, 0, 0)


def test_a_year_used_as_an_adjective_is_not_the_event_time():
    s = "She ran in the 2002 and 2003 London Marathons and was edged out in New York last year."
    assert first(s, "2005-03-08").date == "2004"
    assert first("He told BBC Radio 4's Today programme the law works.", "2005-02-21") is None
