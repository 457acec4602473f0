"""The benchmark command keeps working: a tiny run writes a sane report. It never asserts speed.

It runs on the built-in seed stories plus generated articles (`--no-bbc`), so it needs nothing
outside the repository and behaves the same with or without ../shared/corpora (a fresh clone).
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

from assistant.config import REPO_ROOT
from benchmarks import corpus
from benchmarks.seed import SEED_STORIES

pytestmark = pytest.mark.integration


def test_a_tiny_benchmark_run_writes_a_sane_report(tmp_path: Path):
    out = tmp_path / "report"
    cmd = [
        sys.executable,
        "-m",
        "benchmarks.run",
        "--sizes",
        "24",
        "--questions",
        "4",
        "--repeats",
        "1",
        "--peer-files",
        "4",
        "--no-cold-start",
        "--no-bbc",
        "--out",
        str(out),
        "--work",
        str(tmp_path),
        "--corpus-cache",
        str(tmp_path / "corpus"),
    ]
    proc = subprocess.run(cmd, cwd=REPO_ROOT, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert "| 24 |" in proc.stdout  # the figures are printed

    assert (out / "report.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "## Ingest" in (out / "report.md").read_text()
    report = json.loads((out / "report.json").read_text())
    assert report["errors"] == []
    (size,) = report["sizes"]
    assert (size["files"], size["originals"], size["generated"]) == (24, 9, 15)

    ingest = size["ingest"]
    assert ingest["failed"] == 0 and 1 <= ingest["articles"] <= 24
    assert ingest["chunks"] >= ingest["articles"]
    assert ingest["texts_embedded"] > ingest["chunks"]  # chunks and their sentences
    for key in (
        "ingest_s",
        "articles_per_s",
        "ceiling_articles_per_s",
        "ratio_to_ceiling",
        "ratio_to_once",
    ):
        assert ingest[key] > 0 and math.isfinite(ingest[key]), key
    assert 0 < ingest["embed_share"] <= 1
    assert ingest["reingest_added"] == 0
    assert ingest["peak_rss_mb"] >= ingest["rss_before_mb"] > 50

    for mode in ("query_embedded", "query_server"):
        q = size[mode]
        assert q["chunks"] == ingest["chunks"]
        for what in ("ask", "search", "embed_search"):
            assert q[what]["n"] == 4
            assert 0 < q[what]["p50_ms"] <= q[what]["p95_ms"] <= q[what]["max_ms"]
    assert size["query_server"]["mode"] == "server"

    peer = size["peer"]
    assert peer["files"] == 4 and peer["nodes"] >= 4 and peer["retrieve"]["n"] == 4
    assert size["peer_ratios"]["ingest_time_per_file"] > 0


def test_generated_articles_are_new_and_written_one_by_one(tmp_path: Path):
    source = corpus.open_source(None, tmp_path)  # the built-in seed, as without the corpus
    assert source.name == "seed" and len(source.files) == sum(map(len, SEED_STORIES.values()))
    c = corpus.resolve("40", source, tmp_path)
    assert (c.originals, c.generated, len(c.files)) == (9, 31, 40)

    originals = {f.read_text() for f in c.files[: c.originals]}
    generated = [f.read_text() for f in c.files[c.originals :]]
    assert len(set(generated)) == len(generated) and not originals & set(generated)
    for text in generated:
        title, blank, *body = text.split("\n")
        assert title and blank == "" and len([p for p in body if p]) >= 3

    # deterministic and cached: asking for more keeps the first ones as they were
    first = [f.read_text() for f in c.files]
    more = corpus.resolve("50", source, tmp_path)
    assert len(more.files) == 50 and [f.read_text() for f in more.files[:40]] == first
