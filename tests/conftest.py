"""Shared fixtures: an index in a temp dir, a deterministic fake embedder, the real one."""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from assistant.config import REPO_ROOT, Settings
from assistant.retrieve import terms

os.environ.setdefault("HF_HUB_OFFLINE", "1")
SEEDS = REPO_ROOT / "seeds"


class FakeEmbedder:
    """Hashed bag of stemmed words and word pairs: deterministic, fast, and texts that share
    words get similar vectors, so ranking logic can be tested without the model."""

    name = "fake-hashed-words"
    dim = 384
    max_tokens = 256

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        # additive over whitespace-separated words, like WordPiece
        return [len(re.findall(r"\w+|[^\w\s]", t)) for t in texts]

    def embed(self, texts: Sequence[str], progress: bool = False) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            words = terms(text)
            for feature in words + [f"{a} {b}" for a, b in zip(words, words[1:])]:
                h = int.from_bytes(hashlib.blake2b(feature.encode(), digest_size=8).digest(), "big")
                out[i, h % self.dim] += 1.0 if (h >> 32) & 1 else -1.0
            norm = np.linalg.norm(out[i])
            out[i] = out[i] / norm if norm else out[i]
        return out


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
