"""Load on a real server on loopback, CI size: 8 clients for 10 s, then a burst past the queue
(the full run: 32 clients for 60 s with the real model, a burst of 200)."""

from __future__ import annotations

from pathlib import Path

from benchmarks.drills import load_drill


def test_the_server_holds_load_and_refuses_a_burst_with_503_busy_only(tmp_path: Path):
    result = load_drill(tmp_path, clients=8, seconds=10, burst=40, queue_size=8)
    assert result["problems"] == []
    assert result["latency"]["n"] > 20
    assert set(result["burst_statuses"]) == {"200", "503"}
