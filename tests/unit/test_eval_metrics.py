from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant import AssistantError
from evals import dataset as ds
from evals.metrics import contains_gold, exact_match, normalize, percentile, token_f1
from evals.runner import Record, check, summarize, tradeoff


def test_squad_normalisation_and_scores():
    assert normalize("The  U.S. Army!") == "us army"
    assert exact_match("the Rhine", ["Rhine"]) == 1.0
    assert contains_gold("in October 1973", ["October 1973"])
    assert not contains_gold("Oct. 1973", ["October 1973"])
    assert not contains_gold("36 vehicles", ["6 vehicles"])  # token boundaries
    assert token_f1("Oct. 1973", ["October 1973"]) == 0.5
    assert token_f1("anything", []) == 0.0 and not contains_gold("x", [""])


def test_percentile_is_nearest_rank():
    assert percentile([], 50) == 0.0
    assert percentile([5, 1, 3], 50) == 3
    assert percentile(list(range(1, 101)), 95) == 95


def rec(
    answerable: bool,
    scored: str,
    support: float,
    golds=("36",),
    short=None,
    quotes=None,
    retrieved=True,
    abstained=False,
) -> Record:
    return Record(
        id="x",
        question="q",
        kind="count",
        answerable=answerable,
        golds=list(golds) if answerable else [],
        short=short,
        scored=scored,
        quotes=[scored] if quotes is None else quotes,
        support=support,
        seconds=0.01,
        gold_retrieved=retrieved,
        abstained=abstained,
    )


def test_summary_counts_abstentions_and_citations():
    records = [
        rec(True, "36 vehicles", 0.9, short="36 vehicles"),
        rec(True, "no number here", 0.5),
        rec(True, "36", 0.2, abstained=True, retrieved=False),
        rec(False, "whatever", 0.1, abstained=True),
        rec(False, "whatever", 0.6),
    ]
    m = summarize(records)
    assert m["answer_accuracy"] == round(1 / 3, 4)
    assert m["answer_accuracy_no_abstention"] == round(2 / 3, 4)
    assert m["citation_precision"] == 0.5  # two answered, one quote holds the gold
    assert m["retrieval_recall@5"] == round(2 / 3, 4)
    assert m["abstention_recall"] == 0.5
    assert m["abstention_precision"] == 0.5
    assert m["false_abstention_rate"] == round(1 / 3, 4)
    assert m["scored_on_short_answer"] == 0.5 and m["short_answer_accuracy"] == 1.0


def test_tradeoff_moves_answers_to_abstentions_as_the_threshold_rises():
    records = [rec(True, "36", 0.8), rec(True, "36", 0.3), rec(False, "x", 0.2)]
    rows = {r["threshold"]: r for r in tradeoff(records)}
    assert rows[0.0]["answer_accuracy"] == 1.0 and rows[0.0]["abstention_recall"] == 0.0
    assert rows[0.25]["answer_accuracy"] == 1.0 and rows[0.25]["abstention_recall"] == 1.0
    assert rows[0.5]["answer_accuracy"] == 0.5


def test_check_compares_with_the_kept_thresholds(tmp_path: Path):
    path = tmp_path / "t.json"
    path.write_text(json.dumps({"s": {"ours.answer_accuracy": 0.8, "ours.latency_ms_p50": 100}}))
    good = {"name": "s", "ours": {"answer_accuracy": 0.81, "latency_ms_p50": 50}}
    bad = {"name": "s", "ours": {"answer_accuracy": 0.7, "latency_ms_p50": 150}}
    assert check(good, path=path) == []
    assert len(check(bad, path=path)) == 2
    with pytest.raises(AssistantError):
        check({"name": "unknown", "ours": {}}, path=path)
    path.write_text(json.dumps({"s": {"margin.answer_accuracy": 0.1}}))
    ahead = {"name": "s", "ours": {"answer_accuracy": 0.8}, "baseline": {"answer_accuracy": 0.6}}
    close = {"name": "s", "ours": {"answer_accuracy": 0.65}, "baseline": {"answer_accuracy": 0.6}}
    assert check(ahead, path=path) == [] and len(check(close, path=path)) == 1
    assert len(check({"name": "s", "ours": {"answer_accuracy": 0.8}}, path=path)) == 1
    path.write_text(json.dumps({"s": {"ours.false_differ_rate": 0.05}}))  # a ceiling
    assert check({"name": "s", "ours": {"false_differ_rate": 0.0}}, path=path) == []
    assert len(check({"name": "s", "ours": {"false_differ_rate": 0.1}}, path=path)) == 1


def test_datasets_load_and_name_their_articles(tmp_path: Path):
    seed = ds.load(ds.HERE / "seed.jsonl")
    assert len(seed) >= 25 and sum(not i.answerable for i in seed) >= 5
    assert all(i.answers for i in seed if i.answerable)
    assert ds.default_articles(ds.HERE / "seed.jsonl") == ds.HERE.parent / "seeds"
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"question": "no id"}\n')
    with pytest.raises(AssistantError):
        ds.load(bad)


# -- answers across articles (evals/across.py) ---------------------------------------------------
def _answer(claims=(), timeline=(), agreement=None, quotes=()):
    from assistant.types import Answer, Citation

    citations = [
        Citation(n, aid, "T", None, None, quote, 0, len(quote))
        for n, (aid, quote) in enumerate(quotes, 1)
    ]
    return Answer(
        "q",
        "a",
        None,
        False,
        citations,
        agreement=agreement,
        claims=list(claims),
        timeline=list(timeline),
        layout="timeline" if timeline else "claims" if claims else None,
    )


def _claim(value, n, aid, group):
    from assistant.types import Claim

    return Claim(value, (n,), aid, "T", None, None, group=group)


def test_a_conflict_counts_only_with_every_value_cited_from_its_article_and_differ_said():
    from evals.across import judge, summarize

    line = {
        "type": "conflict",
        "values": [{"value": ["80"], "article": "a"}, {"value": ["60"], "article": "b"}],
    }
    stems = {"A": "a", "B": "b"}
    quotes = [("A", "killing 80 militants"), ("B", "killing 60 militants")]
    claims = [_claim("80", 1, "A", 0), _claim("60", 2, "B", 1)]
    assert judge(line, _answer(claims, agreement="differ", quotes=quotes), stems)["ok"]
    assert not judge(line, _answer(claims, agreement="agree", quotes=quotes), stems)["ok"]
    swapped = [("A", "killing 60 militants"), ("B", "killing 80 militants")]  # wrong article
    assert not judge(line, _answer(claims, agreement="differ", quotes=swapped), stems)["ok"]
    agree = {"type": "agree", "values": [{"value": ["80"], "article": "a"}]}
    outcomes = [
        judge(agree, _answer(claims, agreement="differ", quotes=quotes), stems),
        judge({"type": "single"}, _answer(quotes=quotes), stems),
    ]
    assert summarize(outcomes)["false_differ_rate"] == 0.5


def test_a_timeline_counts_only_with_every_event_dated_and_in_order():
    from assistant.types import Event
    from evals.across import judge

    line = {
        "type": "timeline",
        "events": [
            {"date": "2017-05-25", "text": ["on may 25"], "article": "a"},
            {"date": "2017-05-29", "text": ["on monday"], "article": "a"},
        ],
    }
    quotes = [("A", "On May 25, jets struck."), ("A", "Jets struck on Monday.")]

    def row(date, n):
        return Event(date, "", None, "", (n,), "A", "T", None, None)

    ok = _answer(timeline=[row("2017-05-25", 1), row("2017-05-29", 2)], quotes=quotes)
    assert judge(line, ok, {"A": "a"})["ok"]
    backwards = _answer(timeline=[row("2017-05-29", 2), row("2017-05-25", 1)], quotes=quotes)
    assert not judge(line, backwards, {"A": "a"})["ok"]
    vague = _answer(timeline=[row("2017-05", 1), row("2017-05-29", 2)], quotes=quotes)
    assert not judge(line, vague, {"A": "a"})["ok"]  # less precise than the gold
