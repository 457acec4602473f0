"""The learned reader: all-MiniLM-L6-v2 fine-tuned on SQuAD questions (`assistant
train-reader`). It reads a question with one candidate sentence, the article's title and the
sentence before it, and gives three things at once: a score that ranks candidates, the
probability that the sentence answers the question, and where in the sentence the answer is.

The weights ship in the package (`assistant/models/reader.safetensors`, fp16, checked against
the sha256 in `reader.json`); the tokenizer and architecture are the embedder's own package's.
"""

from __future__ import annotations

import hashlib
import json
import math
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np

from assistant.embedder import model_path
from assistant.errors import AssistantError

BASE = "all-MiniLM-L6-v2"  # the weights the reader is fine-tuned from (the embedder's)
MODELS_DIR = Path(__file__).resolve().parent.parent / "models"
WEIGHTS = MODELS_DIR / "reader.safetensors"
RETRAIN = (
    "retrain it with `assistant train-reader --out assistant/models/reader.safetensors` "
    "(see assistant/models/READER.md), or reinstall the package"
)
Q_MAX, S_MAX, C_MAX, TITLE_MAX = 32, 96, 24, 8  # word pieces: question, sentence, context
SPAN_MAX = 30  # longest short answer, in word pieces


@dataclass(frozen=True)
class Item:
    """One candidate as the reader sees it."""

    sentence: str
    title: str = ""
    before: str = ""  # the sentence before it in the article ("" when none)


@dataclass(frozen=True)
class Reading:
    score: float  # the answer logit: ranks candidates
    prob: float  # probability that the sentence answers the question
    span: tuple[int, int] | None  # the answer's character offsets in the sentence
    span_prob: float  # how sure the reader is of that span


@dataclass(frozen=True)
class Encoded:
    ids: list[int]
    types: list[int]
    first: int  # the sentence's first and one-past-last token positions in ids
    last: int
    offsets: list[tuple[int, int]]  # character offsets of the sentence's tokens


def base_path() -> str:
    """The embedder package's folder: its config and tokenizer are the reader's too."""
    return model_path(BASE)


def tokenizer():
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(base_path())


def network(layers: int = 6):
    """The lowest `layers` layers of MiniLM-L6 with one linear layer on top: per token, answer
    start and end; over all tokens (mean), whether the sentence answers."""
    import torch
    from transformers import BertConfig, BertModel

    class Net(torch.nn.Module):
        def __init__(self, config) -> None:
            super().__init__()
            self.bert = BertModel(config, add_pooling_layer=False)
            self.heads = torch.nn.Linear(config.hidden_size, 3)

        def forward(self, ids, mask, types):
            hidden = self.bert(input_ids=ids, attention_mask=mask, token_type_ids=types)[0]
            out = self.heads(hidden)
            # whether it answers: the mean over the tokens, as the embedder pools (its [CLS]
            # state barely varies between inputs, and a head on it learned nothing)
            m = mask.to(out.dtype)
            answer = (out[..., 2] * m).sum(1) / m.sum(1)
            return answer, out[..., 0], out[..., 1]  # answer, start, end logits

    return Net(BertConfig.from_pretrained(base_path(), num_hidden_layers=layers))


def encode(tok, question: str, items: Sequence[Item]) -> list[Encoded]:
    """[CLS] question [SEP] sentence [SEP] title : before [SEP], the question as segment 0.
    The sentence comes first after the question so the answer span is always read whole; the
    context is cut to its title and the end of the sentence before."""
    if not items:
        return []
    q = tok(question, add_special_tokens=False)["input_ids"][:Q_MAX]
    sent = tok([i.sentence for i in items], add_special_tokens=False, return_offsets_mapping=True)
    titles = tok([i.title or "" for i in items], add_special_tokens=False)["input_ids"]
    befores = tok([i.before or "" for i in items], add_special_tokens=False)["input_ids"]
    cls, sep, colon = tok.cls_token_id, tok.sep_token_id, tok.convert_tokens_to_ids(":")
    out = []
    for s, offs, t, b in zip(sent["input_ids"], sent["offset_mapping"], titles, befores):
        s, offs = s[:S_MAX], [tuple(o) for o in offs[:S_MAX]]
        t = t[:TITLE_MAX]
        room = C_MAX - len(t) - 1
        ctx = [*t, colon, *(b[-room:] if b and room > 0 else [])] if (t or b) else []
        ids = [cls, *q, sep, *s, sep, *ctx, sep] if ctx else [cls, *q, sep, *s, sep]
        first = len(q) + 2
        types = [0] * first + [1] * (len(ids) - first)
        out.append(Encoded(ids, types, first, first + len(s), offs))
    return out


def batch(encoded: Sequence[Encoded]):
    """Padded tensors (ids, mask, types) for a list of encoded pairs."""
    import torch

    n = max(len(e.ids) for e in encoded)
    ids = torch.zeros((len(encoded), n), dtype=torch.long)
    mask = torch.zeros((len(encoded), n), dtype=torch.long)
    types = torch.zeros((len(encoded), n), dtype=torch.long)
    for row, e in enumerate(encoded):
        ids[row, : len(e.ids)] = torch.tensor(e.ids)
        mask[row, : len(e.ids)] = 1
        types[row, : len(e.types)] = torch.tensor(e.types)
    return ids, mask, types


def best_span(
    sentence: str, e: Encoded, start: np.ndarray, end: np.ndarray
) -> tuple[tuple[int, int] | None, float]:
    """The most likely answer span inside the sentence (start <= end, at most SPAN_MAX word
    pieces), widened to whole words, with its probability under the sentence's own softmax."""
    n = e.last - e.first
    if n <= 0:
        return None, 0.0
    s = start[e.first : e.last].astype(np.float64)
    t = end[e.first : e.last].astype(np.float64)
    ps, pt = np.exp(s - s.max()), np.exp(t - t.max())
    ps, pt = ps / ps.sum(), pt / pt.sum()
    pairs = np.triu(np.outer(ps, pt)) - np.triu(np.outer(ps, pt), k=SPAN_MAX)
    i, j = np.unravel_index(int(np.argmax(pairs)), pairs.shape)
    a, b = e.offsets[i][0], e.offsets[j][1]
    while a > 0 and sentence[a - 1].isalnum():
        a -= 1
    while b < len(sentence) and sentence[b].isalnum():
        b += 1
    return ((a, b) if b > a else None), float(pairs[i, j])


class Reader:
    """Loads the shipped weights on first use (about 45 MB, checksum-verified) and reads
    candidates in one batch."""

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = Path(path) if path else WEIGHTS
        self._lock = threading.Lock()

    @cached_property
    def card(self) -> dict:
        """reader.json beside the weights: the sha256 and the calibrated threshold."""
        meta = self.path.with_suffix(".json")
        if not meta.is_file():
            raise AssistantError(f"the reader model's card {meta} is missing", help=RETRAIN)
        return json.loads(meta.read_text())

    @property
    def threshold(self) -> float:
        return float(self.card["threshold"])

    @property
    def trained_on(self) -> set[str]:
        """The articles the reader was trained on: figures on them are not honest."""
        return set(self.card.get("articles_trained", []))

    @property
    def span_threshold(self) -> float:
        """The span probability from which a short answer is given."""
        return float(self.card.get("span_threshold", 0.0))

    @property
    def cosine_weight(self) -> float:
        """How much the question-sentence cosine adds to the logit when ranking."""
        return float(self.card.get("cosine_weight", 0.0))

    @cached_property
    def tokenizer(self):
        return tokenizer()

    @cached_property
    def model(self):
        return load(self.path, self.card.get("sha256"), self.card.get("layers", 6))

    def read(self, question: str, items: Sequence[Item]) -> list[Reading]:
        with self._lock:
            return read(self.model, self.tokenizer, question, items)


def read(net, tok, question: str, items: Sequence[Item]) -> list[Reading]:
    """What `net` makes of each item, read together in one batch."""
    if not items:
        return []
    import torch

    encoded = encode(tok, question, items)
    with torch.inference_mode():
        answer, start, end = (t.numpy() for t in net(*batch(encoded)))
    out = []
    for k, (item, e) in enumerate(zip(items, encoded)):
        span, sure = best_span(item.sentence, e, start[k], end[k])
        logit = float(answer[k])
        out.append(Reading(logit, 1 / (1 + math.exp(-logit)), span, sure))
    return out


def load(path: Path, sha256: str | None, layers: int = 6):
    """The network with the weights at `path`, in float32. A missing, truncated or altered
    file is refused with a message that says how to get a good one."""
    if not path.is_file():
        raise AssistantError(f"the reader model {path} is missing", help=RETRAIN)
    data = path.read_bytes()
    if sha256 and hashlib.sha256(data).hexdigest() != sha256:
        raise AssistantError(
            f"the reader model {path} is corrupt (its sha256 does not match its card)",
            help=RETRAIN,
        )
    from safetensors.torch import load as load_bytes

    try:
        state = {k: v.float() for k, v in load_bytes(data).items()}
        net = network(layers)
        net.load_state_dict(state)
    except Exception as e:
        raise AssistantError(f"the reader model {path} cannot be read ({e})", help=RETRAIN) from e
    return net.eval()


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()
