"""Chroma behind one module: an embedded PersistentClient, or an HttpClient to a Chroma server.

Three collections share a name prefix:
- `<prefix>-chunks`: one record per chunk, with its vector, text and sentence offsets;
- `<prefix>-sentences`: one vector per sentence (id `article_id@start`), for answer scoring;
- `<prefix>-articles`: one record per article, with its full text (the commit marker: chunks
  whose article record is missing are leftovers of an interrupted write and are ignored);
- `<prefix>-meta`: one record naming what built the index (embedding model, chunking) and a
  generation counter bumped on every change, so caches know when to refresh.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from urllib.parse import urlparse

import numpy as np

from assistant.config import Settings
from assistant.errors import AssistantError
from assistant.types import Article, Chunk, Sentence

SCHEMA = 2  # 2: sentence vectors
_PAGE = 1000


class Store:
    def __init__(self, settings: Settings, build: dict) -> None:
        """`build` names what produces the vectors (embedding model, dim, chunking); an index
        built differently is refused rather than queried."""
        self.settings = settings
        self.build = {"schema": SCHEMA, **build}
        self.client = _connect(settings)
        self.where = settings.chroma_url or str(settings.index_dir.resolve())
        self._open()

    # -- opening ---------------------------------------------------------------------------
    def _open(self) -> None:
        prefix = self.settings.collection
        try:
            self.chunks = self.client.get_or_create_collection(
                f"{prefix}-chunks",
                configuration={"hnsw": {"space": "cosine"}},
                embedding_function=None,
            )
            self.sentences = self.client.get_or_create_collection(
                f"{prefix}-sentences",
                configuration={"hnsw": {"space": "cosine"}},
                embedding_function=None,
            )
            self.articles_col = self.client.get_or_create_collection(
                f"{prefix}-articles", embedding_function=None
            )
            self.meta = self.client.get_or_create_collection(
                f"{prefix}-meta", embedding_function=None
            )
        except Exception as e:  # chromadb raises many types; all mean the store is unusable
            raise _unavailable(self.settings, e) from e
        rec = self.meta.get(ids=["index"], include=["metadatas"])
        recorded = rec["metadatas"][0] if rec["ids"] else None
        if recorded is None:
            self._write_meta(0)
            return
        built = {k: recorded.get(k) for k in self.build}
        if built != self.build:
            if self.articles_col.count() == 0:
                self._write_meta(int(recorded.get("generation", 0)) + 1)
                return
            diff = ", ".join(
                f"{k}={built[k]!r} (asked {self.build[k]!r})"
                for k in self.build
                if built[k] != self.build[k]
            )
            raise AssistantError(
                f"the index at {self.where} was built with {diff}",
                help="use the settings it was built with, or rebuild it: "
                "`assistant index wipe` then `assistant ingest ...`",
                status=409,
            )

    def _write_meta(self, generation: int) -> None:
        self.meta.upsert(
            ids=["index"], embeddings=[[1.0]], metadatas=[{**self.build, "generation": generation}]
        )

    def generation(self) -> int:
        rec = self.meta.get(ids=["index"], include=["metadatas"])
        return int(rec["metadatas"][0]["generation"]) if rec["ids"] else 0

    def _bump(self) -> None:
        self._write_meta(self.generation() + 1)

    # -- writing ---------------------------------------------------------------------------
    def add(
        self,
        articles: Sequence[Article],
        chunks: Sequence[Chunk],
        vectors: np.ndarray,
        sentences: Sequence[tuple[str, int]] = (),
        sentence_vectors: np.ndarray | None = None,
    ) -> None:
        """Write articles with their chunks and sentence vectors ((article_id, start) keys).
        Chunks and sentences go first, article records last, so a crash in between leaves only
        orphans, which readers ignore and `repair` deletes."""
        if not articles:
            return
        by_id = {a.id: a for a in articles}
        limit = self.client.get_max_batch_size()
        try:
            for a in articles:  # leftovers of an earlier interrupted write of the same article
                self.chunks.delete(where={"article_id": a.id})
                self.sentences.delete(where={"article_id": a.id})
            for lo in range(0, len(sentences), limit):
                part = sentences[lo : lo + limit]
                self.sentences.add(
                    ids=[sentence_id(aid, start) for aid, start in part],
                    embeddings=sentence_vectors[lo : lo + limit],
                    metadatas=[{"article_id": aid} for aid, _ in part],
                )
            for lo in range(0, len(chunks), limit):
                part = chunks[lo : lo + limit]
                self.chunks.add(
                    ids=[c.id for c in part],
                    embeddings=vectors[lo : lo + limit],
                    documents=[c.text for c in part],
                    metadatas=[_chunk_meta(c, by_id[c.article_id]) for c in part],
                )
            for lo in range(0, len(articles), limit):
                part = articles[lo : lo + limit]
                self.articles_col.add(
                    ids=[a.id for a in part],
                    embeddings=[[1.0]] * len(part),
                    documents=[a.text for a in part],
                    metadatas=[
                        _article_meta(a, sum(c.article_id == a.id for c in chunks)) for a in part
                    ],
                )
        except AssistantError:
            raise
        except Exception as e:
            raise _unavailable(self.settings, e) from e
        self._bump()

    def remove(self, article_id: str) -> bool:
        if not self.articles_col.get(ids=[article_id], include=[])["ids"]:
            return False
        self.articles_col.delete(ids=[article_id])  # uncommit first, then drop the chunks
        self.chunks.delete(where={"article_id": article_id})
        self.sentences.delete(where={"article_id": article_id})
        self._bump()
        return True

    def wipe(self) -> None:
        prefix = self.settings.collection
        for name in ("chunks", "sentences", "articles", "meta"):
            try:
                self.client.delete_collection(f"{prefix}-{name}")
            except Exception:  # already gone
                pass
        self._open()
        self._bump()

    def repair(self) -> int:
        """Delete chunks whose article was never committed. Returns how many."""
        committed = set(self.article_ids())
        removed = 0
        for collection in (self.chunks, self.sentences):
            orphans = [
                i for i, meta in _iter_meta(collection) if meta["article_id"] not in committed
            ]
            for lo in range(0, len(orphans), _PAGE):
                collection.delete(ids=orphans[lo : lo + _PAGE])
            removed += len(orphans)
        return removed

    # -- reading ---------------------------------------------------------------------------
    def existing(self, ids: Sequence[str]) -> set[str]:
        return set(self.articles_col.get(ids=list(ids), include=[])["ids"]) if ids else set()

    def article(self, article_id: str) -> Article | None:
        rec = self.articles_col.get(ids=[article_id], include=["documents", "metadatas"])
        if not rec["ids"]:
            return None
        return _article(article_id, rec["documents"][0], rec["metadatas"][0])

    def article_ids(self) -> list[str]:
        return list(self.articles_col.get(include=[])["ids"])

    def list_articles(self) -> list[dict]:
        """Metadata of every article (no text), in title order."""
        out = []
        for offset in range(0, self.articles_col.count(), _PAGE):
            rec = self.articles_col.get(include=["metadatas"], limit=_PAGE, offset=offset)
            out += [{"id": i, **_public_meta(m)} for i, m in zip(rec["ids"], rec["metadatas"])]
        return sorted(out, key=lambda a: (a["title"].lower(), a["id"]))

    def ids_for_path(self, path: str) -> list[str]:
        return list(self.articles_col.get(where={"path": path}, include=[])["ids"])

    def query(
        self, vector: np.ndarray, n: int, where: dict | None = None
    ) -> list[tuple[Chunk, dict]]:
        """Nearest chunks to `vector`: (chunk, metadata with 'distance')."""
        try:
            res = self.chunks.query(
                query_embeddings=[vector],
                n_results=n,
                where=where,
                include=["documents", "metadatas", "distances"],
            )
        except Exception as e:
            raise _unavailable(self.settings, e) from e
        return [
            (_chunk(cid, doc, meta), {**meta, "distance": dist})
            for cid, doc, meta, dist in zip(
                res["ids"][0], res["documents"][0], res["metadatas"][0], res["distances"][0]
            )
        ]

    def get_chunks(self, ids: Sequence[str]) -> list[tuple[Chunk, dict]]:
        if not ids:
            return []
        rec = self.chunks.get(ids=list(ids), include=["documents", "metadatas"])
        return [
            (_chunk(cid, doc, meta), meta)
            for cid, doc, meta in zip(rec["ids"], rec["documents"], rec["metadatas"])
        ]

    def iter_chunks(self) -> Iterator[tuple[Chunk, dict]]:
        """Every chunk with its metadata, page by page."""
        total = self.chunks.count()
        for offset in range(0, total, _PAGE):
            rec = self.chunks.get(include=["documents", "metadatas"], limit=_PAGE, offset=offset)
            for cid, doc, meta in zip(rec["ids"], rec["documents"], rec["metadatas"]):
                yield _chunk(cid, doc, meta), meta

    def sentence_vectors(
        self, keys: Sequence[tuple[str, int]]
    ) -> dict[tuple[str, int], np.ndarray]:
        """Stored vectors of sentences by (article_id, start); missing ones are left out."""
        if not keys:
            return {}
        rec = self.sentences.get(ids=[sentence_id(a, s) for a, s in keys], include=["embeddings"])
        out = {}
        for sid, vec in zip(rec["ids"], rec["embeddings"]):
            aid, _, start = sid.rpartition("@")
            out[(aid, int(start))] = np.asarray(vec, dtype=np.float32)
        return out

    def status(self) -> dict:
        return {
            "articles": self.articles_col.count(),
            "chunks": self.chunks.count(),
            "embedding_model": self.build["embedding_model"],
            "store": self.settings.store_mode,
            "location": self.where,
            "chunk_tokens": self.build["chunk_tokens"],
            "chunk_overlap": self.build["chunk_overlap"],
            "generation": self.generation(),
        }


def sentence_id(article_id: str, start: int) -> str:
    return f"{article_id}@{start}"


def _iter_meta(collection) -> Iterator[tuple[str, dict]]:
    for offset in range(0, collection.count(), _PAGE):
        rec = collection.get(include=["metadatas"], limit=_PAGE, offset=offset)
        yield from zip(rec["ids"], rec["metadatas"])


def _connect(settings: Settings):
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    try:
        if settings.chroma_url:
            url = urlparse(settings.chroma_url)
            if url.scheme not in ("http", "https") or not url.hostname:
                raise AssistantError(
                    f"bad Chroma server URL {settings.chroma_url!r}",
                    help="set ASSISTANT_CHROMA_URL to http://host:port",
                )
            client = chromadb.HttpClient(
                host=url.hostname,
                port=url.port or (443 if url.scheme == "https" else 8000),
                ssl=url.scheme == "https",
                settings=chroma_settings,
            )
            client.heartbeat()
            return client
        settings.index_dir.mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(path=str(settings.index_dir), settings=chroma_settings)
    except AssistantError:
        raise
    except Exception as e:
        raise _unavailable(settings, e) from e


def _unavailable(settings: Settings, e: Exception) -> AssistantError:
    if settings.chroma_url:
        return AssistantError(
            f"store unavailable: cannot use the Chroma server at {settings.chroma_url}: {e}",
            help="check that it runs (`chroma run --path DIR --port N`) or unset ASSISTANT_CHROMA_URL",
            status=503,
        )
    return AssistantError(
        f"store unavailable: cannot use the index at {settings.index_dir}: {e}",
        help="check the folder's permissions and that no other process holds it",
        status=503,
    )


def _date_int(published: str | None) -> int:
    return int(published.replace("-", "")) if published else 0


def _chunk_meta(c: Chunk, a: Article) -> dict:
    return {
        "article_id": c.article_id,
        "index": c.index,
        "start": c.start,
        "end": c.end,
        "sentences": json.dumps([[s.start, s.end] for s in c.sentences]),
        "title": a.title,
        "source": a.source or "",
        "published": a.published or "",
        "published_int": _date_int(a.published),
    }


def _chunk(cid: str, doc: str, meta: dict) -> Chunk:
    sents = tuple(Sentence(s, e) for s, e in json.loads(meta["sentences"]))
    return Chunk(meta["article_id"], int(meta["index"]), sents, doc)


def _article_meta(a: Article, n_chunks: int) -> dict:
    meta = {k: v for k, v in a.meta().items() if k != "id"}
    meta = {k: ("" if v is None else v) for k, v in meta.items()}
    meta["published_int"] = _date_int(a.published)
    meta["chunks"] = n_chunks
    return meta


def _public_meta(m: dict) -> dict:
    return {
        "title": m["title"],
        "source": m.get("source") or None,
        "published": m.get("published") or None,
        "url": m.get("url") or None,
        "path": m.get("path") or None,
        "format": m.get("format"),
        "chars": m.get("chars"),
        "chunks": m.get("chunks"),
    }


def _article(article_id: str, text: str, m: dict) -> Article:
    p = _public_meta(m)
    return Article(
        id=article_id,
        title=p["title"],
        text=text,
        source=p["source"],
        published=p["published"],
        url=p["url"],
        path=p["path"],
        format=p["format"] or "txt",
    )
