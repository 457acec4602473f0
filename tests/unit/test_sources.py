"""Answers across articles (answer/sources.py): values that differ or agree, speakers,
comparisons and timelines, each part cited from its own article. The real embedder: whether
two sentences tell of the same thing is a matter of what they mean."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from assistant import Assistant
from assistant.answer.sources import amount
from assistant.render import html, markdown, rows, verdict


def write(folder: Path, name: str, source: str, published: str, title: str, body: str) -> Path:
    path = folder / f"{name}.md"
    path.write_text(
        f"---\ntitle: {title}\nsource: {source}\npublished: {published}\n---\n{body}\n",
        encoding="utf-8",
    )
    return path


CONVOY = (
    "Russian jets have destroyed three large convoys fleeing Raqqah, killing 80 militants. "
    "The Russian Defense Ministry said the airstrikes targeted the convoys on Monday. "
    "On May 25, Russian jets attacked another convoy near Palmyra."
)
UNRELATED = "The council approved twelve kilometres of new cycle lanes on Tuesday after a vote."


@pytest.fixture
def assistant(settings, real_embedder) -> Assistant:
    return Assistant(settings=settings, embedder=real_embedder)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    f = tmp_path / "articles"
    f.mkdir()
    write(f, "cycle", "Gazette", "2017-06-02", "Cycle lanes approved", UNRELATED)
    write(f, "convoy", "Press TV", "2017-06-01", "Airstrikes hit convoys", CONVOY)
    return f


def ledger(folder: Path, body: str, published: str = "2017-06-02") -> Path:
    """Another outlet's report of the convoy strikes."""
    return write(folder, "ledger", "Northern Ledger", published, "Jets strike convoys", body)


def ask(a: Assistant, question: str):
    answer = a.ask(question)
    assert not answer.abstained, answer.answer
    for c in answer.citations:  # every part still cites verbatim text
        assert a.article(c.article_id).text[c.start : c.end] == c.quote
    return answer


def test_sources_that_give_other_figures_are_all_shown(assistant: Assistant, folder: Path):
    ledger(folder, CONVOY.replace("killing 80 militants", "killing 60 militants"))
    assistant.ingest([folder])
    answer = ask(assistant, "How many militants were killed?")
    assert answer.layout == "claims" and answer.agreement == "differ"
    by_value = {c.value: c for c in answer.claims}
    assert set(by_value) == {"80 militants", "60 militants"}
    assert by_value["80 militants"].source == "Press TV"
    assert by_value["60 militants"].source == "Northern Ledger"
    assert by_value["80 militants"].group != by_value["60 militants"].group
    for c in answer.claims:  # each value cites a quote from its own article that states it
        quote = answer.citations[c.citations[0] - 1]
        assert quote.article_id == c.article_id and c.value.split()[0] in quote.quote
    assert "80 militants (Press TV, 1 Jun 2017) [" in answer.answer
    assert answer.answer.endswith(": the sources differ.")


def test_sources_that_agree_are_counted_and_a_copy_is_not_a_source(
    assistant: Assistant, folder: Path
):
    write(folder, "copy", "Press TV", "2017-06-01", "Airstrikes hit convoys", CONVOY)
    assistant.ingest([folder])
    answer = ask(assistant, "How many militants were killed?")
    assert answer.layout is None and answer.agreement is None  # one article, not two
    ledger(folder, CONVOY.replace("Russian jets have", "Jets of Russia have"))
    assistant.ingest([folder])
    answer = ask(assistant, "How many militants were killed?")
    assert answer.agreement == "agree" and len(answer.claims) == 2
    assert len({c.group for c in answer.claims}) == 1
    assert {c.source for c in answer.claims} == {"Press TV", "Northern Ledger"}
    assert answer.answer.endswith(": 2 sources agree.")


def test_every_speaker_of_a_claim_is_listed(assistant: Assistant, tmp_path: Path):
    f = tmp_path / "speakers"
    f.mkdir()
    write(
        f,
        "a",
        "BBC News",
        "2005-01-10",
        "Pay plan",
        "Patricia Hewitt said the maternity pay plan was affordable.",
    )
    write(
        f,
        "b",
        "Ledger",
        "2005-01-11",
        "Pay plan row",
        "Michael Howard said the maternity pay plan was desperate.",
    )
    write(f, "c", "Gazette", "2017-06-02", "Cycle lanes approved", UNRELATED)
    assistant.ingest([f])
    answer = ask(assistant, "Who said the maternity pay plan was affordable or desperate?")
    assert answer.layout == "speakers"
    assert {c.speaker for c in answer.claims} == {"Patricia Hewitt", "Michael Howard"}
    assert "Patricia Hewitt" in answer.answer and "Michael Howard" in answer.answer


def test_a_comparison_gives_each_article_its_own_part(assistant: Assistant, folder: Path):
    ledger(
        folder,
        "Witnesses said the jets struck the convoys fleeing Raqqah at night, killing dozens.",
    )
    assistant.ingest([folder])
    answer = ask(assistant, "How do the reports of the convoys fleeing Raqqah differ?")
    assert answer.layout == "compare" and answer.short_answer is None
    sources = [c.source for c in answer.claims]
    assert {"Press TV", "Northern Ledger"} <= set(sources) and len(sources) == len(set(sources))
    assert all(f"({c.source}, " in answer.answer for c in answer.claims)


def test_a_timeline_orders_events_with_relative_dates_placed(assistant: Assistant, folder: Path):
    ledger(
        folder,
        "Russian jets struck another convoy fleeing Raqqah yesterday, the ministry said.",
        "2017-06-05",
    )
    assistant.ingest([folder])
    answer = ask(assistant, "Give a timeline of the Russian strikes on the convoys")
    assert answer.layout == "timeline"
    dated = [(e.date, e.words) for e in answer.timeline if e.date]
    assert dated == sorted(dated)
    assert ("2017-05-25", "On May 25") in dated
    assert ("2017-05-29", "on Monday") in dated  # Monday before Thursday 1 June 2017
    assert ("2017-06-04", "yesterday") in dated  # the day before 5 June 2017
    assert "29 May 2017 (on Monday): " in answer.answer
    assert answer.agreement is None  # other events on other days: no source dates one otherwise


def test_a_timeline_keeps_to_the_months_asked(assistant: Assistant, folder: Path):
    assistant.ingest([folder])
    answer = ask(assistant, "What happened to the convoys between May 20 and May 27 2017?")
    assert [e.date for e in answer.timeline if e.date] == ["2017-05-25"]


def test_relative_dates_in_an_answer_are_placed_on_the_calendar(assistant: Assistant, folder: Path):
    assistant.ingest([folder])
    answer = ask(assistant, "When did the airstrikes target the convoys?")
    assert answer.short_answer == "on Monday"  # the article's words
    assert answer.answer.startswith("on Monday (29 May 2017) [1]")


def test_a_question_about_one_article_is_answered_as_before(assistant: Assistant, folder: Path):
    assistant.ingest([folder])
    answer = ask(assistant, "How many militants were killed?")
    assert (answer.layout, answer.claims, answer.answer) == (None, [], "80 militants [1].")


def test_amounts_are_read_as_numbers():
    assert amount("80 militants") == 80
    assert amount("eighty militants") is None or amount("eighty militants") == 80
    assert amount("£1.4bn") == 1.4e9 and amount("1,200 residents") == 1200
    assert amount("eight fuel trucks") == 8 and amount("no number") is None


def contract(layout: str, **extra) -> dict:
    citation = {
        "n": 1,
        "article_id": "a1",
        "title": "T",
        "source": "S",
        "published": "2017-06-01",
        "quote": "q",
        "start": 0,
        "end": 1,
        "context": None,
    }
    claim = {
        "value": "80 militants",
        "citations": [1],
        "article_id": "a1",
        "title": "T",
        "source": "Press TV",
        "published": "2017-06-01",
        "speaker": "the ministry",
        "group": 0,
        "label": None,
    }
    other = claim | {"value": "60 militants", "citations": [2], "source": "Ledger", "group": 1}
    return {
        "question": "q",
        "answer": "80 militants [1]; 60 militants [2]",
        "short_answer": None,
        "abstained": False,
        "citations": [citation, citation | {"n": 2}],
        "layout": layout,
        "agreement": "differ",
        "claims": [claim, other],
        "timeline": [],
    } | extra


def test_claims_render_as_a_table_with_each_row_cited():
    answer = contract("claims")
    header, body = rows(answer)
    assert header[0] == "Value" and [r[0] for r in body] == ["80 militants", "60 militants"]
    assert body[0][-1] == "[1]" and body[1][-1] == "[2]"
    assert verdict(answer) == "The sources differ: 2 values from 2 articles."
    page = html(answer)
    assert '<table class="claims">' in page and page.count('class="cite"') >= 4
    text = markdown([{"question": "q", "answer": answer}])
    assert "| 80 militants | the ministry | Press TV, 2017-06-01 | [1] |" in text
    assert "**The sources differ: 2 values from 2 articles.**" in text
    assert rows(contract(None)) is None


def test_the_same_words_given_to_other_people_are_a_disagreement(assistant: Assistant, tmp_path):
    f = tmp_path / "retold"
    f.mkdir()
    said = '"The winner has bought itself a serious headache," said Yukos spokesman {}.'
    write(f, "a", "BBC News", "2004-12-19", "Yukos unit sold", said.format("Alexander Shadrin"))
    write(f, "b", "Meridian Wire", "2004-12-19", "Yukos unit sold", said.format("Mike Lake"))
    write(f, "c", "Gazette", "2017-06-02", "Cycle lanes approved", UNRELATED)
    assistant.ingest([f])
    answer = ask(assistant, "Which Yukos spokesman said the winner had bought a serious headache?")
    assert answer.layout == "speakers" and answer.agreement == "differ"
    assert {c.value for c in answer.claims} == {
        "Yukos spokesman Alexander Shadrin",
        "Yukos spokesman Mike Lake",
    }


def test_a_date_and_the_same_date_told_more_precisely_agree():
    from assistant.answer.sources import _groups

    assert _groups([("date", "2003"), ("date", "2003-12"), ("date", "2004")]) == [0, 0, 1]
    assert _groups([("amount", 80.0), ("amount", 60.0), ("amount", 80.0)]) == [0, 1, 0]
    names = [("name", frozenset({"howard"})), ("name", frozenset({"michael", "howard"}))]
    assert _groups(names) == [0, 0]


def test_a_timeline_renders_as_a_table_in_date_order():
    row = {
        "date": "2017-05-29",
        "label": "29 May 2017",
        "words": "on Monday",
        "text": "Jets struck.",
        "citations": [1],
        "article_id": "a1",
        "title": "T",
        "source": "Press TV",
        "published": "2017-06-01",
        "speaker": None,
    }
    undated = row | {
        "date": None,
        "label": "",
        "words": None,
        "text": "Jets flew.",
        "citations": [2],
    }
    answer = contract("timeline", claims=[], agreement=None, timeline=[row, undated])
    header, body = rows(answer)
    assert header == ["When", "As written", "What happened", "Source", ""]
    assert body[0] == ["29 May 2017", "on Monday", "Jets struck.", "Press TV, 2017-06-01", "[1]"]
    assert body[1][0] == "undated" and verdict(answer) == ""
    assert '<table class="timeline">' in html(answer)
    assert "| 29 May 2017 | on Monday | Jets struck. |" in markdown(
        [{"question": "q", "answer": answer}]
    )


def test_a_quote_names_its_speaker_from_the_sentence_before(assistant: Assistant, tmp_path):
    f = tmp_path / "quotes"
    f.mkdir()
    body = (
        'And Paul Collison, chief analyst at Brunswick UBS, said: "I see no plausible theory. '
        '"Yugansk will most likely end up with Gazprom but could still end up with the state."'
    )
    other = (
        'Kaha Kiknavelidze, analyst at Troika Dialog, said: "I think it was decided long ago '
        'that Yugansk should end up with Gazprom."'
    )
    write(f, "a", "BBC News", "2004-12-19", "Yukos unit sold", body)
    write(f, "b", "Meridian Wire", "2004-12-20", "Yukos unit sale", other)
    write(f, "c", "Gazette", "2017-06-02", "Cycle lanes approved", UNRELATED)
    assistant.ingest([f])
    answer = ask(assistant, "Which analysts said Yugansk would end up with Gazprom?")
    assert answer.layout == "speakers"
    assert {c.value for c in answer.claims} == {"Paul Collison", "Kaha Kiknavelidze"}
    assert answer.agreement is None  # two people, their own words: no disagreement
    collison = next(c for c in answer.claims if c.value == "Paul Collison")
    quote = answer.citations[collison.citations[0] - 1]
    assert quote.quote.startswith('"Yugansk') and "Paul Collison" in quote.context.text


def test_a_timeline_needs_its_subject_not_one_sentence_that_answers_it_all():
    from assistant.answer.extractive import Draft, candidates
    from assistant.answer.question import classify
    from assistant.answer.sources import across
    from assistant.types import Chunk, Passage, Sentence

    text = "Parmalat collapsed in December 2003. Banks were sued on Thursday."
    sentences = (Sentence(0, 35), Sentence(36, len(text)))
    passage = Passage(Chunk("a", 0, sentences, text), "T", None, "2004-10-08", 1.0, 0)
    cands = candidates([passage])
    for c in cands:
        c.window, c.sem = 0.6, 0.3
    q = classify("Give a timeline of Parmalat's collapse and the lawsuits")
    draft = Draft(None, [], True, cands[0], 0.3, ranked=cands)

    def vector(c):
        return np.eye(2)[cands.index(c)]

    laid = across(q, draft, vector, 0.5)
    assert laid.layout == "timeline" and not laid.abstained
    assert [p.when.date for p in laid.parts] == ["2003-12", "2004-10-07"]
    for c in cands:
        c.window = 0.2  # the subject is not there: the abstention stands
    assert across(q, draft, vector, 0.5) is draft


def test_a_timeline_reads_the_whole_of_each_article_on_its_subject(
    assistant: Assistant, folder: Path
):
    filler = " ".join(
        f"Witness number {n} described how the convoy strikes near Raqqah lit up the desert."
        for n in range(1, 13)
    )
    late = "On May 31, Russian warships fired cruise missiles at the Raqqah convoys."
    write(
        folder,
        "convoy",
        "Press TV",
        "2017-06-01",
        "Airstrikes hit convoys",
        f"{CONVOY} {filler} {late}",
    )
    assistant.ingest([folder])
    question = "Give a timeline of the Russian strikes on the Raqqah convoys"
    found = assistant.search(question, top_k=1)
    assert len(found) == 1 and late not in found[0].chunk.text  # not among the passages found
    answer = assistant.ask(question, top_k=1)
    assert answer.layout == "timeline"
    assert ("2017-05-31", late) in [(e.date, e.text) for e in answer.timeline]


def test_an_event_told_alike_by_two_articles_cites_both(assistant: Assistant, folder: Path):
    told = "On May 25, Russian jets attacked another convoy near Palmyra, witnesses told us."
    ledger(folder, f"Readers may write to the editor at the usual address. {told}", "2017-06-01")
    assistant.ingest([folder])
    answer = ask(assistant, "Give a timeline of the Russian strikes on the convoys")
    row = next(e for e in answer.timeline if e.date == "2017-05-25")
    titles = {answer.citations[n - 1].title for n in row.citations}
    assert titles == {"Airstrikes hit convoys", "Jets strike convoys"}


@pytest.mark.parametrize(
    ("question", "layout"),
    [
        ("Give a timeline of the strikes on the convoys", "timeline"),
        ("Set out in order the dated events in the row over the advice", "timeline"),
        ("Give a dated history of Fiat's Ferrari holding", "timeline"),
        ("Give a dated sequence of developments in the bid battle", "timeline"),
        ("What did the firm do in order to cut costs?", None),
        ("How do the two reports differ on the number killed?", "compare"),
        ("How many militants were killed?", None),
    ],
)
def test_the_question_says_how_the_answer_is_laid_out(question: str, layout: str | None):
    from assistant.answer.question import classify

    assert classify(question).layout == layout


@pytest.mark.parametrize(
    ("question", "everyone"),
    [
        ("Which analysts or brokers are quoted commenting on the dispute?", True),
        ("Which opposition politicians criticised the plans?", True),
        ("Who, apart from Kelly Holmes herself, has been quoted predicting her return?", True),
        ("Which Yukos spokesman said the buyer had bought a headache?", False),
        ("Who said the deal was done?", False),
    ],
)
def test_a_question_after_everyone_quoted_is_told_from_one_after_a_claim(
    question: str, everyone: bool
):
    from assistant.answer.sources import _ASKS_SPEAKERS, _everyone

    assert _ASKS_SPEAKERS.match(question) and _everyone(question) == everyone


def test_a_comparison_part_told_by_two_articles_is_one_row_as_in_the_text():
    answer = contract("compare", agreement=None)
    twin = answer["claims"][0] | {"citations": [2], "source": "Ledger"}
    answer["claims"] = [answer["claims"][0] | {"label": "Hewitt"}, twin]
    header, body = rows(answer)
    assert header[:2] == ["Side", "What it says"]
    assert body == [
        ["Hewitt", "80 militants", "Press TV, 2017-06-01; Ledger, 2017-06-01", "[1][2]"]
    ]


def test_a_timeline_says_when_sources_date_one_event_otherwise(assistant: Assistant, folder: Path):
    ledger(
        folder,
        "The Russian Defense Ministry said the airstrikes targeted the convoys on Sunday.",
        "2017-06-01",
    )
    assistant.ingest([folder])
    answer = ask(assistant, "Give a timeline of the Russian strikes on the convoys")
    told = {e.date: e for e in answer.timeline if e.group}
    assert set(told) == {"2017-05-28", "2017-05-29"} and len({e.group for e in told.values()}) == 1
    assert answer.agreement == "differ"
    assert "The sources differ on when: 28 May 2017 [" in answer.answer
    page = answer.to_dict()
    assert verdict(page) == "The sources differ on when: 1 event dated otherwise."
    when = [r[0] for r in rows(page)[1]]
    assert sum(w.endswith("(dated otherwise elsewhere)") for w in when) == 2
