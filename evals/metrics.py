"""SQuAD-style scoring (normalisation and F1 as in the official SQuAD evaluation script)."""

from __future__ import annotations

import math
import re
import string
from collections import Counter
from collections.abc import Sequence

_PUNCT = set(string.punctuation)


def normalize(s: str) -> str:
    s = s.lower()
    s = "".join(ch for ch in s if ch not in _PUNCT)
    s = re.sub(r"\b(a|an|the)\b", " ", s)
    return " ".join(s.split())


def exact_match(answer: str, golds: Sequence[str]) -> float:
    return max((float(normalize(answer) == normalize(g)) for g in golds), default=0.0)


def token_f1(answer: str, golds: Sequence[str]) -> float:
    def f1(a: str, g: str) -> float:
        at, gt = normalize(a).split(), normalize(g).split()
        same = sum((Counter(at) & Counter(gt)).values())
        if same == 0:
            return 0.0
        p, r = same / len(at), same / len(gt)
        return 2 * p * r / (p + r)

    return max((f1(answer, g) for g in golds), default=0.0)


def contains_gold(text: str, golds: Sequence[str]) -> bool:
    t = f" {normalize(text)} "
    return any(f" {normalize(g)} " in t for g in golds if normalize(g))


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile; 0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, math.ceil(q / 100 * len(ordered)) - 1))
    return ordered[k]


def ratio(num: float, den: float) -> float | None:
    return num / den if den else None
