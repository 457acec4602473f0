"""`python -m benchmarks.run`: ingest and query figures at one or more corpus sizes, next to the
embedder's ceiling and the plain LlamaIndex pipeline, printed and written as JSON + Markdown + PNG.

Each size: ingest in a fresh process (then re-ingest, then the ceiling), queries on the embedded
store, cold starts (`assistant ask`, `assistant serve`), queries through a Chroma server started
on the same folder, and the LlamaIndex peer on the same files. See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from assistant.config import REPO_ROOT
from assistant.testing import free_port, stop, wait_http
from benchmarks import corpus
from benchmarks.questions import QUESTIONS
from benchmarks.seed import SEED_QUESTIONS

BIN = Path(sys.executable).parent


class StepFailed(Exception):
    pass


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    cache = args.corpus_cache
    source = corpus.open_source(None if args.no_bbc else args.bbc, cache)
    questions = (QUESTIONS if source.name == "bbc" else SEED_QUESTIONS)[: args.questions]
    if args.work:
        Path(args.work).mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="assistant-bench-", dir=args.work))
    report: dict = {
        "command": "python -m benchmarks.run "
        + " ".join(argv if argv is not None else sys.argv[1:]),
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": _machine(),
        "source": source.name,
        "embedder": args.embedder,
        "questions": len(questions),
        "repeats": args.repeats,
        "sizes": [],
        "errors": [],
    }
    print(f"source: {source.name} ({len(source.files)} files); work folder: {work}", flush=True)
    try:
        for spec in args.sizes.split(","):
            c = corpus.resolve(spec, source, cache)
            print(
                f"\n== {c.name}: {len(c.files)} files ({c.originals} original, "
                f"{c.generated} generated)",
                flush=True,
            )
            report["sizes"].append(_run_size(c, questions, work, args, report["errors"]))
            _write(report, args.out)
    finally:
        report["machine"]["load_end"] = [round(x, 2) for x in os.getloadavg()]
        report["finished"] = datetime.now(UTC).isoformat(timespec="seconds")
        _write(report, args.out)
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    print("\n" + markdown(report))
    print(f"report: {args.out}/report.json, report.md, report.png")
    return 1 if report["errors"] else 0


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__)
    p.add_argument(
        "--sizes",
        default="bbc",
        help="comma-separated: bbc (all BBC files), bbc:N (N of them), N or Nk (originals, "
        "then generated articles up to N); default: bbc",
    )
    p.add_argument("--out", type=Path, default=Path("benchmark-reports/latest"))
    p.add_argument("--questions", type=int, default=30, help="how many of the questions to ask")
    p.add_argument("--repeats", type=int, default=2, help="rounds over the questions")
    p.add_argument("--no-server", action="store_true", help="skip the Chroma server mode")
    p.add_argument("--no-peer", action="store_true", help="skip the LlamaIndex peer")
    p.add_argument("--no-cold-start", action="store_true", help="skip the cold-start processes")
    p.add_argument(
        "--peer-files", type=int, default=None, help="give the peer only the first N files"
    )
    p.add_argument(
        "--ceiling-fraction",
        type=float,
        default=1.0,
        help="replay this share of the pipeline's embed calls for the ceiling (time scaled up); "
        "0: no ceiling",
    )
    p.add_argument("--batch-size", type=int, default=64, help="embedder batch size")
    p.add_argument(
        "--embedder",
        choices=["model", "hashed"],
        default="model",
        help="hashed: no model, vectors from hashed word pieces, to time everything else at "
        "sizes the model would take hours for (figures marked simulated)",
    )
    p.add_argument("--bbc", type=Path, default=corpus.BBC, help="the BBC corpus folder")
    p.add_argument(
        "--no-bbc", action="store_true", help="use the built-in seed stories, as without the corpus"
    )
    p.add_argument(
        "--corpus-cache",
        type=Path,
        default=Path(tempfile.gettempdir()) / "assistant-bench-corpus",
        help="where generated articles are written and reused (outside the repository)",
    )
    p.add_argument("--work", type=Path, default=None, help="parent of the temporary work folder")
    p.add_argument("--keep", action="store_true", help="keep the work folder (indexes, logs)")
    return p


# -- one size ----------------------------------------------------------------------------------
def _run_size(
    c: corpus.Corpus, questions: list[str], work: Path, args: argparse.Namespace, errors: list
) -> dict:
    d = work / re.sub(r"[^\w.-]", "_", c.name)
    d.mkdir(parents=True)
    files = d / "files.txt"
    files.write_text("\n".join(str(f) for f in c.files))
    index = d / "index"
    out: dict = {
        "size": c.name,
        "files": len(c.files),
        "originals": c.originals,
        "generated": c.generated,
        "load_start": [round(x, 2) for x in os.getloadavg()],
    }

    def step(name: str, fn, *a) -> dict | None:
        try:
            result = fn(*a)
        except StepFailed as e:
            errors.append(f"{c.name} {name}: {e}")
            print(f"  {name}: FAILED: {e}", file=sys.stderr, flush=True)
            return None
        out[name] = result
        print(f"  {name}: {_summary(name, result)}", flush=True)
        return result

    ingest_params = {
        "files": str(files),
        "index_dir": str(index),
        "ceiling_fraction": args.ceiling_fraction,
        "batch_size": args.batch_size,
        "embedder": args.embedder,
    }
    if step("ingest", lambda: _ingest_figures(_child("ingest", ingest_params, d))) is None:
        return out
    query = {"questions": questions, "repeats": args.repeats, "embedder": args.embedder}
    step("query_embedded", _child, "query", {**query, "index_dir": str(index)}, d)
    if not args.no_cold_start:
        step("cold_start", _cold_start, index, questions[0], d)
    if not args.no_server:
        step("query_server", _server_queries, index, query, d)
    if not args.no_peer:
        peer_files = d / "peer-files.txt"
        peer_files.write_text("\n".join(str(f) for f in c.files[: args.peer_files]))
        params = {**query, "files": str(peer_files), "index_dir": str(d / "peer")}
        if step("peer", _child, "peer", params, d):
            out["peer_ratios"] = _peer_ratios(out)
    out["load_end"] = [round(x, 2) for x in os.getloadavg()]
    return out


def _ingest_figures(r: dict) -> dict:
    s = r["ingest_s"]
    ceiling = r["ceiling"]["seconds"]
    r["articles_per_s"] = round(r["articles_added"] / s, 2) if s else None
    r["chunks_per_s"] = round(r["chunks"] / s, 1) if s else None
    r["ceiling_articles_per_s"] = round(r["articles_added"] / ceiling, 2) if ceiling else None
    r["ceiling_chunks_per_s"] = round(r["chunks"] / ceiling, 1) if ceiling else None
    r["ratio_to_ceiling"] = round(ceiling / s, 3) if s and ceiling else None  # same texts
    once = (r.get("once") or {}).get("seconds")
    r["ratio_to_once"] = round(once / s, 3) if s and once else None  # issue 12's ceiling
    r["embed_share"] = round(r["embed_in_pipeline_s"] / s, 3) if s else None
    return r


def _peer_ratios(out: dict) -> dict:
    peer, ours = out["peer"], out["ingest"]
    # per file, so a peer given fewer files (--peer-files) still compares
    ratios = {
        "ingest_time_per_file": round(
            (peer["ingest_s"] / peer["files"]) / (ours["ingest_s"] / ours["files"]), 3
        )
    }
    q = out.get("query_embedded")
    if q:
        p50 = peer["retrieve"]["p50_ms"]
        ratios["retrieve_p50_vs_embed_search"] = round(p50 / q["embed_search"]["p50_ms"], 3)
        ratios["retrieve_p50_vs_ask"] = round(p50 / q["ask"]["p50_ms"], 3)
        ratios["retrieve_p95_vs_embed_search"] = round(
            peer["retrieve"]["p95_ms"] / q["embed_search"]["p95_ms"], 3
        )
    return ratios


def _summary(name: str, r: dict) -> str:
    if name == "ingest":
        return (
            f"{r['articles_added']} articles, {r['chunks']} chunks in {r['ingest_s']} s "
            f"({r['articles_per_s']} articles/s, {r['chunks_per_s']} chunks/s); ceiling "
            f"{r['ceiling']['seconds']} s, ratio {r['ratio_to_ceiling']}; encode-once ceiling "
            f"{(r.get('once') or {}).get('seconds')} s, ratio {r.get('ratio_to_once')}; peak RSS "
            f"{r['peak_rss_mb']:.0f} MiB; re-ingest {r['reingest_s']} s"
        )
    if name.startswith("query"):
        return (
            f"ask p50/p95 {r['ask']['p50_ms']}/{r['ask']['p95_ms']} ms, search "
            f"{r['search']['p50_ms']}/{r['search']['p95_ms']} ms, open {r['open_s']} s, "
            f"BM25 build {r['lexical_build_s']} s"
        )
    if name == "cold_start":
        return ", ".join(f"{k} {v} s" for k, v in r.items() if k.endswith("_s"))
    if name == "peer":
        return (
            f"{r['nodes']} nodes in {r['ingest_s']} s; retrieve p50/p95 "
            f"{r['retrieve']['p50_ms']}/{r['retrieve']['p95_ms']} ms"
        )
    return json.dumps(r)[:200]


# -- processes ---------------------------------------------------------------------------------
def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    path = os.pathsep.join(x for x in (str(REPO_ROOT), env.get("PYTHONPATH")) if x)
    return {**env, "HF_HUB_OFFLINE": "1", "PYTHONPATH": path, **extra}


def _child(job: str, params: dict, d: Path) -> dict:
    """Run one worker job in a fresh Python process; its output goes to a log in `d`."""
    n = len(list(d.glob(f"{job}*.params.json")))
    pfile, rfile = d / f"{job}{n}.params.json", d / f"{job}{n}.result.json"
    log = d / f"{job}{n}.log"
    pfile.write_text(json.dumps(params))
    with log.open("w") as f:
        proc = subprocess.run(
            [sys.executable, "-m", "benchmarks.worker", job, str(pfile), str(rfile)],
            cwd=REPO_ROOT,
            env=_env(),
            stdout=f,
            stderr=subprocess.STDOUT,
        )
    if proc.returncode != 0 or not rfile.exists():
        raise StepFailed(f"exit {proc.returncode}: {_tail(log)}")
    return json.loads(rfile.read_text())


def _tail(log: Path, n: int = 8) -> str:
    lines = log.read_text(errors="replace").strip().splitlines()
    return " | ".join(lines[-n:])


def _wait_http(url: str, proc: subprocess.Popen, timeout: float) -> None:
    try:
        wait_http(url, proc, timeout)
    except (RuntimeError, TimeoutError) as e:
        raise StepFailed(str(e)) from e


def _assistant_cmd() -> list[str]:
    script = BIN / "assistant"
    return [str(script)] if script.exists() else [sys.executable, "-m", "assistant.cli"]


def _cold_start(index: Path, question: str, d: Path) -> dict:
    """Fresh processes on the existing index: `assistant ask` start to answer printed,
    `assistant serve` start to /healthz answering, then to its first /api/ask answer, and
    `assistant ask` again while the server runs (through it)."""
    env = _env(ASSISTANT_INDEX_DIR=str(index))

    def ask(what: str) -> tuple[float, str]:
        """One `assistant ask` process: its seconds and its stderr."""
        t = time.perf_counter()
        proc = subprocess.run(
            [*_assistant_cmd(), "ask", question, "--json"],
            env=env,
            cwd=d,
            capture_output=True,
            text=True,
        )
        if proc.returncode != 0:
            raise StepFailed(f"{what}: {proc.stderr.strip()[-500:]}")
        return time.perf_counter() - t, proc.stderr

    ask_s, _ = ask("assistant ask")
    port = free_port()
    t = time.perf_counter()
    with (d / "serve.log").open("w") as log:
        server = subprocess.Popen(
            [*_assistant_cmd(), "serve", "--port", str(port)],
            env=env,
            cwd=d,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            _wait_http(f"http://127.0.0.1:{port}/healthz", server, timeout=300)
            ready_s = time.perf_counter() - t
            req = urllib.request.Request(
                f"http://127.0.0.1:{port}/api/ask",
                data=json.dumps({"question": question}).encode(),
                headers={"Content-Type": "application/json"},
            )
            with urllib.request.urlopen(req, timeout=300) as r:
                json.loads(r.read())
            answer_s = time.perf_counter() - t
            # the CLI beside the running server goes through it (assistant.remote)
            through_s, said = ask("assistant ask beside the server")
            if "through the assistant server" not in said:
                raise StepFailed(f"assistant ask beside the server did not use it: {said}")
        finally:
            stop(server)
    return {
        "ask_process_s": round(ask_s, 2),
        "serve_healthz_s": round(ready_s, 2),
        "serve_first_answer_s": round(answer_s, 2),
        "ask_through_server_s": round(through_s, 2),
    }


def _server_queries(index: Path, query: dict, d: Path) -> dict:
    """The same queries through a Chroma server (`chroma run`) opened on the index folder."""
    chroma = BIN / "chroma"
    if not chroma.exists():
        chroma = Path(shutil.which("chroma") or "chroma")
    port = free_port()
    with (d / "chroma.log").open("w") as log:
        server = subprocess.Popen(
            [str(chroma), "run", "--path", str(index), "--host", "127.0.0.1", "--port", str(port)],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            t = time.perf_counter()
            _wait_http(f"http://127.0.0.1:{port}/api/v2/heartbeat", server, timeout=300)
            start_s = time.perf_counter() - t
            url = f"http://127.0.0.1:{port}"
            result = _child("query", {**query, "chroma_url": url, "index_dir": str(d)}, d)
            result["server_start_s"] = round(start_s, 2)
            result["server_rss_mb"] = _rss_of(server.pid)
            return result
        finally:
            stop(server)


def _rss_of(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return None


def _machine() -> dict:
    import chromadb
    import torch

    return {
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "torch_threads": torch.get_num_threads(),
        "chromadb": chromadb.__version__,
        "load_start": [round(x, 2) for x in os.getloadavg()],
    }


# -- report ------------------------------------------------------------------------------------
def _write(report: dict, out: Path) -> None:
    (out / "report.json").write_text(json.dumps(report, indent=2))
    (out / "report.md").write_text(markdown(report) + "\n")
    from benchmarks.chart import chart

    chart(report, out / "report.png")


def markdown(report: dict) -> str:
    """The figures as Markdown tables (also what the command prints at the end)."""

    def g(d: dict | None, *keys: str, fmt: str = "{}") -> str:
        for k in keys:
            if not isinstance(d, dict) or d.get(k) is None:
                return "-"
            d = d[k]
        return fmt.format(d)

    m = report["machine"]
    lines = [
        f"# Benchmark: {report['source']} source, {report['started']}"
        + (" (SIMULATED: hashed vectors, no model)" if report.get("embedder") == "hashed" else ""),
        "",
        f"`{report['command']}`  ",
        f"{m['cpus']} CPUs, torch {m['torch']} ({m['torch_threads']} threads), chromadb "
        f"{m['chromadb']}; load average at start {m['load_start']}, at end "
        f"{m.get('load_end', '-')}; {report['questions']} questions x {report['repeats']}.",
        "",
        "## Ingest",
        "",
        "| size | files | articles | chunks | ingest s | articles/s | chunks/s | ceiling s "
        "| ratio to ceiling | encode-once s | ratio to once | embed share | peak RSS MiB "
        "| re-ingest s |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for s in report["sizes"]:
        i = s.get("ingest")
        lines.append(
            f"| {s['size']} | {s['files']} | {g(i, 'articles')} | {g(i, 'chunks')} "
            f"| {g(i, 'ingest_s')} | {g(i, 'articles_per_s')} | {g(i, 'chunks_per_s')} "
            f"| {g(i, 'ceiling', 'seconds')} | {g(i, 'ratio_to_ceiling')} "
            f"| {g(i, 'once', 'seconds')} | {g(i, 'ratio_to_once')} "
            f"| {g(i, 'embed_share')} | {g(i, 'peak_rss_mb', fmt='{:.0f}')} "
            f"| {g(i, 'reingest_s')} |"
        )
    lines += [
        "",
        "## Query latency (ms)",
        "",
        "| size | chunks | store | ask p50 | ask p95 | search p50 | search p95 "
        "| embed+search p50 | open s | BM25 build s | answered | peak RSS MiB |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for s in report["sizes"]:
        for mode in ("query_embedded", "query_server"):
            q = s.get(mode)
            if q:
                lines.append(
                    f"| {s['size']} | {q['chunks']} | {q['mode']} | {g(q, 'ask', 'p50_ms')} "
                    f"| {g(q, 'ask', 'p95_ms')} | {g(q, 'search', 'p50_ms')} "
                    f"| {g(q, 'search', 'p95_ms')} | {g(q, 'embed_search', 'p50_ms')} "
                    f"| {q['open_s']} | {q['lexical_build_s']} | {q['answered_share']} "
                    f"| {q['peak_rss_mb']:.0f} |"
                )
    lines += [
        "",
        "## Cold start (s) and the LlamaIndex peer",
        "",
        "| size | `ask` process | `serve` to /healthz | `serve` to first answer "
        "| `ask` beside `serve` | peer files "
        "| peer nodes | peer ingest s | peer/ours ingest time per file | peer retrieve p50 ms "
        "| peer/ours retrieve p50 |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for s in report["sizes"]:
        c, p, r = s.get("cold_start"), s.get("peer"), s.get("peer_ratios")
        lines.append(
            f"| {s['size']} | {g(c, 'ask_process_s')} | {g(c, 'serve_healthz_s')} "
            f"| {g(c, 'serve_first_answer_s')} | {g(c, 'ask_through_server_s')} "
            f"| {g(p, 'files')} | {g(p, 'nodes')} "
            f"| {g(p, 'ingest_s')} "
            f"| {g(r, 'ingest_time_per_file')} "
            f"| {g(p, 'retrieve', 'p50_ms')} | {g(r, 'retrieve_p50_vs_embed_search')} |"
        )
    if report["errors"]:
        lines += ["", "## Errors", ""] + [f"- {e}" for e in report["errors"]]
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
