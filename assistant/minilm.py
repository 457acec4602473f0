"""all-MiniLM-L6-v2 in plain torch: the same vectors as sentence-transformers (mean of the last
layer over the text's word pieces, unit length), from the same installed files.

Why not sentence-transformers itself: importing it (with transformers and scikit-learn) took
most of a cold `assistant ask` (issue 13: 6.7 s). A BERT forward pass is a few lines of torch,
the tokenizer is the `tokenizers` library's reading of the model's own tokenizer.json, and
tests/integration/test_seed.py checks the vectors against sentence-transformers'.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np


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
        import torch
        from safetensors.torch import load_file

        folder = Path(folder)
        config = json.loads((folder / "config.json").read_text())
        self.heads = config["num_attention_heads"]
        self.layers = config["num_hidden_layers"]
        self.eps = config["layer_norm_eps"]
        self.w = load_file(str(folder / "model.safetensors"))
        self.w = {k.removeprefix("bert."): v.float() for k, v in self.w.items()}
        self.tok = tokenizer(folder, max_tokens)
        self.torch = torch

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Unit-length float32 vectors, one per text, encoded as one batch."""
        torch = self.torch
        enc = self.tok.encode_batch(list(texts))
        ids = torch.tensor([e.ids for e in enc], dtype=torch.long)
        mask = torch.tensor([e.attention_mask for e in enc], dtype=torch.float32)
        with torch.inference_mode():
            hidden = self._forward(ids, mask)
            pooled = (hidden * mask[:, :, None]).sum(1) / mask.sum(1, keepdim=True).clamp(min=1e-9)
            return torch.nn.functional.normalize(pooled, dim=-1).numpy()

    def _forward(self, ids, mask):
        F = self.torch.nn.functional
        w = self.w
        n, length = ids.shape
        size = w["embeddings.word_embeddings.weight"].shape[1]
        x = (
            w["embeddings.word_embeddings.weight"][ids]
            + w["embeddings.position_embeddings.weight"][:length]
            + w["embeddings.token_type_embeddings.weight"][0]
        )
        x = F.layer_norm(
            x, (size,), w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"], self.eps
        )
        attend = mask[:, None, None, :].bool()  # no word piece looks at padding

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
        return x
