"""Eval datasets: JSONL, one question a line.

{"id", "question", "answers": [gold strings], "answerable": bool, "article": title or id (optional)}
Sets that span articles (evals/multi/) add "type" and "values" or "events" (evals/across.py).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from assistant.errors import AssistantError

HERE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Item:
    id: str
    question: str
    answers: tuple[str, ...]
    answerable: bool
    article: str | None = None
    across: dict | None = None  # {"type", "values" or "events"}: evals/across.py scores it


def load(path: Path, limit: int | None = None) -> list[Item]:
    if not path.is_file():
        raise AssistantError(f"{path}: no such dataset", help="give a .jsonl file of questions")
    items = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            d = json.loads(line)
            items.append(
                Item(
                    id=str(d["id"]),
                    question=d["question"],
                    answers=tuple(d.get("answers", [])),
                    answerable=bool(d.get("answerable", bool(d.get("answers")))),
                    article=d.get("article"),
                    across={k: d[k] for k in ("type", "values", "events") if k in d}
                    if d.get("type")
                    else None,
                )
            )
        except (ValueError, KeyError, TypeError) as e:
            raise AssistantError(f"{path}:{n}: bad question line ({e})") from e
        if limit and len(items) >= limit:
            break
    if not items:
        raise AssistantError(f"{path}: no questions")
    return items


def default_articles(path: Path) -> Path | None:
    """The articles that go with a dataset: `articles/` beside it, or the seeds for seed sets."""
    beside = path.parent / "articles"
    if beside.is_dir():
        return beside
    if path.stem.startswith("seed"):
        return HERE.parent / "seeds"
    return None


def norm_article(name: str) -> str:
    return " ".join(name.replace("_", " ").lower().split())
