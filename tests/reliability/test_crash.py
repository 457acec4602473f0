"""Crash safety, CI size: SIGKILL ingest processes at chosen writes and after random delays
(benchmarks/drills.py holds the drill; `python -m benchmarks.drills --full` runs it at 240
articles and 24 kills)."""

from __future__ import annotations

from pathlib import Path

from benchmarks.drills import crash_drill


def test_killed_ingests_leave_whole_articles_and_a_rerun_restores_the_clean_index(tmp_path: Path):
    result = crash_drill(tmp_path, articles=24, kills=4, seed=0)
    assert result["problems"] == []
    assert result["kills"] == 4
    assert result["answers_equal"] == "8/8"
