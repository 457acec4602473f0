"""`assistant train-reader` end to end on a tiny set: folds, weights, card, and a model that
loads back (checksum verified) and reads."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.answer import reader as R
from assistant.cli import main

pytestmark = pytest.mark.integration
DATA = Path(__file__).parent.parent / "fixtures" / "reader" / "train" / "questions.jsonl"


def test_a_tiny_training_run(tmp_path, capsys) -> None:
    out = tmp_path / "reader.safetensors"
    rc = main(
        [
            "train-reader",
            "--data",
            str(DATA),
            "--out",
            str(out),
            "--folds",
            "2",
            "--batch-size",
            "4",
            "--negatives",
            "2",
            "--hold-out",
            "Orchard",
        ]
    )
    assert rc == 0
    card = json.loads(out.with_suffix(".json").read_text())
    assert card["sha256"] == R.sha256_of(out)
    assert card["articles_trained"] == ["Harbour"] and card["held_out"] == ["Orchard"]
    assert [f["fold"] for f in card["folds"]] == [1, 2, "held out"]
    assert {"sentence_first_reader", "sentence_first_cosine", "answerable_auc"} <= set(
        card["out_of_fold"]
    )
    assert 0 < card["threshold"] < 1
    assert out.stat().st_size < 50e6
    assert "sha256" in (tmp_path / "READER.md").read_text()
    printed = json.loads(capsys.readouterr().out)
    assert printed["threshold"] == card["threshold"]

    sentence = "The harbour was built in 1843 by the engineer Thomas Avery."
    (r,) = R.Reader(out).read("Who built the harbour?", [R.Item(sentence, "Harbour")])
    assert 0.0 < r.prob < 1.0
    assert r.span is None or 0 <= r.span[0] < r.span[1] <= len(sentence)


def test_training_learns_what_it_is_shown(tmp_path, real_embedder) -> None:
    """Trained long enough on the fixture, the reader puts the answer sentence first and cuts
    the answer from it: the loss, labels and span targets teach what they should."""
    out = tmp_path / "reader.safetensors"
    args = ["train-reader", "--data", str(DATA), "--out", str(out), "--folds", "1"]
    assert main([*args, "--epochs", "12", "--batch-size", "4", "--lr", "1e-4", "--hold-out"]) == 0
    sentences = [
        "The harbour of Brennick was built in 1843 by the engineer Thomas Avery.",
        "It cost 40,000 pounds and took six years to finish.",
        "Fishing boats used the harbour until the 1960s.",
    ]
    readings = R.Reader(out).read(
        "Who built the harbour of Brennick?", [R.Item(s, "Harbour") for s in sentences]
    )
    assert readings[0].prob > max(r.prob for r in readings[1:])
    span = readings[0].span
    assert span is not None and "Thomas Avery" in sentences[0][span[0] : span[1]]

    # the same model answering through the Assistant (settings.reader_path), over the
    # fixture's articles in a real index with the real embedder
    from assistant import Assistant
    from assistant.config import Settings

    articles = DATA.parent.parent / "evals" / "tiny" / "articles"
    settings = Settings(index_dir=tmp_path / "index", reader_path=out)
    assistant = Assistant(settings=settings, embedder=real_embedder)
    assert assistant.ingest([articles]).ok
    answer = assistant.ask("Who built the harbour of Brennick?")
    assert answer.citations[0].quote == sentences[0]
    assert answer.support == pytest.approx(readings[0].prob, abs=0.05)
    assert answer.short_answer is None or "Thomas Avery" in answer.short_answer
    text = assistant.article(answer.citations[0].article_id).text
    c = answer.citations[0]
    assert text[c.start : c.end] == c.quote
