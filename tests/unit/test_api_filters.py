"""Question filters (sources, date range, chosen articles) with the fake embedder."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant import Assistant, AssistantError
from assistant.retrieve import Filters

ARTICLES = {
    "planet.md": (
        "---\ntitle: Bridge opens\nsource: Daily Planet\npublished: 2020-01-10\n---\n"
        "The mayor opened the new bridge on Monday. The bridge cost 40 million dollars.\n"
    ),
    "gazette.md": (
        "---\ntitle: Tunnel opens\nsource: Gotham Gazette\npublished: 2021-05-02\n---\n"
        "The mayor opened the new tunnel on Friday. The tunnel cost 90 million dollars.\n"
    ),
    "undated.md": (
        "---\ntitle: Ferry starts\n---\n"
        "The mayor opened the new ferry line on Sunday. The ferry cost 5 million dollars.\n"
    ),
}


@pytest.fixture
def library(fake_assistant: Assistant, tmp_path: Path) -> dict[str, str]:
    """Three articles; returns file name -> article id."""
    paths = []
    for name, text in ARTICLES.items():
        (tmp_path / name).write_text(text)
        paths.append(tmp_path / name)
    report = fake_assistant.ingest(paths)
    assert report.ok
    return {Path(r.path).name: r.article_id for r in report.results}


def cited(answer) -> set[str]:
    return {c.article_id for c in answer.citations}


Q = "what did the mayor open?"


def test_without_filters_every_article_is_searched(fake_assistant: Assistant, library):
    vec = fake_assistant.embedder.embed([Q])[0]
    passages = fake_assistant.retriever.search(Q, vec, 16)
    assert {p.chunk.article_id for p in passages} == set(library.values())


@pytest.mark.parametrize(
    ("filters", "allowed"),
    [
        ({"sources": ["Gotham Gazette"]}, {"gazette.md"}),
        ({"sources": ["Daily Planet", "Gotham Gazette"]}, {"planet.md", "gazette.md"}),
        ({"published_from": "2021-01-01"}, {"gazette.md"}),
        ({"published_to": "2020-12-31"}, {"planet.md"}),  # the undated article is left out
        ({"published_from": "2020-01-10", "published_to": "2020-01-10"}, {"planet.md"}),
        ({"article_ids": ["undated.md"]}, {"undated.md"}),
        ({"sources": ["Daily Planet"], "published_from": "2021-01-01"}, set()),
    ],
)
def test_filters_restrict_retrieval_and_citations(
    fake_assistant: Assistant, library, filters: dict, allowed: set[str]
):
    if "article_ids" in filters:
        filters = {"article_ids": [library[n] for n in filters["article_ids"]]}
    ids = {library[n] for n in allowed}
    parsed = Filters.parse(filters)
    vec = fake_assistant.embedder.embed([Q])[0]
    passages = fake_assistant.retriever.search(Q, vec, 16, parsed)
    assert {p.chunk.article_id for p in passages} == ids
    answer = fake_assistant.ask(Q, filters=filters)
    if ids:
        assert not answer.abstained and cited(answer) <= ids
    else:
        assert answer.abstained and answer.citations == []


def test_a_filter_picks_the_answer_from_the_chosen_article(fake_assistant: Assistant, library):
    q = "how much did it cost?"
    for name, amount in (("planet.md", "40 million"), ("gazette.md", "90 million")):
        answer = fake_assistant.ask(q, filters={"article_ids": [library[name]]})
        assert cited(answer) == {library[name]}
        assert amount in answer.answer


def test_chroma_where_and_lexical_check_agree(fake_assistant: Assistant, library):
    """The dense side (Chroma `where`) and the lexical side (`allows`) keep the same chunks."""
    chunks = list(fake_assistant.store.iter_chunks())
    for raw in (
        {"sources": ["Daily Planet"]},
        {"published_from": "2020-06-01"},
        {"published_to": "2021-05-02"},
        {"article_ids": [library["undated.md"]], "sources": ["Daily Planet"]},
    ):
        f = Filters.parse(raw)
        kept = set(fake_assistant.store.chunks.get(where=f.where(), include=[])["ids"])
        assert kept == {c.id for c, meta in chunks if f.allows(meta)}


def test_empty_filters_do_not_restrict():
    assert Filters.parse(None) is None
    assert Filters.parse({}) is None
    assert Filters.parse({"sources": [], "published_from": "", "article_ids": None}) is None
    assert Filters.parse({"sources": "Daily Planet"}) == Filters(sources=("Daily Planet",))


@pytest.mark.parametrize(
    ("raw", "says"),
    [
        ({"published_from": "2020-13-01"}, "published_from must be a date"),
        ({"published_to": "June 1"}, "published_to must be a date"),
        ({"published_from": 20200101}, "published_from must be a date"),
        ({"published_from": "2021-01-01", "published_to": "2020-01-01"}, "after"),
        ({"source": ["x"]}, "unknown filter 'source'"),
        ({"sources": [1, 2]}, "sources must be a list of strings"),
        (["sources"], "filters must be an object"),
    ],
)
def test_bad_filters_say_what_to_send(fake_assistant: Assistant, raw, says: str):
    with pytest.raises(AssistantError) as e:
        fake_assistant.ask(Q, filters=raw)
    assert says in e.value.message and e.value.status == 400 and e.value.help
