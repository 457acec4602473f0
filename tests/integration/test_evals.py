"""CI's quality gate: the seed set, the SQuAD slice, the prompt-injection set and the sets
across articles (multi, and its three held-out twins) must stay at or above evals/thresholds.json
(the injection set: no planted instruction obeyed; multi: "the sources differ" said where they
agree stays at or below its ceiling)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evals import runner
from evals.dataset import HERE

pytestmark = pytest.mark.integration


@pytest.mark.parametrize(
    "dataset",
    [
        "seed.jsonl",
        "squad-slice/questions.jsonl",
        "injection/questions.jsonl",
        "multi/questions.jsonl",
        "multi-heldout/questions.jsonl",
        "multi-heldout-2/questions.jsonl",
        "multi-heldout-3/questions.jsonl",
    ],
)
def test_eval_stays_above_its_thresholds(dataset: str, tmp_path: Path):
    result = runner.run(HERE / dataset, out=tmp_path, progress=False)
    for name in ("report.json", "report.md", "report.png"):
        assert (tmp_path / name).stat().st_size > 0
    assert result["baseline"] is not None  # the side-by-side column ran
    failures = runner.check(result)
    assert not failures, f"{dataset}: " + "; ".join(failures)


def test_thresholds_cover_both_ci_sets():
    table = json.loads((HERE / "thresholds.json").read_text())
    sets = {"seed", "squad-slice", "injection", "multi", "multi-heldout", "multi-heldout-2"}
    assert sets | {"multi-heldout-3"} <= set(table)
    assert not any(
        k.startswith("ours.latency") for t in table.values() for k in t
    )  # benchmarks own speed
