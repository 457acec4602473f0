"""Helpers for tests and benchmarks of code built on the assistant: a deterministic fake
embedder (no model to load) and starting real server processes."""

from __future__ import annotations

import hashlib
import re
import socket
import subprocess
import time
import urllib.request
from collections.abc import Sequence

import numpy as np

from assistant.text import terms


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


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url: str, proc: subprocess.Popen, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{proc.args} exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status < 500:
                    return
        except OSError:
            time.sleep(0.3)
    raise TimeoutError(f"{url} not ready after {timeout}s")


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
