"""The reader's input layout, span decoding, and its refusal of a missing or altered model."""

from __future__ import annotations

import json

import numpy as np
import pytest

from assistant.answer import reader as R
from assistant.errors import AssistantError


@pytest.fixture(scope="module")
def tok():
    return R.tokenizer()


def test_encode_puts_the_sentence_right_after_the_question(tok) -> None:
    sentence = "The airstrikes also destroyed 36 vehicles."
    (e,) = R.encode(
        tok, "how many vehicles?", [R.Item(sentence, "Russian airstrikes", "On Monday.")]
    )
    assert e.ids[0] == tok.cls_token_id and e.ids[-1] == tok.sep_token_id
    assert e.ids[e.first - 1] == tok.sep_token_id and e.ids[e.last] == tok.sep_token_id
    assert e.types[: e.first] == [0] * e.first and set(e.types[e.first :]) == {1}
    words = [sentence[a:b] for a, b in e.offsets]
    assert words[0] == "The" and "36" in words
    assert len(e.offsets) == e.last - e.first


def test_context_is_cut_to_its_budget(tok) -> None:
    long_before = " ".join(["word"] * 200)
    (e,) = R.encode(tok, "q?", [R.Item("A sentence.", "A very long title " * 10, long_before)])
    assert len(e.ids) - e.last - 2 <= R.C_MAX


def test_best_span_is_widened_to_whole_words(tok) -> None:
    sentence = "It cost 40,000 pounds in 1843."
    (e,) = R.encode(tok, "how much?", [R.Item(sentence)])
    n = len(e.ids)
    start, end = np.full(n, -10.0), np.full(n, -10.0)
    k = next(i for i, (a, _) in enumerate(e.offsets) if sentence[a:].startswith("40"))
    j = next(i for i, (a, _) in enumerate(e.offsets) if sentence[a:].startswith("pounds"))
    start[e.first + k], end[e.first + j] = 10.0, 10.0
    span, p = R.best_span(sentence, e, start, end)
    assert span is not None and sentence[span[0] : span[1]] == "40,000 pounds"
    assert p > 0.9


def test_a_span_never_ends_before_it_starts(tok) -> None:
    sentence = "One two three four five."
    (e,) = R.encode(tok, "q?", [R.Item(sentence)])
    n = len(e.ids)
    start, end = np.zeros(n), np.zeros(n)
    start[e.last - 1], end[e.first] = 10.0, 10.0  # the best start lies after the best end
    span, _ = R.best_span(sentence, e, start, end)
    assert span is not None and span[0] < span[1]


def test_a_missing_model_says_how_to_retrain(tmp_path) -> None:
    r = R.Reader(tmp_path / "reader.safetensors")
    with pytest.raises(AssistantError) as e:
        r.model  # noqa: B018
    assert "missing" in e.value.message and "train-reader" in e.value.help


def test_an_altered_model_is_refused(tmp_path) -> None:
    path = tmp_path / "reader.safetensors"
    path.write_bytes(b"not the weights")
    path.with_suffix(".json").write_text(json.dumps({"sha256": "0" * 64, "threshold": 0.5}))
    with pytest.raises(AssistantError) as e:
        R.Reader(path).model  # noqa: B018
    assert "corrupt" in e.value.message and "train-reader" in e.value.help
