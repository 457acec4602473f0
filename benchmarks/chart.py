"""The one PNG of a benchmark report: ingest speed, query latency, memory, cold start."""

from __future__ import annotations

from pathlib import Path


def chart(report: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sizes = report["sizes"]
    names = [s["size"] for s in sizes]
    fig, ax = plt.subplots(2, 2, figsize=(13, 9))
    fig.suptitle(f"{report['command']}\n{report['started']}, {report['machine']['cpus']} CPUs")

    # ingest throughput: pipeline, ceiling, peer
    a = ax[0][0]
    width = 0.27
    series = [
        ("ours (Assistant.ingest)", lambda s: _get(s, "ingest", "articles_per_s")),
        ("ceiling (embedder alone)", lambda s: _get(s, "ingest", "ceiling_articles_per_s")),
        ("LlamaIndex default (files/s)", _peer_rate),
    ]
    for k, (label, f) in enumerate(series):
        xs = [i + (k - 1) * width for i in range(len(sizes))]
        a.bar(xs, [f(s) or 0 for s in sizes], width, label=label)
    for i, s in enumerate(sizes):
        ratio = _get(s, "ingest", "ratio_to_ceiling")
        if ratio is not None:
            a.annotate(f"ratio {ratio:.2f}", (i, 0), xytext=(0, 2), textcoords="offset points",
                       ha="center", fontsize=8)  # fmt: skip
    a.set_xticks(range(len(sizes)), names)
    a.set_ylabel("articles / s")
    a.set_title("Ingest throughput")
    a.legend(fontsize=8)

    # query latency against index size
    a = ax[0][1]
    for mode, style in (("query_embedded", "-"), ("query_server", "--")):
        rows = [s[mode] for s in sizes if s.get(mode)]
        if not rows:
            continue
        x = [r["chunks"] for r in rows]
        for what in ("ask", "search"):
            for pct, marker in (("p50_ms", "o"), ("p95_ms", "^")):
                a.plot(x, [r[what][pct] for r in rows], style, marker=marker,
                       label=f"{what} {pct[:3]} {rows[0]['mode']}")  # fmt: skip
    peers = [s for s in sizes if s.get("peer") and s.get("query_embedded")]
    if peers:
        a.plot([s["query_embedded"]["chunks"] for s in peers],
               [s["peer"]["retrieve"]["p50_ms"] for s in peers], ":", marker="s",
               label="LlamaIndex retrieve p50")  # fmt: skip
    a.set_xlabel("chunks in the index")
    a.set_ylabel("ms")
    if len(sizes) > 1:
        a.set_xscale("log")
    a.set_title("Query latency")
    a.legend(fontsize=7)

    # memory during ingest
    a = ax[1][0]
    for s in sizes:
        samples = _get(s, "ingest", "rss_samples") or []
        if samples:
            a.plot([t for t, _ in samples], [m for _, m in samples], label=f"{s['size']} ours")
        samples = _get(s, "peer", "rss_samples") or []
        if samples:
            a.plot([t for t, _ in samples], [m for _, m in samples], ":",
                   label=f"{s['size']} LlamaIndex")  # fmt: skip
    a.set_xlabel("seconds into ingest")
    a.set_ylabel("RSS MiB")
    a.set_title("Memory during ingest")
    a.legend(fontsize=8)

    # cold start
    a = ax[1][1]
    keys = [
        ("ask_process_s", "`assistant ask` process"),
        ("serve_healthz_s", "`serve` to /healthz"),
        ("serve_first_answer_s", "`serve` to first answer"),
        ("ask_through_server_s", "`ask` beside `serve`"),
    ]
    for k, (key, label) in enumerate(keys):
        xs = [i + (k - 1.5) * 0.2 for i in range(len(sizes))]
        a.bar(xs, [_get(s, "cold_start", key) or 0 for s in sizes], 0.2, label=label)
    a.set_xticks(range(len(sizes)), names)
    a.set_ylabel("seconds")
    a.set_title("Cold start on an existing index")
    a.legend(fontsize=8)

    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def _get(d: dict, *keys: str):
    for k in keys:
        if not isinstance(d, dict) or d.get(k) is None:
            return None
        d = d[k]
    return d


def _peer_rate(s: dict) -> float | None:
    p = s.get("peer")
    return p["files"] / p["ingest_s"] if p and p.get("ingest_s") else None
