"""The seed questions, answered by the real embedder over an embedded Chroma store."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import numpy as np
import pytest

from assistant.config import Settings
from assistant.ingest import chunk_article
from tests.conftest import SEEDS
from tests.integration.helpers import BIN, env

pytestmark = pytest.mark.integration


def check_citations(assistant, answer) -> None:
    assert answer.citations
    for c in answer.citations:
        text = assistant.article(c.article_id).text
        assert text[c.start : c.end] == c.quote
        assert f"[{c.n}]" in answer.answer
        if c.context:
            assert text[c.context.start : c.context.end] == c.context.text
            assert c.context.end <= c.start


def test_how_many_vehicles(seeded):
    answer = seeded.ask("how many vehicles were destroyed?")
    assert not answer.abstained
    assert answer.short_answer == "36 vehicles"
    assert answer.answer.startswith("36 vehicles, eight fuel trucks, 17 pickups on Monday [1]")
    assert "36 vehicles" in answer.citations[0].quote
    # "on Monday" is in the sentence before the quote: shown with it as its context
    assert "on Monday" in answer.citations[0].context.text
    # the May 25 strike's trucks are counted too: the tally counts trucks among the vehicles
    assert answer.answer.endswith("; 32 pick-up trucks on May 25 [2].")
    check_citations(seeded, answer)


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        # pick-up trucks are not fuel trucks
        ("How many fuel trucks did the airstrikes destroy?", "eight fuel trucks"),
        # the question names its event: the May 25 strike is not asked
        ("How many militants were killed when Russian jets destroyed the convoys?", "80 militants"),
    ],
)
def test_counts_of_other_things_or_events_are_not_listed(seeded, question, expected):
    answer = seeded.ask(question)
    assert answer.answer.startswith(expected) and len(answer.citations) == 1
    assert answer.citations[0].title.startswith("Russian airstrikes hit Daesh convoy")
    assert answer.citations[0].source == "Iran Press TV"
    assert answer.citations[0].published == "2017-06-01"
    check_citations(seeded, answer)


def test_who_claimed_the_sdf_deal(seeded):
    answer = seeded.ask("who claimed the SDF deal?")
    assert not answer.abstained
    assert answer.short_answer == "Russian sources"
    assert answer.citations[0].quote.startswith(
        "According to Russian sources, Daesh has entered a deal"
    )
    check_citations(seeded, answer)


@pytest.mark.parametrize(
    "question",
    [
        "Who won the 2018 football World Cup?",
        "What is the capital of Australia?",
        "How much does a kilogram of coffee cost in Brazil?",
    ],
)
def test_questions_the_article_does_not_answer_abstain(seeded, question):
    answer = seeded.ask(question)
    assert answer.abstained and not answer.citations


def test_follow_up_keeps_the_conversation(seeded):
    history = [
        {"role": "user", "content": "how many vehicles were destroyed?"},
        {"role": "assistant", "content": "36 vehicles [1]."},
    ]
    answer = seeded.ask("and on May 25?", history=history)
    assert not answer.abstained
    assert "32 pick-up trucks" in answer.citations[0].quote


def test_no_chunk_is_truncated_by_the_embedder(real_embedder):
    """Every embedded text, special tokens included, fits the model's 256 word pieces."""
    settings = Settings()
    from assistant.ingest import to_article
    from assistant.ingest.load import load_document

    long_text = (
        "Lead paragraph.\n\n"
        + " ".join(
            f"In {1900 + i} the committee of the union reviewed proposal number {i} and its annexes;"
            for i in range(120)
        )
        + " It ended.\n\nA last paragraph."
    )
    tmp = Path(__file__).parent / "_long_article.txt"
    tmp.write_text("A very long article about committees\n\n" + long_text)
    try:
        docs = [load_document(p, 10**7) for p in [*SEEDS.glob("*.md"), tmp]]
        for doc, path in zip(docs, [*SEEDS.glob("*.md"), tmp]):
            article = to_article(doc, path)
            chunks, texts = chunk_article(
                article, real_embedder.count_tokens, settings.chunk_tokens, settings.chunk_overlap
            )
            full = [e.ids for e in real_embedder.tokenizer.encode_batch(texts)]
            assert all(len(ids) <= settings.chunk_tokens + 2 <= 256 for ids in full)
            covered = " ".join(article.text[c.start : c.end] for c in chunks)
            assert set(covered.split()) == set(article.text.split())
    finally:
        tmp.unlink()


def test_cli_ingest_ask_status_remove(tmp_path: Path):
    e = env(ASSISTANT_INDEX_DIR=str(tmp_path / "index"))

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [str(BIN / "assistant"), *args], env=e, capture_output=True, text=True, timeout=300
        )

    ingest = run("ingest", str(SEEDS))
    assert ingest.returncode == 0, ingest.stderr
    assert "1 added" in ingest.stdout
    again = run("ingest", str(SEEDS))
    assert "0 added, 1 unchanged" in again.stdout

    ask = run("ask", "how many vehicles were destroyed?", "--json")
    assert ask.returncode == 0, ask.stderr
    answer = json.loads(ask.stdout)
    assert set(answer) >= {"question", "answer", "short_answer", "abstained", "citations"}
    assert answer["short_answer"] == "36 vehicles" and not answer["abstained"]
    c = answer["citations"][0]
    assert set(c) == {
        "n",
        "article_id",
        "title",
        "source",
        "published",
        "quote",
        "start",
        "end",
        "context",
    }

    plain = run("ask", "who claimed the SDF deal?")
    assert "Russian sources [1]" in plain.stdout and "According to Russian sources" in plain.stdout

    status = json.loads(run("index", "status", "--json").stdout)
    assert status["articles"] == 1 and status["chunks"] >= 1
    assert status["embedding_model"] == "all-MiniLM-L6-v2" and status["store"] == "embedded"

    edited = run("index", "edit", c["article_id"], "--title", "Convoy hit", "--json")
    assert edited.returncode == 0, edited.stderr
    assert json.loads(edited.stdout)["title"] == "Convoy hit"
    cited = json.loads(run("ask", "who claimed the SDF deal?", "--json").stdout)["citations"]
    assert cited[0]["title"] == "Convoy hit" and cited[0]["article_id"] == c["article_id"]
    nothing = run("index", "edit", c["article_id"])
    assert nothing.returncode == 1 and "nothing to change" in nothing.stderr

    dated = run("ingest", str(SEEDS), "--published", "soon")
    assert dated.returncode == 1 and "not a date" in dated.stderr and "YYYY-MM-DD" in dated.stderr

    bad = run("ingest", str(tmp_path / "nope.txt"), str(SEEDS))
    assert bad.returncode == 1 and "nope.txt" in bad.stderr

    chat = subprocess.run(
        [str(BIN / "assistant"), "chat"],
        env=e,
        capture_output=True,
        text=True,
        timeout=300,
        input="how many vehicles were destroyed?\nand on May 25?\n",
    )
    assert chat.returncode == 0, chat.stderr
    assert "36 vehicles" in chat.stdout and "32 pick-up trucks" in chat.stdout
    # the follow-up was rewritten to stand alone, and the CLI says how it was understood
    assert "Understood as: how many vehicles were destroyed" in chat.stdout

    # with --json, an error is JSON on stdout too, with a non-zero exit
    empty = run("ask", "   ", "--json")
    assert empty.returncode == 1 and not empty.stderr
    assert set(json.loads(empty.stdout)) == {"error", "help"}

    removed = run("index", "remove", c["article_id"])
    assert removed.returncode == 0
    assert json.loads(run("index", "status", "--json").stdout)["articles"] == 0
    missing = run("index", "remove", c["article_id"])
    assert missing.returncode == 1 and "no article" in missing.stderr


def test_a_whole_sentence_answer_ends_once(seeded):
    """A sentence quoted whole keeps its own full stop before the marker; no second one."""
    answer = seeded.ask("Why did the militants leave Raqqah?")
    assert answer.short_answer is None
    assert answer.answer.endswith(". [1]") and not answer.answer.endswith("[1].")
    check_citations(seeded, answer)
    short = seeded.ask("What were the pickups carrying?")  # a short answer is closed by one
    assert short.answer.endswith("[1].") and ". [1]" not in short.answer


def test_the_embedder_gives_sentence_transformers_vectors(real_embedder):
    """assistant/minilm.py runs the model itself (a cold start without the seconds of importing
    sentence-transformers and torch): its vectors must be the reference implementation's, in
    torch (a batch) and in numpy (a few texts), padded, and past the model's 256 word pieces."""
    from sentence_transformers import SentenceTransformer

    text = SEEDS.joinpath("russian-airstrikes-daesh-convoy-raqqah.md").read_text()
    texts = [t for t in text.splitlines() if t.strip()]
    texts += ["who claimed the SDF deal?", "x", " ".join(text.split()[:400])]
    reference = SentenceTransformer(real_embedder._path, device="cpu")
    reference.max_seq_length = real_embedder.max_tokens
    expected = reference.encode(texts, normalize_embeddings=True, batch_size=64)
    ours = real_embedder.embed(texts)
    assert ours.shape == expected.shape == (len(texts), 384)
    assert abs(ours - expected).max() < 1e-5
    ids, mask = np.array([[101, 7592, 102]]), np.ones((1, 3), dtype=np.float32)
    assert real_embedder.model._numpy(ids, mask).dtype == np.float32  # not float64, 1.6x slower
    one = real_embedder.embed([texts[3]])[0]  # a question's path: numpy, no torch
    assert abs(one - expected[3]).max() < 1e-5
    few = real_embedder.embed(texts[-8:])  # numpy, padded to the longest of the eight
    assert abs(few - expected[-8:]).max() < 1e-5
