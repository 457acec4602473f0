"""Two processes on one embedded index, and questions asked while ingest runs."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant import Assistant, AssistantError, Settings
from benchmarks.drills import concurrency_drill, lock_drill
from tests.conftest import FakeEmbedder


def test_a_second_process_gets_a_clear_error_and_racing_ingests_stay_whole(tmp_path: Path):
    result = lock_drill(tmp_path, articles=24)
    assert result["problems"] == []
    assert sorted(result["racing_ingests"]) in (["ingested", "refused"], ["ingested", "ingested"])


def test_questions_during_ingest_see_only_committed_articles(tmp_path: Path):
    result = concurrency_drill(tmp_path, articles=40, askers=2)
    assert result["problems"] == []
    assert result["questions_during_ingest"] >= 5 and result["errors"] == 0


def test_one_process_may_open_its_index_twice_and_closing_frees_it(tmp_path: Path):
    settings = Settings(index_dir=tmp_path / "index")
    a = Assistant(settings=settings, embedder=FakeEmbedder())
    b = Assistant(settings=settings, embedder=FakeEmbedder())  # same process: shared
    a.store.close()
    b.store.close()
    b.store.close()  # closing twice is harmless
    assert (tmp_path / "index" / "assistant.lock").exists()


def test_an_unwritable_index_folder_is_a_clear_error(tmp_path: Path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(AssistantError) as e:
        Assistant(settings=Settings(index_dir=blocker / "index"), embedder=FakeEmbedder())
    assert e.value.status == 503 and "store unavailable" in e.value.message
