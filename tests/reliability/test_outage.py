"""A real Chroma server (`chroma run`) stopped mid-session and started again."""

from __future__ import annotations

from pathlib import Path

from benchmarks.drills import outage_drill


def test_store_outage_is_a_clear_503_ingest_writes_nothing_partial_and_both_recover(
    tmp_path: Path,
):
    result = outage_drill(tmp_path, articles=30, writers=2)
    assert result["problems"] == []
    assert result["http_status_while_down"] == 503
    assert result["mid_ingest"]["failed"] > 0
    assert result["concurrent_writers"]["questions_meanwhile"] > 0
