"""The command line: ingest, ask, chat, serve, index status|remove|wipe, settings."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from assistant import render
from assistant.errors import AssistantError


def main(argv: Sequence[str] | None = None) -> int:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    args = _parser().parse_args(argv)
    if not getattr(args, "run", None):
        _parser().print_help()
        return 2
    try:
        return args.run(args) or 0
    except AssistantError as e:
        if getattr(args, "json", False):  # a JSON reader gets JSON, on stdout, for errors too
            print(json.dumps({"error": e.message, "help": e.help}, ensure_ascii=False))
        else:
            print(
                f"error: {e.message}" + (f"\n  hint: {e.help}" if e.help else ""), file=sys.stderr
            )
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # output piped into `head` and the like
        return 0


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="assistant",
        description="Ask questions of news articles; every answer cites the sentences it rests on.",
        epilog="Settings come from ASSISTANT_* environment variables; see `assistant settings`.",
    )
    sub = p.add_subparsers(metavar="COMMAND")

    c = sub.add_parser(
        "ingest", help="add files or folders (.txt .md .html .pdf .docx) to the index"
    )
    c.add_argument("paths", nargs="+", metavar="PATH")
    c.add_argument("--json", action="store_true", help="print the report as JSON")
    c.add_argument("--no-progress", action="store_true", help="no progress bar")
    c.add_argument("--source", metavar="NAME", help="the articles' outlet (overrides the files)")
    c.add_argument(
        "--published", metavar="YYYY-MM-DD", help="the articles' date (overrides the files)"
    )
    c.set_defaults(run=_ingest)

    c = sub.add_parser("ask", help="answer one question (an empty index gets the seed articles)")
    c.add_argument("question")
    c.add_argument("--json", action="store_true", help="print the answer contract as JSON")
    c.add_argument("--top-k", type=int, default=None, help="passages to retrieve")
    c.add_argument(
        "--extractive", action="store_true", help="answer without the configured language model"
    )
    c.set_defaults(run=_ask)

    c = sub.add_parser(
        "chat",
        help="interactive questions; follow-ups keep the conversation (an empty index gets "
        "the seed articles)",
    )
    c.add_argument(
        "--extractive", action="store_true", help="answer without the configured language model"
    )
    c.set_defaults(run=_chat)

    c = sub.add_parser(
        "serve", help="the web page (and HTTP API); indexes the seed articles when empty"
    )
    c.add_argument("--host", default=None, help="address to bind (default 127.0.0.1)")
    c.add_argument("--port", type=int, default=None, help="port (default 7860)")
    c.set_defaults(run=_serve)

    c = sub.add_parser("index", help="inspect or change the index")
    isub = c.add_subparsers(metavar="ACTION")
    s = isub.add_parser("status", help="articles, chunks, model and store")
    s.add_argument("--json", action="store_true")
    s.set_defaults(run=_status)
    s = isub.add_parser("list", help="the articles in the index")
    s.add_argument("--json", action="store_true")
    s.set_defaults(run=_list)
    s = isub.add_parser("remove", help="delete one article and its chunks")
    s.add_argument("article_id", metavar="ID")
    s.set_defaults(run=_remove)
    s = isub.add_parser(
        "edit", help="correct an article's title, source or date (its text stays as it is)"
    )
    s.add_argument("article_id", metavar="ID")
    s.add_argument("--title")
    s.add_argument("--source", help='the outlet ("" clears it)')
    s.add_argument("--published", metavar="YYYY-MM-DD", help='the date ("" clears it)')
    s.add_argument("--json", action="store_true", help="print the article's details as JSON")
    s.set_defaults(run=_edit)
    s = isub.add_parser("wipe", help="delete every article")
    s.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    s.set_defaults(run=_wipe)

    c = sub.add_parser(
        "eval", help="score answers on a question set (JSONL), beside a baseline; writes a report"
    )
    c.add_argument("dataset", type=Path, metavar="DATASET", help="a .jsonl file of questions")
    c.add_argument(
        "--articles",
        type=Path,
        help="articles to index (default: articles/ beside "
        "the dataset, seeds/ for seed sets, else the configured index)",
    )
    c.add_argument("--out", type=Path, help="report folder (default eval-reports/NAME)")
    c.add_argument("--limit", type=int, help="only the first N questions")
    c.add_argument("--no-baseline", action="store_true", help="skip the baseline column")
    c.add_argument(
        "--reader",
        type=Path,
        nargs="+",
        metavar="WEIGHTS",
        help="reader models to answer with (default: the shipped one); each question is "
        "answered by the first one not trained on its article, and skipped when none is "
        "(fold models: honest figures on the articles the training data covers)",
    )
    c.add_argument(
        "--check",
        nargs="?",
        const="",
        metavar="NAME",
        help="fail (exit 1) when a metric is below evals/thresholds.json[NAME]",
    )
    c.set_defaults(run=_eval)

    c = sub.add_parser(
        "train-reader",
        help="fine-tune the reader model on SQuAD questions, validated by article folds",
        description="Fine-tune all-MiniLM-L6-v2 as the reader (answer sentence, probability, "
        "span) on a questions.jsonl of the shared/train layout; prints the fold figures and "
        "writes the weights, reader.json and READER.md. Same seed, same model.",
    )
    _path(c, "--data", "../shared/train/squad/questions.jsonl", "training questions")
    _path(
        c,
        "--out",
        "assistant/models/reader.safetensors",
        "where to write the weights (reader.json and READER.md go beside them)",
    )
    c.add_argument("--epochs", type=float, default=1.0, help="passes over the pairs")
    c.add_argument("--negatives", type=int, default=3, help="wrong sentences per question")
    c.add_argument("--lr", type=float, default=5e-5, help="learning rate (AdamW, linear decay)")
    c.add_argument("--batch-size", type=int, default=32)
    c.add_argument("--seed", type=int, default=0)
    c.add_argument(
        "--freeze-layers", type=int, default=0, help="lowest encoder layers kept as they are"
    )
    c.add_argument(
        "--layers",
        type=int,
        default=3,
        choices=range(1, 7),
        metavar="1-6",
        help="encoder layers of MiniLM-L6 kept (fewer: faster to train and to read)",
    )
    c.add_argument("--folds", type=int, default=2, help="article folds to validate on (1: none)")
    _path(c, "--cache", ".cache/train-reader", "where sentence vectors are kept between runs")
    c.add_argument("--val-questions", type=int, default=800, help="questions validated per fold")
    c.add_argument(
        "--hold-out",
        nargs="*",
        default=None,
        metavar="ARTICLE",
        help="articles the final model never sees (default: the five of evals/squad-slice)",
    )
    c.add_argument(
        "--max-false-abstention",
        type=float,
        default=0.10,
        help="the threshold is the highest whose out-of-fold false abstention stays below this",
    )
    c.add_argument("--fold-dir", type=Path, help="also keep each fold's model here")
    c.add_argument(
        "--folds-only",
        action="store_true",
        help="train and validate the fold models only (keep them with --fold-dir), no final",
    )
    c.add_argument("--limit", type=int, help="only N questions (a quick run)")
    c.set_defaults(run=_train_reader)

    c = sub.add_parser("settings", help="print the effective settings")
    c.set_defaults(run=_settings)
    return p


def _assistant():
    from assistant.chat import Assistant

    return Assistant()


def _service():
    """The running `assistant serve` when one holds the index (said on stderr: the server
    answers with its own settings), else the index opened here."""
    from assistant import remote

    server = remote.find()
    if server is None:
        return _assistant()
    print(f"through the assistant server at {server.url} (pid {server.pid})", file=sys.stderr)
    return server


def _answering():
    """The service to ask (as `_service`); an index opened here that has no articles gets the
    seed articles first, as `serve` gives its own, so a fresh install can answer."""
    from assistant.remote import Server

    service = _service()
    if not isinstance(service, Server):
        service.seed_if_empty(_stderr)
    return service


def _ingest(args: argparse.Namespace) -> int:
    from assistant.remote import Server

    service = _service()
    progress = not args.no_progress and sys.stderr.isatty()
    on_result = None if args.json else _print_result
    if isinstance(service, Server):
        d = _ingest_through(service, args, progress, on_result)
    else:
        report = service.ingest(
            args.paths,
            progress=progress,
            source=args.source,
            published=args.published,
            on_result=on_result,
        )
        d = report.to_dict()
    if args.json:
        print(json.dumps(d, indent=2))
    else:
        copies = f", {d['copies']} copies of articles already indexed" if d.get("copies") else ""
        print(f"{d['added']} added, {d['unchanged']} unchanged{copies}, {d['failed']} failed")
    return 0 if not d["failed"] else 1


def _ingest_through(server, args: argparse.Namespace, progress: bool, on_result) -> dict:
    """Ingest by the server (it reads the files), with the same lines and progress bar."""
    from types import SimpleNamespace

    from tqdm import tqdm

    bar = None
    report: dict = {}
    try:
        for line in server.ingest(args.paths, args.source, args.published):
            if "plan" in line and progress and line["plan"]["files"] > 1:
                bar = tqdm(total=line["plan"]["bytes"], unit="B", unit_scale=True, desc="ingest")
            elif "result" in line:
                r = SimpleNamespace(**line["result"])
                if r.message and r.message.startswith(r.path):  # named as the user gave it
                    r.message = _shown(r.path) + r.message[len(r.path) :]
                if bar is not None:
                    bar.update(_bytes(r.path))
                if on_result:
                    on_result(r)
            elif "report" in line:
                report = line["report"]
    finally:
        if bar is not None:
            bar.close()
    return report


def _bytes(path: str) -> int:
    try:
        return os.path.getsize(path)
    except OSError:
        return 0


def _print_result(r) -> None:
    """One file's line, as soon as it is committed (above the progress bar)."""
    from tqdm import tqdm

    if r.status == "failed":
        tqdm.write(f"error: {r.message}", file=sys.stderr)
    elif r.status == "copy":
        tqdm.write(f"{r.status:9} {r.article_id}  {r.message}", file=sys.stdout)
    else:
        tqdm.write(f"{r.status:9} {r.article_id}  {r.title}  ({_shown(r.path)})", file=sys.stdout)
    sys.stdout.flush()


def _shown(path: str) -> str:
    """A path under the working folder as a relative one (the server reports them absolute)."""
    if not os.path.isabs(path):
        return path
    rel = os.path.relpath(path)
    return path if rel.startswith("..") else rel


def contract(answer) -> dict:
    """The answer contract, from an Answer (here) or as the server sent it."""
    return answer if isinstance(answer, dict) else answer.to_dict()


def stream(service, question: str, history=None, top_k=None, generate=None) -> dict:
    """Ask, showing the model's draft on stderr as it is written and any notice; returns the
    verified answer's contract, which the caller prints on stdout."""
    from assistant.remote import Server

    if isinstance(service, Server):
        backend = service.health.get("llm_backend", "none")
    else:
        backend = service.settings.llm_backend
    drafting = backend != "none" and generate is not False
    drafted = False
    answer = None
    for event, value in service.ask_stream(
        question, history=history, top_k=top_k, generate=generate
    ):
        if event == "delta" and drafting:
            if not drafted:
                print("draft: ", end="", file=sys.stderr)
            drafted = True
            print(value, end="", file=sys.stderr, flush=True)
        elif event == "notice":
            if drafted:
                print(file=sys.stderr)
                drafted = False
            print(f"note: {value}", file=sys.stderr, flush=True)
        elif event == "answer":
            answer = contract(value)
    if drafted:
        print("\n", file=sys.stderr, flush=True)
    assert answer is not None
    return answer


def _ask(args: argparse.Namespace) -> int:
    service = _answering()
    generate = False if args.extractive else None
    if args.json:
        answer = contract(service.ask(args.question, top_k=args.top_k, generate=generate))
        print(json.dumps(answer, indent=2, ensure_ascii=False))
    else:
        print(render.terminal(stream(service, args.question, top_k=args.top_k, generate=generate)))
    return 0


def _chat(args: argparse.Namespace) -> int:
    service = _answering()
    history: list[dict] = []
    interactive = sys.stdin.isatty()
    if interactive:
        print("Ask about the articles. Follow-ups keep the conversation. Ctrl-D or 'exit' quits.")
    while True:
        try:
            question = input("> " if interactive else "")
        except EOFError:
            break
        if question.strip().lower() in {"exit", "quit", ":q"}:
            break
        if not question.strip():
            continue
        try:
            answer = stream(
                service, question, history=history, generate=False if args.extractive else None
            )
        except AssistantError as e:
            print(f"error: {e}", file=sys.stderr)
            continue
        print(render.terminal(answer) + "\n", flush=True)
        history += [
            {"role": "user", "content": question},
            {"role": "assistant", "content": answer["answer"]},
        ]
    return 0


def _serve(args: argparse.Namespace) -> int:
    from assistant.server import serve

    serve(host=args.host, port=args.port)
    return 0


def _status(args: argparse.Namespace) -> int:
    status = _service().status()
    if args.json:
        print(json.dumps(status, indent=2))
    else:
        for k, v in status.items():
            print(f"{k:16} {v}")
    return 0


def _list(args: argparse.Namespace) -> int:
    articles = _service().articles()
    if args.json:
        print(json.dumps(articles, indent=2, ensure_ascii=False))
    else:
        for a in articles:
            print(_article_line(a))
    return 0


def _remove(args: argparse.Namespace) -> int:
    _service().remove(args.article_id)
    print(f"removed {args.article_id}")
    return 0


def _edit(args: argparse.Namespace) -> int:
    fields = {"title": args.title, "source": args.source, "published": args.published}
    if all(v is None for v in fields.values()):
        raise AssistantError("nothing to change", help="give --title, --source or --published")
    a = _service().edit(args.article_id, **fields)
    d = a if isinstance(a, dict) else a.meta()  # the server's answer, or the Article here
    d = {"id": args.article_id, **{k: v for k, v in d.items() if k not in ("id", "path", "file")}}
    print(json.dumps(d, indent=2, ensure_ascii=False) if args.json else _article_line(d))
    return 0


def _article_line(a: dict) -> str:
    return f"{a['id']}  {a['published'] or '----------'}  {a['title']}  ({a['source'] or '-'})"


def _wipe(args: argparse.Namespace) -> int:
    assistant = _assistant()
    n = assistant.status()["articles"]
    if not args.yes:
        if not sys.stdin.isatty():
            raise AssistantError("refusing to wipe without confirmation", help="add --yes")
        if input(f"Delete all {n} articles from {assistant.store.where}? [y/N] ").lower() != "y":
            print("nothing deleted")
            return 1
    assistant.wipe()
    print(f"wiped {n} articles")
    return 0


def _eval(args: argparse.Namespace) -> int:
    from evals import runner

    name = args.dataset.parent.name if args.dataset.stem == "questions" else args.dataset.stem
    out = args.out or Path("eval-reports") / name
    result = runner.run(
        args.dataset,
        args.articles,
        out,
        limit=args.limit,
        baseline=not args.no_baseline,
        progress=sys.stderr.isatty(),
        readers=args.reader,
    )
    print((out / "report.md").read_text().split("\n## By question type")[0])
    print(f"report: {out}/report.md, report.json, report.png")
    if args.check is not None:
        failures = runner.check(result, args.check or None)
        for f in failures:
            print(f"below threshold: {f}", file=sys.stderr)
        return 1 if failures else 0
    return 0


def _train_reader(args: argparse.Namespace) -> int:
    from assistant.answer import train

    if args.hold_out is None:
        args.hold_out = list(train.SLICE)
    if not args.data.is_file():
        raise AssistantError(
            f"{args.data}: no such training file",
            help="pass --data PATH/questions.jsonl (the layout of shared/train/squad/)",
        )
    return train.main(args)


def _settings(args: argparse.Namespace) -> int:
    from assistant.config import load_settings

    print(json.dumps(load_settings().model_dump(mode="json"), indent=2))
    return 0


def _path(parser: argparse.ArgumentParser, flag: str, default: str, what: str) -> None:
    parser.add_argument(flag, type=Path, default=Path(default), help=f"{what} (default {default})")


def _stderr(line: str) -> None:
    print(line, file=sys.stderr)


if __name__ == "__main__":
    raise SystemExit(main())
