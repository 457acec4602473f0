"""Shared fixtures: an index in a temp dir, a deterministic fake embedder, the real one."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from assistant.config import REPO_ROOT, Settings
from assistant.testing import FakeEmbedder

os.environ.setdefault("HF_HUB_OFFLINE", "1")
SEEDS = REPO_ROOT / "seeds"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(index_dir=tmp_path / "index", collection=f"t{os.getpid()}")


@pytest.fixture
def fake_assistant(settings: Settings):
    from assistant import Assistant

    return Assistant(settings=settings, embedder=FakeEmbedder())


@pytest.fixture(scope="session")
def real_embedder():
    from assistant.embedder import Embedder

    return Embedder()


@pytest.fixture(scope="session")
def seeded(tmp_path_factory: pytest.TempPathFactory, real_embedder):
    """The real assistant (real embedder, embedded Chroma) with the seed articles ingested."""
    from assistant import Assistant

    index = tmp_path_factory.mktemp("seeded") / "index"
    a = Assistant(settings=Settings(index_dir=index), embedder=real_embedder)
    report = a.ingest([SEEDS])
    assert report.ok and report.count("added") >= 1
    return a
