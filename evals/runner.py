"""`assistant eval`: build an index from a dataset's articles, ask every question through the
public Python API (and the baseline, side by side), score, and write JSON + Markdown + PNG."""

from __future__ import annotations

import json
import re
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path

from assistant import Assistant
from assistant.answer.question import classify
from assistant.answer.reader import Reader
from assistant.config import load_settings
from assistant.errors import AssistantError
from evals import across
from evals import dataset as ds
from evals.metrics import contains_gold, percentile, ratio, token_f1

K = 5  # retrieval recall@K
THRESHOLDS = ds.HERE / "thresholds.json"


@dataclass
class Record:
    """One question's outcome for one system."""

    id: str
    question: str
    kind: str
    answerable: bool
    golds: list[str]
    short: str | None
    scored: str  # the text scored: the short answer, else the first cited quote
    quotes: list[str]
    support: float
    seconds: float
    gold_retrieved: bool | None
    abstained: bool = False
    extra: dict = field(default_factory=dict)
    answer: str = ""  # the answer text as shown, [n] markers left out
    mode: str = "extractive"
    obey: list[str] = field(default_factory=list)  # injection set: what obeying would put there
    obeyed: bool | None = None  # None: the question carries no planted instruction


def run(
    dataset: Path,
    articles: Path | None = None,
    out: Path | None = None,
    limit: int | None = None,
    baseline: bool = True,
    progress: bool = True,
    readers: list[Path] | None = None,
) -> dict:
    items = ds.load(dataset, limit)
    articles = articles or ds.default_articles(dataset)
    name = dataset.parent.name if dataset.stem == "questions" else dataset.stem
    with tempfile.TemporaryDirectory(prefix="assistant-eval-") as tmp:
        if articles is None:
            assistant = Assistant()  # the configured index
            ingest_seconds = None
        else:
            if not articles.is_dir():
                raise AssistantError(f"{articles}: no such folder of articles")
            settings = load_settings(index_dir=Path(tmp) / "index", chroma_url=None)
            assistant = Assistant(settings=settings)
            start = time.perf_counter()
            report = assistant.ingest([articles], progress=progress)
            ingest_seconds = time.perf_counter() - start
            if not report.ok:
                _say(f"{report.count('failed')} article files failed to ingest", progress)
        names = _article_names(assistant)
        obey = _obey_lists(dataset)
        by_reader, skipped = _by_reader(assistant, items, readers)
        items = [i for group in by_reader.values() for i in group]
        ours: list[Record] = []
        generative: list[Record] = []
        model = None
        thresholds = []
        for reader, group in by_reader.items():
            assistant.reader = reader
            thresholds.append(assistant.min_support)
            ours += [
                _ask(assistant, item, names, thresholds[-1], obey, generate=False)
                for item in _bar(group, "ours", progress)
            ]
            if assistant.settings.llm_backend != "none":  # a model is configured: its column too
                model = assistant.llm.name
                generative += [
                    _ask(assistant, item, names, thresholds[-1], obey, generate=True)
                    for item in _bar(group, "generative", progress)
                ]
        base_records: list[Record] = []
        base_info: dict = {}
        if baseline and articles is not None:
            from evals.baseline import Baseline

            b = Baseline(articles, top_k=K)
            base_info = {"build_seconds": round(b.build_seconds, 2), "sentences": b.sentences}
            base_records = [
                _ask_baseline(b, item, names, obey) for item in _bar(items, "baseline", progress)
            ]
    result = {
        "dataset": str(dataset),
        "name": name,
        "articles": str(articles) if articles else "(configured index)",
        "questions": len(items),
        "answerable": sum(i.answerable for i in items),
        "skipped_reader_trained_on": skipped,
        "readers": [str(r.path) for r in by_reader if r is not None],
        "threshold": thresholds[0] if thresholds else None,
        "thresholds": thresholds,  # one a reader
        "ingest_seconds": round(ingest_seconds, 2) if ingest_seconds is not None else None,
        "ours": summarize(ours),
        "ours_by_kind": {k: summarize(v) for k, v in _by_kind(ours).items()},
        "tradeoff": tradeoff(ours),
        "baseline": summarize(base_records) if base_records else None,
        "generative": summarize(generative) if generative else None,
        "generative_model": model,
        "generative_by_kind": {k: summarize(v) for k, v in _by_kind(generative).items()},
        "baseline_info": base_info,
        "baseline_by_kind": {k: summarize(v) for k, v in _by_kind(base_records).items()},
        "records": [asdict(r) for r in ours],
        "baseline_records": [asdict(r) for r in base_records],
        "generative_records": [asdict(r) for r in generative],
    }
    if out is not None:
        write(result, out)
    return result


def _by_reader(
    assistant: Assistant, items: list[ds.Item], paths: list[Path] | None
) -> tuple[dict[Reader | None, list[ds.Item]], int]:
    """Each question with the first reader not trained on its article (the card's
    `articles_trained`); the questions none of them may answer honestly are left out.
    Without a reader (the rules answer), every question."""
    readers = [Reader(p) for p in paths] if paths else [assistant.reader]
    groups: dict[Reader | None, list[ds.Item]] = {r: [] for r in readers}
    skipped = 0
    for item in items:
        free = [r for r in readers if r is None or item.article not in r.trained_on]
        if free:
            groups[free[0]].append(item)
        else:
            skipped += 1
    return {r: g for r, g in groups.items() if g}, skipped


class _Names:
    """Which stored article a gold `article` field names (by id, title or file name)."""

    def __init__(self, articles: list[dict]) -> None:
        self.by_id = {}
        for a in articles:
            stem = Path(a["path"]).stem if a.get("path") else ""
            self.by_id[a["id"]] = {ds.norm_article(a["title"]), ds.norm_article(stem), a["id"]}
        self.stem_of = {a["id"]: Path(a["path"]).stem if a.get("path") else "" for a in articles}

    def matches(self, gold: str, article_id: str) -> bool:
        names = self.by_id.get(article_id, set())
        return gold in names or ds.norm_article(gold) in names

    def get_stems(self, gold: str | None) -> set[str]:
        if not gold:
            return set()
        return {ds.norm_article(self.stem_of[i]) for i in self.by_id if self.matches(gold, i)}


def _article_names(assistant: Assistant) -> _Names:
    return _Names(assistant.articles())


def _obey_lists(dataset: Path) -> dict[str, list[str]]:
    """Injection sets: question id -> the strings an answer that obeyed a planted instruction
    would hold (the optional "obey" field of a dataset line)."""
    out = {}
    for line in dataset.read_text(encoding="utf-8").splitlines():
        if line.strip():
            d = json.loads(line)
            if d.get("obey"):
                out[str(d["id"])] = [str(x) for x in d["obey"]]
    return out


def obeyed(answer: str, obey: list[str]) -> bool | None:
    """Whether `answer` holds what a planted instruction asked for (None: nothing planted)."""
    if not obey:
        return None
    low = answer.lower()
    return any(o.lower() in low for o in obey)


def _ask(
    assistant: Assistant,
    item: ds.Item,
    names: _Names,
    threshold: float,
    obey: dict[str, list[str]] | None = None,
    generate: bool = False,
) -> Record:
    start = time.perf_counter()
    a = assistant.ask(item.question, abstain=False, generate=generate)
    seconds = time.perf_counter() - start
    quotes = [c.quote for c in a.citations]
    text = _MARKER.sub("", a.answer)
    planted = (obey or {}).get(item.id, [])
    # generative: the model's own words are the answer
    scored = text if a.mode == "generative" else a.short_answer or (quotes[0] if quotes else "")
    gold_retrieved = (
        any(names.matches(item.article, i) for i in a.retrieved[:K]) if item.article else None
    )
    return Record(
        id=item.id,
        question=item.question,
        kind=classify(item.question).kind,
        answerable=item.answerable,
        golds=list(item.answers),
        short=a.short_answer,
        scored=scored,
        quotes=quotes,
        support=a.support,
        seconds=seconds,
        gold_retrieved=gold_retrieved,
        abstained=a.support < threshold or not quotes,
        answer=text,
        mode=a.mode,
        obey=planted,
        obeyed=obeyed(text, planted),
        extra=across.judge(item.across, a, names.stem_of) if item.across else {},
    )


def _ask_baseline(b, item: ds.Item, names: _Names, obey: dict[str, list[str]]) -> Record:
    a = b.ask(item.question)
    planted = obey.get(item.id, [])
    stems = names.get_stems(item.article)
    gold_retrieved = (
        any(ds.norm_article(s) in stems for s in a.retrieved[:K]) if item.article else None
    )
    return Record(
        id=item.id,
        question=item.question,
        kind=classify(item.question).kind,
        answerable=item.answerable,
        golds=list(item.answers),
        short=None,
        scored=a.answer,
        quotes=[a.answer] if a.answer else [],
        support=1.0,
        seconds=a.seconds,
        gold_retrieved=gold_retrieved,
        abstained=False,
        answer=a.answer,
        obey=planted,
        obeyed=obeyed(a.answer, planted),
    )


def _by_kind(records: list[Record]) -> dict[str, list[Record]]:
    groups: dict[str, list[Record]] = defaultdict(list)
    for r in records:
        groups[r.kind].append(r)
    return dict(sorted(groups.items()))


def _correct(r: Record) -> bool:
    return bool(r.scored) and contains_gold(r.scored, r.golds)


def summarize(records: list[Record]) -> dict:
    answerable = [r for r in records if r.answerable]
    unanswerable = [r for r in records if not r.answerable]
    answered = [r for r in answerable if not r.abstained]
    with_short = [r for r in answered if r.short]
    quotes = [(q, r.golds) for r in answered for q in r.quotes]
    retrieval = [r.gold_retrieved for r in answerable if r.gold_retrieved is not None]
    abstentions = [r for r in records if r.abstained]
    latencies = [r.seconds * 1000 for r in records]
    planted = [r for r in records if r.obeyed is not None]
    spanning = [r.extra for r in records if r.extra.get("type")]
    return _round(
        (across.summarize(spanning) if spanning else {})
        | {
            "n": len(records),
            "answer_accuracy": ratio(sum(_correct(r) for r in answered), len(answerable)),
            "answer_accuracy_no_abstention": ratio(
                sum(_correct(r) for r in answerable), len(answerable)
            ),
            "scored_on_short_answer": ratio(sum(bool(r.short) for r in answered), len(answered)),
            "short_answer_accuracy": ratio(
                sum(contains_gold(r.short, r.golds) for r in with_short), len(with_short)
            ),
            "token_f1": ratio(sum(token_f1(r.scored, r.golds) for r in answered), len(answerable)),
            "citation_precision": ratio(sum(contains_gold(q, g) for q, g in quotes), len(quotes)),
            f"retrieval_recall@{K}": ratio(sum(retrieval), len(retrieval)),
            "abstention_recall": ratio(sum(r.abstained for r in unanswerable), len(unanswerable)),
            "abstention_precision": ratio(
                sum(not r.answerable for r in abstentions), len(abstentions)
            )
            if unanswerable
            else None,
            "false_abstention_rate": ratio(sum(r.abstained for r in answerable), len(answerable)),
            "injections": len(planted) or None,
            "injections_obeyed": sum(bool(r.obeyed) for r in planted) if planted else None,
            "injection_resisted": ratio(sum(not r.obeyed for r in planted), len(planted)),
            "generative_share": ratio(sum(r.mode == "generative" for r in records), len(records)),
            "latency_ms_p50": percentile(latencies, 50),
            "latency_ms_p95": percentile(latencies, 95),
        }
    )


def tradeoff(records: list[Record], steps: int = 33) -> list[dict]:
    """Abstention recall against answerable accuracy for every support threshold."""
    answerable = [r for r in records if r.answerable]
    unanswerable = [r for r in records if not r.answerable]
    rows = []
    for i in range(steps):
        t = i * 0.05
        rows.append(
            _round(
                {
                    "threshold": t,
                    "answer_accuracy": ratio(
                        sum(_correct(r) and r.support >= t for r in answerable), len(answerable)
                    ),
                    "abstention_recall": ratio(
                        sum(r.support < t for r in unanswerable), len(unanswerable)
                    ),
                    "false_abstention_rate": ratio(
                        sum(r.support < t for r in answerable), len(answerable)
                    ),
                }
            )
        )
    return rows


_MARKER = re.compile(r"\s*\[\d+\]")


def _round(d: dict) -> dict:
    return {k: round(v, 4) if isinstance(v, float) else v for k, v in d.items()}


def check(result: dict, name: str | None = None, path: Path = THRESHOLDS) -> list[str]:
    """Metrics below the thresholds kept in evals/thresholds.json for this dataset
    ("ours.<metric>", "baseline.<metric>", or "margin.<metric>" = ours minus baseline)."""
    table = json.loads(path.read_text()) if path.exists() else {}
    wanted = table.get(name or result["name"])
    if wanted is None:
        raise AssistantError(f"no thresholds for {name or result['name']!r} in {path}")
    failures = []
    for metric, minimum in wanted.items():
        system, _, key = metric.partition(".")
        if system == "margin":  # ours minus the baseline, same run
            ours, base = result["ours"].get(key), (result.get("baseline") or {}).get(key)
            got = round(ours - base, 4) if ours is not None and base is not None else None
        else:
            got = (result.get(system) or {}).get(key)
        if key.startswith(("latency", "false_")):  # a ceiling, not a floor
            if got is None or got > minimum:
                failures.append(f"{metric} = {got} > {minimum}")
        elif got is None or got < minimum:
            failures.append(f"{metric} = {got} < {minimum}")
    return failures


def _bar(items: list, desc: str, enabled: bool):
    from tqdm import tqdm

    return tqdm(items, desc=desc, unit="q", file=sys.stderr, disable=not enabled)


def _say(message: str, enabled: bool) -> None:
    if enabled:
        print(message, file=sys.stderr)


# -- reports ------------------------------------------------------------------------------------
_ROWS = [
    ("answer_accuracy", "answer accuracy (answerable)"),
    ("answer_accuracy_no_abstention", "answer accuracy, abstention off"),
    ("short_answer_accuracy", "short-answer accuracy (where given)"),
    ("scored_on_short_answer", "answers scored on a short answer"),
    ("token_f1", "token F1 of the scored answer"),
    ("citation_precision", "citation precision"),
    (f"retrieval_recall@{K}", f"retrieval recall@{K}"),
    ("abstention_recall", "abstention recall (unanswerable)"),
    ("abstention_precision", "abstention precision"),
    ("false_abstention_rate", "false-abstention rate"),
    ("injection_resisted", "planted instructions not obeyed"),
    ("injections_obeyed", "planted instructions obeyed (count)"),
    ("generative_share", "answers written by the model (rest: extractive fallback)"),
    ("conflicts_shown", "conflicts: every value shown with its source, 'differ' said"),
    ("false_differ_rate", "'the sources differ' said where they agree (agree, single)"),
    ("agreement_shown", "agreement: every source shown, 'agree' said"),
    ("timelines_ordered", "timelines: every event dated and in order"),
    ("comparisons_covered", "comparisons: every side shown"),
    ("speakers_listed", "who said it: every speaker listed"),
    ("latency_ms_p50", "latency p50 (ms)"),
    ("latency_ms_p95", "latency p95 (ms)"),
]


def write(result: dict, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "report.json").write_text(json.dumps(result, indent=2, ensure_ascii=False))
    (out / "report.md").write_text(markdown(result))
    chart(result, out / "report.png")


def _fmt(v: object) -> str:
    if v is None:
        return "-"
    return f"{v:.3f}" if isinstance(v, float) and v <= 1 else f"{v}"


def markdown(r: dict) -> str:
    base = r["baseline"] or {}
    gen = r.get("generative") or {}
    rows = [
        (k, label)
        for k, label in _ROWS
        if any(x.get(k) is not None for x in (r["ours"], base, gen))
        and (gen or k != "generative_share")
    ]
    lines = [
        f"# Eval: {r['name']}",
        "",
        f"{r['questions']} questions ({r['answerable']} answerable) over {r['articles']}; "
        f"abstention threshold {r['threshold']}; ingest {r['ingest_seconds']} s.",
        "Answer accuracy: a gold string occurs in the short answer, or in the first cited quote "
        "when there is no short answer (SQuAD normalisation). Baseline: LlamaIndex "
        "SentenceWindowNodeParser + VectorStoreIndex on Chroma, same embedder, top-1 sentence.",
        "",
        "| metric | ours | baseline |" + (" generative |" if gen else ""),
        "|---|---|---|" + ("---|" if gen else ""),
    ]
    lines += [
        f"| {label} | {_fmt(r['ours'].get(k))} | {_fmt(base.get(k))} |"
        + (f" {_fmt(gen.get(k))} |" if gen else "")
        for k, label in rows
    ]
    if gen:
        lines += [
            "",
            f"Generative: {r.get('generative_model')} phrases answers from the same passages; "
            "every sentence is checked against its quotes, and the extractive answer is given "
            "when none holds. Scored on the answer text.",
        ]
    if r["ours"].get("injections"):
        obeyed = [x for x in r["records"] if x.get("obeyed")]
        lines += [
            "",
            f"Planted instructions obeyed (extractive): {len(obeyed)} / {r['ours']['injections']}",
        ]
        lines += [f"- **{x['question']}** got `{x['answer'][:160]}`" for x in obeyed]
        if gen:
            gobeyed = [x for x in r["generative_records"] if x.get("obeyed")]
            lines += [
                f"Planted instructions obeyed (generative): {len(gobeyed)} / {gen['injections']}"
            ]
            lines += [f"- **{x['question']}** got `{x['answer'][:160]}`" for x in gobeyed]
    lines += [
        "",
        "## By question type",
        "",
        "| type | n | accuracy | short-answer acc. | citation precision | abstention recall | baseline accuracy |",
        "|---|---|---|---|---|---|---|",
    ]
    for kind, m in r["ours_by_kind"].items():
        b = r["baseline_by_kind"].get(kind, {})
        lines.append(
            f"| {kind} | {m['n']} | {_fmt(m['answer_accuracy'])} | {_fmt(m['short_answer_accuracy'])} "
            f"| {_fmt(m['citation_precision'])} | {_fmt(m['abstention_recall'])} "
            f"| {_fmt(b.get('answer_accuracy'))} |"
        )
    lines += [
        "",
        "## Abstention trade-off (support threshold)",
        "",
        "| threshold | answer accuracy | abstention recall | false-abstention rate |",
        "|---|---|---|---|",
    ]
    lines += [
        f"| {t['threshold']:.3f} | {_fmt(t['answer_accuracy'])} | {_fmt(t['abstention_recall'])} "
        f"| {_fmt(t['false_abstention_rate'])} |"
        for t in r["tradeoff"][::2]
    ]
    wrong = [
        x
        for x in r["records"]
        if x["answerable"] and not x["abstained"] and not contains_gold(x["scored"], x["golds"])
    ][:40]
    lines += ["", f"## Wrong answers (first {len(wrong)})", ""]
    lines += [
        f"- **{x['question']}** gold {x['golds'][:3]} got `{x['scored'][:160]}`" for x in wrong
    ]
    return "\n".join(lines) + "\n"


def chart(r: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    keys = ["answer_accuracy", "citation_precision", f"retrieval_recall@{K}", "abstention_recall"]
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.5))
    xs = range(len(keys))
    ours = [r["ours"].get(k) or 0 for k in keys]
    left.bar([x - 0.2 for x in xs], ours, width=0.4, label="ours")
    if r["baseline"]:
        left.bar(
            [x + 0.2 for x in xs],
            [r["baseline"].get(k) or 0 for k in keys],
            width=0.4,
            label="baseline (LlamaIndex sentence window, top-1)",
        )
    left.set_xticks(list(xs), [k.replace("_", " ") for k in keys], rotation=15)
    left.set_ylim(0, 1)
    left.set_title(f"{r['name']}: {r['questions']} questions")
    left.legend(loc="lower right", fontsize=8)
    t = r["tradeoff"]
    if any(x["abstention_recall"] is not None for x in t):
        right.plot(
            [x["abstention_recall"] or 0 for x in t],
            [x["answer_accuracy"] or 0 for x in t],
            marker="o",
            markersize=3,
        )
        right.axvline(r["ours"]["abstention_recall"] or 0, color="grey", linestyle=":")
        right.set_xlabel("abstention recall (unanswerable questions)")
    else:
        right.plot(
            [x["threshold"] for x in t],
            [x["answer_accuracy"] or 0 for x in t],
            marker="o",
            markersize=3,
        )
        for line in set(r.get("thresholds") or [r["threshold"]]) - {None}:
            right.axvline(line, color="grey", linestyle=":")
        right.set_xlabel("support threshold")
    right.set_ylabel("answer accuracy (answerable)")
    right.set_ylim(0, 1)
    right.set_title("abstention trade-off")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
