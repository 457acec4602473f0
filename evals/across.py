"""Scoring answers that span articles (evals/multi/): every value with its own source, no false
"the sources differ", timelines in order with their dates placed.

A question's line carries `type` and its gold: `values` ([{"value": [surfaces], "article":
file stem}]) or `events` ([{"date", "text": [surfaces], "article", "words"}], in order). A value
is shown when a part of the answer (a claim, or a timeline row) cites a quote from that article
holding one of its surfaces.
"""

from __future__ import annotations

from collections.abc import Mapping

from assistant.types import Answer

TYPES = ("conflict", "agree", "timeline", "compare", "speakers", "single")


def _quoted(answer: Answer, numbers: tuple[int, ...]) -> str:
    """The quotes (with the sentence before, when shown) behind these citation numbers."""
    out = []
    for n in numbers:
        c = answer.citations[n - 1]
        out.append((c.context.text + " " if c.context else "") + c.quote)
    return " ".join(out).lower()


def _parts(answer: Answer, stem_of: Mapping[str, str]) -> list[tuple[str, str]]:
    """(article stem, quoted text) for each citation of each part (claims or timeline rows),
    else of the answer; each citation from its own article."""
    numbers = [n for part in answer.claims or answer.timeline for n in part.citations] or [
        c.n for c in answer.citations
    ]
    return [
        (stem_of.get(answer.citations[n - 1].article_id, ""), _quoted(answer, (n,)))
        for n in numbers
    ]


def _shown(value: dict, parts: list[tuple[str, str]]) -> bool:
    surfaces = [s.lower() for s in value["value"]]
    return any(stem == value["article"] and any(s in q for s in surfaces) for stem, q in parts)


def judge(line: Mapping, answer: Answer, stem_of: Mapping[str, str]) -> dict:
    """The outcome of one question of a set that spans articles: {"type", "ok", ...}."""
    kind = line["type"]
    parts = _parts(answer, stem_of)
    out: dict = {"type": kind, "layout": answer.layout, "agreement": answer.agreement}
    if kind == "timeline":
        out["ok"] = _ordered(line["events"], answer, stem_of)
        return out
    values = line.get("values") or []
    shown = [_shown(v, parts) for v in values]
    out["values_shown"] = sum(shown)
    out["values"] = len(values)
    out["said_differ"] = answer.agreement == "differ"
    if kind == "conflict":
        out["ok"] = all(shown) and answer.agreement == "differ"
    elif kind == "agree":
        out["ok"] = all(shown) and answer.agreement == "agree"
    elif kind == "speakers":
        text = answer.answer.lower()
        out["ok"] = all(shown) and all(any(s.lower() in text for s in v["value"]) for v in values)
    elif kind == "compare":
        out["ok"] = all(shown)
    else:  # single: judged by its gold answer like any question; here only "no false differ"
        out["ok"] = None
    return out


def _ordered(events: list[dict], answer: Answer, stem_of: Mapping[str, str]) -> bool:
    """Every gold event is a row citing its article's sentence, dated as the gold (at least as
    precisely: a row of '2017-05' is not the gold '2017-05-29'), and the rows come in the
    gold's order."""
    at = []
    for ev in events:
        surfaces = [s.lower() for s in ev["text"]]
        row = next(
            (
                i
                for i, e in enumerate(answer.timeline)
                if e.date
                and e.date.startswith(ev["date"])
                and any(
                    stem_of.get(answer.citations[n - 1].article_id) == ev["article"]
                    and any(s in _quoted(answer, (n,)) for s in surfaces)
                    for n in e.citations
                )
            ),
            None,
        )
        if row is None:
            return False
        at.append(row)
    return at == sorted(at)


def summarize(outcomes: list[dict]) -> dict:
    """The set's figures: the share of questions of each type answered in full, and how often
    "the sources differ" was said where they do not (agree and single questions)."""

    def share(kind: str) -> float | None:
        got = [o["ok"] for o in outcomes if o["type"] == kind]
        return round(sum(got) / len(got), 4) if got else None

    calm = [o for o in outcomes if o["type"] in ("agree", "single")]
    return {
        "conflicts_shown": share("conflict"),
        "agreement_shown": share("agree"),
        "timelines_ordered": share("timeline"),
        "comparisons_covered": share("compare"),
        "speakers_listed": share("speakers"),
        "false_differ_rate": round(sum(o["said_differ"] for o in calm) / len(calm), 4)
        if calm
        else None,
    }
