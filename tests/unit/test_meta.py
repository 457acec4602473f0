"""Front matter, date parsing and header inference on plain-text articles."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.ingest.meta import infer, is_dateline, parse_date, split_front_matter

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


# --- split_front_matter ---------------------------------------------------------------------


def test_front_matter_fields_and_body() -> None:
    text = (
        "---\nTitle: \"Quoted title\"\nSOURCE: 'The Paper'\ndate: June 1, 2017\n"
        "url: https://example.org/a?b=c\n---\nBody line.\n"
    )
    fields, body = split_front_matter(text)
    assert fields == {
        "title": "Quoted title",
        "source": "The Paper",
        "published": "2017-06-01",
        "url": "https://example.org/a?b=c",
    }
    assert body == "Body line.\n"


def test_front_matter_published_wins_over_date() -> None:
    fields, _ = split_front_matter("---\npublished: 2020-01-02\ndate: 2019-05-05\n---\nx")
    assert fields["published"] == "2020-01-02"
    fields, _ = split_front_matter("---\ndate: 2019-05-05\npublished: 2020-01-02\n---\nx")
    assert fields["published"] == "2020-01-02"


def test_front_matter_unparseable_date_is_dropped() -> None:
    fields, body = split_front_matter("---\ntitle: T\ndate: sometime soon\n---\nBody")
    assert fields == {"title": "T"}
    assert body == "Body"


def test_front_matter_ignores_lines_that_are_not_fields() -> None:
    fields, body = split_front_matter("---\ntitle: A: B\njust words\n\n---\nBody")
    assert fields == {"title": "A: B"}
    assert body == "Body"


def test_empty_front_matter_block() -> None:
    assert split_front_matter("---\n---\nBody") == ({}, "Body")


@pytest.mark.parametrize(
    "text",
    [
        "No front matter here.\n",
        "---\ntitle: never closed\nBody",
        "Intro\n---\ntitle: not leading\n---\n",
        "",
    ],
)
def test_no_front_matter_returns_text_unchanged(text: str) -> None:
    assert split_front_matter(text) == ({}, text)


# --- parse_date -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("s", "expected"),
    [
        ("Thu Jun 1, 2017 9:14AM", "2017-06-01"),
        ("June 1, 2017", "2017-06-01"),
        ("1 June 2017", "2017-06-01"),
        ("Jun. 1, 2017", "2017-06-01"),
        ("2017-06-01", "2017-06-01"),
        ("2017-06-01T09:14:00Z", "2017-06-01"),
        ("2017-06-01T23:30:00-05:00", "2017-06-01"),
        ("2017/6/1", "2017-06-01"),
        ("Sept. 5th, 2017", "2017-09-05"),
        ("5th of May, 2018", "2018-05-05"),
        ("Monday, 3 December 2012 14:05 GMT", "2012-12-03"),
        ("Published: DECEMBER 25, 2020", "2020-12-25"),
        ("13/06/2017", "2017-06-13"),
        ("06/13/2017", "2017-06-13"),
        ("05/05/2017", "2017-05-05"),
        ("Posted on 2016-02-29 by staff", "2016-02-29"),
    ],
)
def test_parse_date_formats(s: str, expected: str) -> None:
    assert parse_date(s) == expected


@pytest.mark.parametrize(
    "s",
    [
        "01/06/2017",  # day/month or month/day: ambiguous
        "Feb 30, 2017",
        "2017-13-01",
        "June 2017",
        "Mayor speaks on 12 issues in 2017",
        "The year 0001-01-01",
        "",
        "no date at all",
    ],
)
def test_parse_date_rejects(s: str) -> None:
    assert parse_date(s) is None


def test_parse_date_takes_the_earliest_date() -> None:
    assert parse_date("June 2, 2017, updated 2017-06-03") == "2017-06-02"
    assert parse_date("2017-06-03 (first published June 2, 2017)") == "2017-06-03"


# --- is_dateline ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "line",
    [
        "Thu Jun 1, 2017 9:14AM",
        "June 1, 2017",
        "  2017-06-01  ",
        "Updated: 1 June 2017, 10:32 GMT",
        "Published on Monday, March 6, 2017 at 5 p.m.",
    ],
)
def test_dateline_positive(line: str) -> None:
    assert is_dateline(line)


@pytest.mark.parametrize(
    "line",
    [
        "The talks began on June 1, 2017 in Geneva with ministers present.",
        "Iran Press TV",
        "Russian airstrikes hit Daesh convoy",
        "",
    ],
)
def test_dateline_negative(line: str) -> None:
    assert not is_dateline(line)


# --- infer ----------------------------------------------------------------------------------


def test_infer_seed_article() -> None:
    text = (FIXTURES / "seed_raw.txt").read_text(encoding="utf-8")
    fields, body = infer(text)
    assert fields == {
        "title": "Russian airstrikes hit Daesh convoy, killing 80 terrorists fleeing Raqqah",
        "source": "Iran Press TV",
        "published": "2017-06-01",
    }
    assert body.startswith("Russian jets have destroyed three large convoys")
    assert "UNITED24" not in body
    assert "Thu Jun 1, 2017" not in body
    assert body == text[text.index("Russian jets") :]  # a suffix: offsets stay faithful


def test_infer_bbc_layout() -> None:
    text = (FIXTURES / "bbc_style.txt").read_text(encoding="utf-8")
    fields, body = infer(text)
    assert fields == {"title": "Harbour town wins coastal award"}
    assert body.startswith("A small harbour town has been named")
    assert "Harbour town wins coastal award" not in body


def test_infer_headline_ending_in_an_ellipsis() -> None:
    fields, body = infer("Rivals of the £400 Apple...\n\nThe Mac mini is cheap.\n")
    assert fields == {"title": "Rivals of the £400 Apple..."}
    assert body == "The Mac mini is cheap.\n"


def test_infer_bbc_layout_after_leading_blank_lines() -> None:
    fields, body = infer("\n\nMinisters agree new budget\n\nThe budget passed.\n")
    assert fields == {"title": "Ministers agree new budget"}
    assert body == "The budget passed.\n"


@pytest.mark.parametrize(
    "text",
    [
        "This first line is a sentence and ends with a period.\n\nMore text.",
        "Headline without a blank line\nbody continues right here.",
        "Too short\n\nBody text.",
        "Only one line of text with no body",
    ],
)
def test_infer_no_title(text: str) -> None:
    assert infer(text) == ({}, text)


def test_infer_dateline_without_source_line() -> None:
    text = "Floods hit the northern valley\n\nJune 3, 2018\n\nHeavy rain fell overnight."
    fields, body = infer(text)
    assert fields == {"title": "Floods hit the northern valley", "published": "2018-06-03"}
    assert body == "Heavy rain fell overnight."


def test_infer_short_headline_right_above_dateline_is_the_title() -> None:
    fields, body = infer("Chelsea sack Mutu\nJune 3, 2018\nChelsea have sacked Adrian Mutu.")
    assert fields == {"title": "Chelsea sack Mutu", "published": "2018-06-03"}
    assert body == "Chelsea have sacked Adrian Mutu."


def test_infer_dateline_only() -> None:
    fields, body = infer("2018-06-03\n\nHeavy rain fell overnight across the region.")
    assert fields == {"published": "2018-06-03"}
    assert body == "Heavy rain fell overnight across the region."


def test_infer_ignores_a_date_below_prose() -> None:
    prose = " ".join(["word"] * 30) + "."
    text = f"{prose}\n\nJune 3, 2018\n\nMore text."
    assert infer(text) == ({}, text)


def test_infer_only_looks_at_the_first_lines() -> None:
    header = "\n\n".join(f"Line number {i} of the header" for i in range(15))
    text = f"{header}\n\nJune 3, 2018\n\nBody."
    fields, body = infer(text)
    assert "published" not in fields
    assert fields == {"title": "Line number 0 of the header"}
    assert body.startswith("Line number 1")


def test_infer_empty_text() -> None:
    assert infer("") == ({}, "")
