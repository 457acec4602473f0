"""Does the learned reader add to the rules' sentence choice? `python -m evals.reader_rerank
squad2-dev squad1-extra --readers fold1.safetensors fold2.safetensors`

For every question of `../shared/evals/NAME/questions.jsonl` whose article one of the fold
readers never saw (its card's `articles_trained`), the rules' best candidates are read, and
rank = rules' evidence score + lambda x reader logit is scored as "the first sentence holds a
gold answer". Lambda is fitted on the questions of one reader's held-out articles and scored on
the other's, both ways: folds by article, nothing scored on what it was fitted on.
(docs/accuracy.md, 2026-12-01: the reader adds nothing the rules do not already know.)
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

GRID = [0, 0.002, 0.005, 0.01, 0.02, 0.03, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.5, 1, 3, 1000]


def features(name: str, readers: list, evals: Path, index: Path) -> list[dict]:
    """Per question: the rules' top 8 with their evidence score, the reader's logit, and
    whether the sentence holds a gold answer."""
    from assistant import Assistant
    from assistant.answer.extractive import candidates, score
    from assistant.answer.question import classify
    from assistant.answer.reader import Item
    from evals.metrics import contains_gold

    data = evals / name
    a = Assistant(index_dir=index / name)
    if a.status()["articles"] == 0:
        a.ingest([data / "articles"])
    idf = a.retriever.lexical().idf
    rows = []
    for line in (data / "questions.jsonl").read_text().splitlines():
        q = json.loads(line)
        free = [r for r in readers if q["article"] not in r.trained_on]
        if not q["answerable"] or not free:
            continue
        text = q["question"].strip()
        qvec = a.embedder.embed([text])[0]
        cands = candidates(a.search(text))
        top = score(classify(text), qvec, cands, a.sentence_vectors(cands), idf)[:8]
        read = free[0].read(text, [Item(c.text, c.passage.title, c.before) for c in top])
        rows.append(
            {
                "fold": readers.index(free[0]),
                "cands": [
                    {
                        "score": c.score,
                        "logit": r.score,
                        "gold": contains_gold(c.text, q["answers"]),
                    }
                    for c, r in zip(top, read)
                ],
            }
        )
    return rows


def first(rows: list[dict], lam: float, k: int) -> float:
    hits = [
        r["cands"][:k][int(np.argmax([x["score"] + lam * x["logit"] for x in r["cands"][:k]]))]
        for r in rows
    ]
    return float(np.mean([h["gold"] for h in hits])) if hits else 0.0


def main() -> None:
    from assistant.answer.reader import Reader

    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("sets", nargs="+", metavar="NAME")
    p.add_argument("--readers", nargs=2, type=Path, required=True, metavar="WEIGHTS")
    p.add_argument("--evals", type=Path, default=Path("../shared/evals"))
    p.add_argument("--index", type=Path, default=Path(".cache/reader-rerank"))
    p.add_argument("--candidates", type=int, default=6, help="the rules' best read (default 6)")
    args = p.parse_args()
    readers = [Reader(w) for w in args.readers]
    rows = [r for name in args.sets for r in features(name, readers, args.evals, args.index)]
    k = args.candidates
    print(
        f"{len(rows)} answerable questions; answer among the {k} read: "
        f"{np.mean([any(x['gold'] for x in r['cands'][:k]) for r in rows]):.3f}"
    )
    for f in (0, 1):
        fit = [r for r in rows if r["fold"] == f]
        test = [r for r in rows if r["fold"] != f]
        lam = max(GRID, key=lambda g: first(fit, g, k))
        print(
            f"lambda fitted on reader {f + 1}'s held-out questions ({len(fit)}): {lam}; on the "
            f"other's ({len(test)}): rules {first(test, 0, k):.3f}, reader alone "
            f"{first(test, 1000, k):.3f}, rules + lambda x reader {first(test, lam, k):.3f}"
        )
    print("all questions, by lambda (in-sample):")
    print("  " + " ".join(f"{g}: {first(rows, g, k):.3f}" for g in GRID))


if __name__ == "__main__":
    main()
