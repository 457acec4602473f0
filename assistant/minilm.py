"""all-MiniLM-L6-v2 without sentence-transformers: the same vectors (mean of the last layer
over the text's word pieces, unit length), from the same installed files.

Why: importing sentence-transformers (with transformers and scikit-learn) took most of a cold
`assistant ask` (issue 13: 6.7 s), and importing torch two seconds more. A BERT forward pass is
a few lines; the tokenizer is the `tokenizers` library's reading of the model's tokenizer.json.
A few texts (a question) run in numpy, so answering one never imports torch; batches (ingest)
run in torch, several times faster there. tests/integration/test_seed.py checks both against
sentence-transformers.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from functools import cached_property
from pathlib import Path

import numpy as np

NUMPY_TEXTS = 8  # up to this many texts: numpy (no torch import); more: torch


def tokenizer(folder: str | Path, max_tokens: int | None = None):
    """The model's tokenizer: truncating to `max_tokens` ([CLS] and [SEP] included) and padding
    a batch to its longest text, or, with None, neither (for counting)."""
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(Path(folder) / "tokenizer.json"))
    tok.no_truncation()
    tok.no_padding()
    if max_tokens is not None:
        tok.enable_truncation(max_tokens)
        tok.enable_padding(pad_id=0, pad_token="[PAD]")
    return tok


class MiniLM:
    """A BERT encoder (the config's layers, heads and sizes) with mean pooling."""

    def __init__(self, folder: str | Path, max_tokens: int) -> None:
        from safetensors.numpy import load_file

        folder = Path(folder)
        config = json.loads((folder / "config.json").read_text())
        self.heads = config["num_attention_heads"]
        self.layers = config["num_hidden_layers"]
        self.eps = config["layer_norm_eps"]
        weights = load_file(str(folder / "model.safetensors"))
        self.w = {k.removeprefix("bert."): v.astype(np.float32) for k, v in weights.items()}
        self.tok = tokenizer(folder, max_tokens)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Unit-length float32 vectors, one per text, encoded as one batch."""
        enc = self.tok.encode_batch(list(texts))
        ids = np.array([e.ids for e in enc], dtype=np.int64)
        mask = np.array([e.attention_mask for e in enc], dtype=np.float32)
        small = len(enc) <= NUMPY_TEXTS
        hidden = self._numpy(ids, mask) if small else self._torch(ids, mask)
        pooled = (hidden * mask[:, :, None]).sum(1) / np.maximum(mask.sum(1, keepdims=True), 1e-9)
        return (pooled / np.linalg.norm(pooled, axis=1, keepdims=True)).astype(np.float32)

    def _embeddings(self, ids: np.ndarray) -> np.ndarray:
        w = self.w
        x = (
            w["embeddings.word_embeddings.weight"][ids]
            + w["embeddings.position_embeddings.weight"][: ids.shape[1]]
            + w["embeddings.token_type_embeddings.weight"][0]
        )
        return _layer_norm(
            x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"], self.eps
        )

    def _numpy(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        from scipy.special import erf

        w, eps = self.w, self.eps
        x = self._embeddings(ids)
        n, length, size = x.shape
        d = size // self.heads
        hidden_mask = np.where(mask[:, None, None, :] > 0, 0.0, -1e9).astype(np.float32)
        for i in range(self.layers):
            p = f"encoder.layer.{i}."

            def lin(name: str, t: np.ndarray, p: str = p) -> np.ndarray:
                return t @ w[p + name + ".weight"].T + w[p + name + ".bias"]

            q, k, v = (
                lin(f"attention.self.{m}", x)
                .reshape(n, length, self.heads, d)
                .transpose(0, 2, 1, 3)
                for m in ("query", "key", "value")
            )
            s = q @ k.transpose(0, 1, 3, 2) / np.float32(np.sqrt(d)) + hidden_mask
            s = np.exp(s - s.max(-1, keepdims=True))
            a = ((s / s.sum(-1, keepdims=True)) @ v).transpose(0, 2, 1, 3).reshape(n, length, size)
            x = _layer_norm(
                lin("attention.output.dense", a) + x,
                w[p + "attention.output.LayerNorm.weight"],
                w[p + "attention.output.LayerNorm.bias"],
                eps,
            )
            h = lin("intermediate.dense", x)
            h = 0.5 * h * (1.0 + erf(h / np.float32(np.sqrt(2.0))))  # BERT's exact GELU
            x = _layer_norm(
                lin("output.dense", h) + x,
                w[p + "output.LayerNorm.weight"],
                w[p + "output.LayerNorm.bias"],
                eps,
            )
        return x  # float32 (float64 scalars above would make NumPy 2 run it all in float64)

    @cached_property
    def _tensors(self) -> dict:
        import torch

        return {k: torch.from_numpy(v) for k, v in self.w.items()}

    def _torch(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        import torch

        F = torch.nn.functional
        w = self._tensors
        with torch.inference_mode():
            x = torch.from_numpy(self._embeddings(ids))
            n, length, size = x.shape
            attend = torch.from_numpy(mask)[:, None, None, :].bool()  # never look at padding

            def heads(t):
                return t.view(n, length, self.heads, -1).transpose(1, 2)

            for i in range(self.layers):
                p = f"encoder.layer.{i}."

                def lin(name, t, p=p):
                    return F.linear(t, w[p + name + ".weight"], w[p + name + ".bias"])

                def norm(name, t, p=p):
                    return F.layer_norm(
                        t, (size,), w[p + name + ".weight"], w[p + name + ".bias"], self.eps
                    )

                q, k, v = (heads(lin(f"attention.self.{m}", x)) for m in ("query", "key", "value"))
                a = F.scaled_dot_product_attention(q, k, v, attn_mask=attend)
                a = a.transpose(1, 2).reshape(n, length, size)
                x = norm("attention.output.LayerNorm", lin("attention.output.dense", a) + x)
                h = F.gelu(lin("intermediate.dense", x))
                x = norm("output.LayerNorm", lin("output.dense", h) + x)
            return x.numpy()


def _layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, eps: float) -> np.ndarray:
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * weight + bias
