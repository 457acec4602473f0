from __future__ import annotations

from assistant.ingest import chunk_article, title_prefix
from assistant.ingest.chunk import TITLE_TOKENS, fit_sentences, make_chunks
from assistant.ingest.sentences import split_sentences
from assistant.types import Article
from tests.conftest import FakeEmbedder

count = FakeEmbedder().count_tokens


def article(text: str, title: str = "A title") -> Article:
    return Article(id="a1", title=title, text=text)


def test_chunks_are_whole_sentences_within_budget_and_cover_the_text():
    text = " ".join(f"Sentence number {i} says something about topic {i % 7}." for i in range(60))
    chunks, embed_texts = chunk_article(article(text), count, chunk_tokens=40, overlap=1)
    starts = {s.start for s in split_sentences(text)}
    covered = set()
    for c, t in zip(chunks, embed_texts):
        assert c.text == text[c.start : c.end]
        assert c.start in starts  # begins on a sentence boundary
        assert sum(count([t])) <= 40  # title prefix + window fit the budget
        covered |= {s.start for s in c.sentences}
    assert covered == starts


def test_neighbouring_chunks_share_the_overlap_sentences():
    text = " ".join(f"This is sentence {i}." for i in range(30))
    chunks, _ = chunk_article(article(text), count, chunk_tokens=30, overlap=1)
    assert len(chunks) > 2
    for a, b in zip(chunks, chunks[1:]):
        assert a.sentences[-1] == b.sentences[0]


def test_without_overlap_chunks_partition_the_sentences():
    text = " ".join(f"This is sentence {i}." for i in range(30))
    chunks, _ = chunk_article(article(text), count, chunk_tokens=30, overlap=0)
    flat = [s for c in chunks for s in c.sentences]
    assert flat == split_sentences(text)


def test_a_sentence_longer_than_the_budget_is_split_not_truncated():
    text = "Start " + " ".join(f"word{i}" for i in range(500)) + " end."
    sents, counts = fit_sentences(text, split_sentences(text), count, budget=50)
    assert len(sents) > 10 and all(n <= 50 for n in counts)
    assert " ".join(text[s.start : s.end] for s in sents) == text  # every word kept, in order


def test_a_word_longer_than_the_budget_is_cut():
    text = "Look: " + "x" * 300 + " done."
    sents, counts = fit_sentences(text, split_sentences(text), count, budget=20)
    assert all(n <= 20 for n in counts)
    assert "".join(text[s.start : s.end] for s in sents).replace(" ", "") == text.replace(" ", "")


def test_make_chunks_always_advances():
    text = "One. Two. Three."
    sents = split_sentences(text)
    chunks = make_chunks("a", text, sents, [5, 5, 5], budget=5, overlap=3)
    assert [c.text for c in chunks] == ["One.", "Two.", "Three."]


def test_long_titles_are_capped():
    title = " ".join(["word"] * 100)
    assert count([title_prefix(title, count)])[0] <= TITLE_TOKENS
