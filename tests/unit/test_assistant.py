"""The service with a fake embedder: ingest bookkeeping, citations, abstention, bad input."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from assistant import Assistant, AssistantError, Settings
from assistant.conversation import condense
from tests.conftest import SEEDS, FakeEmbedder

SEED = SEEDS / "russian-airstrikes-daesh-convoy-raqqah.md"


def test_reingesting_the_same_file_changes_nothing(fake_assistant: Assistant):
    first = fake_assistant.ingest([SEED])
    assert first.count("added") == 1
    before = fake_assistant.status()
    again = fake_assistant.ingest([SEED])
    assert again.count("unchanged") == 1 and again.count("added") == 0
    assert fake_assistant.status()["chunks"] == before["chunks"]
    assert again.results[0].article_id == first.results[0].article_id


def test_a_changed_file_replaces_its_old_chunks(fake_assistant: Assistant, tmp_path: Path):
    f = tmp_path / "story.md"
    f.write_text("---\ntitle: Story\n---\nThe mayor opened the bridge on Monday. Crowds cheered.\n")
    old = fake_assistant.ingest([f]).results[0].article_id
    f.write_text("---\ntitle: Story\n---\nThe mayor closed the bridge on Tuesday. Nobody came.\n")
    report = fake_assistant.ingest([f])
    new = report.results[0].article_id
    assert report.results[0].status == "replaced" and new != old
    assert [a["id"] for a in fake_assistant.articles()] == [new]
    status = fake_assistant.status()
    assert status["articles"] == 1
    assert status["chunks"] == report.results[0].chunks


def test_remove_and_unknown_ids(fake_assistant: Assistant):
    aid = fake_assistant.ingest([SEED]).results[0].article_id
    fake_assistant.remove(aid)
    assert fake_assistant.status() | {"generation": 0} == fake_assistant.status() | {
        "articles": 0,
        "chunks": 0,
        "generation": 0,
    }
    with pytest.raises(AssistantError) as e:
        fake_assistant.remove(aid)
    assert e.value.status == 404
    with pytest.raises(AssistantError):
        fake_assistant.article("nope")


def test_ids_are_stable_across_indexes(tmp_path: Path):
    ids = []
    for name in ("a", "b"):
        a = Assistant(settings=Settings(index_dir=tmp_path / name), embedder=FakeEmbedder())
        ids.append(a.ingest([SEED]).results[0].article_id)
    assert ids[0] == ids[1]
    copy = tmp_path / "copy.md"
    shutil.copy(SEED, copy)
    a = Assistant(settings=Settings(index_dir=tmp_path / "a"), embedder=FakeEmbedder())
    assert a.ingest([copy]).results[0].status == "unchanged"  # same content, same article


def test_every_citation_is_verbatim_article_text(fake_assistant: Assistant):
    fake_assistant.ingest([SEED])
    questions = [
        "how many vehicles were destroyed?",
        "who claimed the SDF deal?",
        "when did Daesh seize Raqqah?",
        "where did the convoys flee?",
        "who warned the militants?",
        "what did Russia lend?",
    ]
    cited = 0
    for q in questions:
        answer = fake_assistant.ask(q)
        for c in answer.citations:
            assert fake_assistant.article(c.article_id).text[c.start : c.end] == c.quote
            assert f"[{c.n}]" in answer.answer
            cited += 1
    assert cited >= len(questions) - 1


def test_unrelated_questions_abstain(fake_assistant: Assistant):
    fake_assistant.ingest([SEED])
    for q in ("Who won the football world cup in 1998?", "What is the recipe for pancakes?"):
        answer = fake_assistant.ask(q)
        assert answer.abstained and answer.citations == [] and answer.short_answer is None
        assert answer.answer == "I could not find this in the articles."


def test_an_empty_index_says_so_and_how_to_add_articles(fake_assistant: Assistant):
    answer = fake_assistant.ask("how many vehicles were destroyed?")
    assert answer.abstained and not answer.citations
    assert answer.answer.startswith("No articles are indexed yet")
    assert "assistant ingest" in answer.answer and "upload" in answer.answer
    fake_assistant.ingest([SEED])
    assert not fake_assistant.ask("how many vehicles were destroyed?").answer.startswith("No ")


@pytest.mark.parametrize("bad", ["", "   ", "\x00\x01", "x" * 2001])
def test_bad_questions_get_a_clear_error(fake_assistant: Assistant, bad: str):
    with pytest.raises(AssistantError):
        fake_assistant.ask(bad)


def test_a_misspelt_option_is_an_error_not_ignored(fake_assistant: Assistant):
    with pytest.raises(TypeError, match="unexpected options: topk"):
        fake_assistant.ask("how many vehicles?", topk=3)


def test_bad_files_are_reported_and_the_rest_of_the_batch_lands(
    fake_assistant: Assistant, tmp_path: Path
):
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "binary.txt").write_bytes(bytes(range(256)) * 20)
    (tmp_path / "corrupt.pdf").write_bytes(b"%PDF-1.4 garbage that is not a pdf")
    (tmp_path / "corrupt.docx").write_bytes(b"PK\x03\x04 not really a zip")
    (tmp_path / "image.png").write_bytes(b"\x89PNG\r\n")
    (tmp_path / "good.txt").write_text(
        "Harbour reopens after repairs\n\nThe harbour reopened on Friday after repairs.\n"
    )
    report = fake_assistant.ingest([tmp_path / "missing.txt", tmp_path / "image.png", tmp_path])
    failed = {Path(r.path).name: r.message for r in report.failed}
    assert set(failed) == {
        "missing.txt",
        "image.png",
        "empty.txt",
        "binary.txt",
        "corrupt.pdf",
        "corrupt.docx",
    }
    for name, message in failed.items():
        assert name in message and "\n" not in message
    assert not report.ok
    assert report.count("added") == 1
    status = fake_assistant.status()
    assert status["articles"] == 1
    assert fake_assistant.articles()[0]["title"] == "Harbour reopens after repairs"


def test_a_file_over_the_size_limit_is_refused(tmp_path: Path):
    settings = Settings(index_dir=tmp_path / "index", max_file_mb=0.001)
    a = Assistant(settings=settings, embedder=FakeEmbedder())
    big = tmp_path / "big.txt"
    big.write_text("A sentence about nothing in particular. " * 100)
    report = a.ingest([big])
    assert report.results[0].status == "failed" and "big.txt" in report.results[0].message
    assert a.status()["articles"] == 0


def test_an_index_built_differently_is_refused(settings: Settings):
    Assistant(settings=settings, embedder=FakeEmbedder()).ingest([SEED])
    other = settings.model_copy(update={"chunk_tokens": 100})
    with pytest.raises(AssistantError) as e:
        Assistant(settings=other, embedder=FakeEmbedder())
    assert "chunk_tokens" in e.value.message and "wipe" in e.value.help


def test_orphan_chunks_of_an_interrupted_write_are_ignored_and_repaired(
    fake_assistant: Assistant, settings: Settings
):
    store = fake_assistant.store
    commit = store.articles_col.upsert

    def crash(**kwargs):  # the process dies after the chunks, before the article record
        raise KeyboardInterrupt

    store.articles_col.upsert = crash
    with pytest.raises(KeyboardInterrupt):
        fake_assistant.ingest([SEED])
    store.articles_col.upsert = commit
    assert store.chunks.count() > 0 and store.articles_col.count() == 0
    assert fake_assistant.ask("how many vehicles were destroyed?").abstained
    reopened = Assistant(settings=settings, embedder=FakeEmbedder())
    assert reopened.status()["chunks"] == 0 and reopened.store.sentences.count() == 0
    assert reopened.store.repair() == 0  # the pending note went with the leftovers

    # an index from before pending notes is scanned in full once
    reopened.ingest([SEED])
    aid = reopened.articles()[0]["id"]
    reopened.store.articles_col.delete(ids=[aid])
    reopened.store.meta.delete(ids=["tracked"])
    assert reopened.store.repair() > 0
    assert reopened.store.chunks.count() == 0
    assert reopened.store.meta.get(ids=["tracked"])["ids"] == ["tracked"]


def test_follow_ups_are_rewritten_to_stand_alone():
    history = [
        {"role": "user", "content": "how many vehicles were destroyed?"},
        {"role": "assistant", "content": "36 vehicles [1]."},
    ]
    assert condense("and on May 25?", history) == "how many vehicles were destroyed on May 25?"
    # the follow-up's own kind of question and words; the earlier names and numbers carried
    assert condense("who warned them?", history) == "who warned them?"
    assert condense("where did it happen?", history) == (
        "where did it happen (vehicles were destroyed)?"
    )
    named = [{"role": "user", "content": "How many trucks did Russia hit near Raqqah on May 25?"}]
    assert condense("who warned them?", named) == "who warned them (Russia Raqqah May 25)?"
    assert condense("when did Daesh seize Raqqah?", history) == "when did Daesh seize Raqqah?"
    assert condense("and on May 25?", []) == "and on May 25?"
    pairs = [("how many vehicles were destroyed?", "36 vehicles [1].")]
    assert condense("what about pickups?", pairs) == "how many vehicles were destroyed pickups?"


def test_an_abstention_under_filters_says_the_filters_limited_the_search(
    fake_assistant: Assistant,
):
    fake_assistant.ingest([SEED])
    q = "how many vehicles were destroyed?"
    none = fake_assistant.ask(q, filters={"sources": ["Nobody"]})
    assert none.abstained
    assert none.answer.startswith(
        "I could not find this in the articles the filters leave (0 of 1)"
    )
    assert not fake_assistant.ask(q, filters={"sources": ["Iran Press TV"]}).abstained
    # without filters, the plain abstention
    assert fake_assistant.ask("Who won the 2018 football World Cup?").answer == (
        "I could not find this in the articles."
    )


def test_ingest_can_set_the_source_and_date_the_files_lack(fake_assistant: Assistant, tmp_path):
    story = tmp_path / "story.txt"
    story.write_text("Unison backs strike\n\nDave Prentis, general secretary of Unison, spoke.\n")
    report = fake_assistant.ingest([story], source="BBC News", published="2005-03-01")
    article = fake_assistant.article(report.results[0].article_id)
    assert (article.source, article.published) == ("BBC News", "2005-03-01")
    answer = fake_assistant.ask("Who is the general secretary of Unison?")
    assert answer.citations[0].source == "BBC News"
    assert answer.citations[0].published == "2005-03-01"
    for bad in ({"published": "March 2005"}, {"source": " "}):
        with pytest.raises(AssistantError):
            fake_assistant.ingest([story], **bad)
    # the same file again with another source: its article is replaced, not taken for a copy
    again = fake_assistant.ingest([story], source="BBC", published="2005-03-01")
    assert [r.status for r in again.results] == ["replaced"]
    assert [a["source"] for a in fake_assistant.articles()] == ["BBC"]


def test_ingest_reports_each_file_as_it_is_committed(fake_assistant: Assistant, tmp_path):
    """Every file's result is heard once, final: an added file only after its chunks are in
    the store (so a printed line means the file is searchable), failures and unchanged files
    as they are found."""
    from assistant.ingest import pipeline

    folder = tmp_path / "news"
    folder.mkdir()
    for i in range(3):
        (folder / f"s{i}.txt").write_text(f"Story {i}\n\nThe mayor of town {i} resigned today.\n")
    (folder / "empty.txt").write_text("")
    heard: list[tuple[str, str, int]] = []

    def hear(r: pipeline.FileResult) -> None:
        heard.append((Path(r.path).name, r.status, fake_assistant.store.chunks.count()))

    report = fake_assistant.ingest([folder, tmp_path / "missing.txt"], on_result=hear)
    names = [h[0] for h in heard]
    assert sorted(names) == sorted(Path(r.path).name for r in report.results)
    assert len(names) == len(set(names)) == 5
    status = {name: s for name, s, _ in heard}
    assert status["missing.txt"] == "failed" and status["empty.txt"] == "failed"
    assert [status[f"s{i}.txt"] for i in range(3)] == ["added"] * 3
    assert all(n >= 3 for name, s, n in heard if s == "added")  # committed when heard
    again: list[str] = []
    fake_assistant.ingest([folder / "s0.txt"], on_result=lambda r: again.append(r.status))
    assert again == ["unchanged"]


def test_the_library_edits_title_source_and_date(fake_assistant: Assistant, tmp_path):
    story = tmp_path / "story.txt"
    story.write_text("Unison backs strike\n\nDave Prentis, general secretary of Unison, spoke.\n")
    aid = fake_assistant.ingest([story]).results[0].article_id
    before = fake_assistant.article(aid)
    question = "Who is the general secretary of Unison?"
    quote = fake_assistant.ask(question).citations[0]

    edited = fake_assistant.edit(aid, source="BBC News", published="2005-03-01")
    assert (edited.id, edited.text, edited.title) == (aid, before.text, before.title)
    c = fake_assistant.ask(question).citations[0]
    assert (c.source, c.published) == ("BBC News", "2005-03-01")  # the citation shows them
    assert (c.article_id, c.start, c.end, c.quote) == (aid, quote.start, quote.end, quote.quote)
    only = fake_assistant.ask(question, filters={"sources": ["BBC News"]})
    assert not only.abstained  # the filters see the new source
    dated = fake_assistant.ask(question, filters={"published_to": "2004-12-31"})
    assert dated.abstained  # and the new date

    chunks = fake_assistant.status()["chunks"]
    edited = fake_assistant.edit(aid, title="  Unison   votes to strike ")
    assert edited.title == "Unison votes to strike" and edited.source == "BBC News"
    assert fake_assistant.ask(question).citations[0].title == "Unison votes to strike"
    assert fake_assistant.status()["chunks"] == chunks
    listed = {a["id"]: a for a in fake_assistant.articles()}
    assert listed[aid]["title"] == "Unison votes to strike"

    again = fake_assistant.ingest([story])  # the unchanged file: a no-op that keeps the edit
    assert again.results[0].status == "unchanged"
    assert fake_assistant.article(aid).title == "Unison votes to strike"

    cleared = fake_assistant.edit(aid, source="", published="")
    assert (cleared.source, cleared.published) == (None, None)
    assert fake_assistant.ask(question).citations[0].source is None
    for bad in ({"published": "March 2005"}, {"title": " "}):
        with pytest.raises(AssistantError):
            fake_assistant.edit(aid, **bad)
    with pytest.raises(AssistantError) as e:
        fake_assistant.edit("nope", title="x")
    assert e.value.status == 404


def test_the_same_text_under_other_names_is_one_article(fake_assistant: Assistant, tmp_path):
    """A copy (another file name, other line breaks) is recognised by its text, counted once
    and reported as a copy of the article it repeats: it never becomes a second source. Its
    file changing to new text makes it an article of its own."""
    text = "Convoy hit\n\nOfficials said on Monday that 36 vehicles were destroyed near the city."
    (tmp_path / "a.txt").write_text(text)
    (tmp_path / "b.txt").write_text(text)
    first = fake_assistant.ingest([tmp_path / "a.txt", tmp_path / "b.txt"])
    assert [r.status for r in first.results] == ["added", "copy"]
    original = first.results[0].article_id
    assert first.results[1].article_id == original and "'a'" in first.results[1].message
    assert first.to_dict()["copies"] == 1 and len(fake_assistant.articles()) == 1
    (tmp_path / "c.txt").write_text(text.replace(" on Monday", "\non Monday"))
    later = fake_assistant.ingest([tmp_path])  # a later run, and a folder
    assert [r.status for r in later.results] == ["unchanged", "copy", "copy"]
    answer = fake_assistant.ask("how many vehicles were destroyed?")
    assert {c.article_id for c in answer.citations} == {original}
    (tmp_path / "b.txt").write_text("Another story\n\nA different story now.")
    assert fake_assistant.ingest([tmp_path / "b.txt"]).results[0].status == "added"
    assert len(fake_assistant.articles()) == 2


def test_a_copy_whose_original_changes_in_the_same_run_is_kept(fake_assistant: Assistant, tmp_path):
    """Two files with one text; the first is edited, then both are ingested in one run: the
    copy now holds the only remaining version of that text, so it is indexed."""
    text = "Budget\n\nThe committee approved the new harbour bridge budget on Tuesday."
    (tmp_path / "a.txt").write_text(text)
    (tmp_path / "b.txt").write_text(text)
    fake_assistant.ingest([tmp_path])
    (tmp_path / "a.txt").write_text("Budget\n\nThe committee rejected it.")
    report = fake_assistant.ingest([tmp_path])
    assert [r.status for r in report.results] == ["replaced", "added"]
    texts = {fake_assistant.article(a["id"]).text for a in fake_assistant.articles()}
    assert texts == {"Budget\n\nThe committee rejected it.", text}
