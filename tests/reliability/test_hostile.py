"""Hostile input, CI size: one copy of every kind of bad file (the full run writes four)."""

from __future__ import annotations

from pathlib import Path

from benchmarks.drills import hostile_drill


def test_every_hostile_file_is_refused_clearly_or_ingested_and_the_rest_lands(tmp_path: Path):
    result = hostile_drill(tmp_path, copies=1, timeout=300, max_rss_mb=450)
    assert result["problems"] == []
    assert result["files"] >= 70 and result["outcomes"]["refused"] >= 35
