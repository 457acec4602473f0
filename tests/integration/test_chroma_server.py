"""Server mode against a real Chroma server (`chroma run`) on loopback."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from assistant import Assistant, AssistantError, Settings
from tests.conftest import SEEDS
from tests.integration.helpers import BIN, free_port, stop, wait_http

pytestmark = pytest.mark.integration


@pytest.fixture
def chroma_url(tmp_path: Path):
    chroma = BIN / "chroma"
    if not chroma.exists():
        chroma = Path(shutil.which("chroma") or "chroma")
    port = free_port()
    proc = subprocess.Popen(
        [
            str(chroma),
            "run",
            "--path",
            str(tmp_path / "chroma"),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_http(f"http://127.0.0.1:{port}/api/v2/heartbeat", proc, timeout=60)
        yield f"http://127.0.0.1:{port}"
    finally:
        stop(proc)


def test_the_same_code_runs_against_a_chroma_server(chroma_url: str, real_embedder, tmp_path: Path):
    settings = Settings(chroma_url=chroma_url, index_dir=tmp_path / "unused")
    a = Assistant(settings=settings, embedder=real_embedder)
    assert a.ingest([SEEDS]).count("added") == 1
    status = a.status()
    assert status["store"] == "server" and status["articles"] == 1
    assert not (tmp_path / "unused").exists()

    answer = a.ask("how many vehicles were destroyed?")
    assert answer.short_answer == "36 vehicles"
    c = answer.citations[0]
    assert a.article(c.article_id).text[c.start : c.end] == c.quote

    # a second client (another replica) sees the same index, and re-ingest is a no-op
    b = Assistant(settings=settings, embedder=real_embedder)
    assert b.ask("who claimed the SDF deal?").short_answer == "Russian sources"
    assert b.ingest([SEEDS]).count("unchanged") == 1


def test_an_unreachable_server_is_a_clear_error(real_embedder):
    settings = Settings(chroma_url=f"http://127.0.0.1:{free_port()}")
    with pytest.raises(AssistantError) as e:
        Assistant(settings=settings, embedder=real_embedder)
    assert e.value.status == 503 and "Chroma server" in e.value.message
