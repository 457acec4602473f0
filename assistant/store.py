"""Chroma behind one module: an embedded PersistentClient, or an HttpClient to a Chroma server.

Three collections share a name prefix:
- `<prefix>-chunks`: one record per chunk, with its vector, text and sentence offsets;
- `<prefix>-sentences`: one vector per sentence (id `article_id@start`), for answer scoring;
- `<prefix>-articles`: one record per article, with its full text (the commit marker: chunks
  whose article record is missing are leftovers of an interrupted write and are ignored);
- `<prefix>-meta`: one record naming what built the index (embedding model, chunking) and a
  generation counter bumped on every change, so caches know when to refresh.

An embedded index is held by one process at a time (Chroma's embedded client is not
process-safe): an exclusive lock on `assistant.lock` in its folder, released when the process
ends, however it ends. Every failure of Chroma itself (a server gone, a folder unreadable)
becomes one `AssistantError` with status 503: "store unavailable".
"""

from __future__ import annotations

import functools
import json
import os
import threading
import time
import weakref
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlparse

import numpy as np

from assistant.config import Settings
from assistant.errors import AssistantError
from assistant.types import Article, Chunk, Sentence

SCHEMA = 2  # 2: sentence vectors
_PAGE = 1000
LOCK_FILE = "assistant.lock"
_PENDING = "pending/"  # meta records naming articles mid-write or mid-delete
_TRACKED = "tracked"  # meta record: this index notes pending articles (else scan once)
REPAIR_GRACE_S = 600  # server mode: younger orphans may be another process's write under way
F = TypeVar("F", bound=Callable[..., Any])


def _guarded(method: F) -> F:
    """Chroma's own exceptions (many types, from sqlite, the Rust core or HTTP) all mean the
    store cannot be used right now: turn them into the one 503 error."""

    @functools.wraps(method)
    def wrapper(self: Store, *args: Any, **kwargs: Any) -> Any:
        try:
            return method(self, *args, **kwargs)
        except AssistantError:
            raise
        except Exception as e:
            self._failed = True
            raise _unavailable(self.settings, e) from e

    return wrapper  # type: ignore[return-value]


class Store:
    def __init__(self, settings: Settings, build: dict) -> None:
        """`build` names what produces the vectors (embedding model, dim, chunking); an index
        built differently is refused rather than queried."""
        self.settings = settings
        self.build = {"schema": SCHEMA, **build}
        self._failed = False  # a write may have half-happened: bump the generation when back
        self._unlock: Callable[[], Any] = lambda: None
        if not settings.chroma_url:  # released by close(), when collected, or at exit
            self._unlock = weakref.finalize(self, unlock_index, lock_index(settings.index_dir))
        self.client = _connect(settings)
        self.where = settings.chroma_url or str(settings.index_dir.resolve())
        self._open()

    def close(self) -> None:
        """Let another process open the embedded index (also done when the process ends)."""
        self._unlock()  # a finalizer runs once

    # -- opening ---------------------------------------------------------------------------
    def _open(self) -> None:
        prefix = self.settings.collection
        try:
            self.chunks = self.client.get_or_create_collection(
                f"{prefix}-chunks",
                configuration={"hnsw": {"space": "cosine"}},
                embedding_function=None,
            )
            # sentence vectors are only ever fetched by id, never searched: a sparse graph
            # makes their inserts about 5x cheaper (Chroma builds HNSW on every add)
            self.sentences = self.client.get_or_create_collection(
                f"{prefix}-sentences",
                configuration={
                    "hnsw": {"space": "cosine", "ef_construction": 16, "max_neighbors": 4}
                },
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
        self._check_build()

    @_guarded
    def _check_build(self) -> None:
        rec = self.meta.get(ids=["index"], include=["metadatas"])
        recorded = rec["metadatas"][0] if rec["ids"] else None
        if recorded is None:
            self._write_meta(0)
            self._mark_tracked()
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

    @_guarded
    def generation(self) -> int:
        """The change counter. After a failed write (the store went away mid-way) it is bumped
        once the store answers again, so caches built before see what did get committed."""
        rec = self.meta.get(ids=["index"], include=["metadatas"])
        generation = int(rec["metadatas"][0]["generation"]) if rec["ids"] else 0
        if self._failed:
            generation += 1
            self._write_meta(generation)
            self._failed = False
        return generation

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
        orphans, which readers ignore and `repair` deletes.

        Every record is upserted: its id derives from the article's content (and the build is
        fixed), so leftovers of an interrupted write of the same article are overwritten with
        the same records, and two processes writing one article at once (server mode) cannot
        undo each other (deleting leftovers first could remove what the other had committed)."""
        if not articles:
            return
        by_id = {a.id: a for a in articles}
        limit = self.client.get_max_batch_size()
        now = int(time.time())  # lets `repair` tell a crash's leftovers from a write under way
        try:
            self._pending(list(by_id), now)
            for lo in range(0, len(sentences), limit):
                part = sentences[lo : lo + limit]
                self.sentences.upsert(
                    ids=[sentence_id(aid, start) for aid, start in part],
                    embeddings=sentence_vectors[lo : lo + limit],
                    metadatas=[{"article_id": aid, "written": now} for aid, _ in part],
                )
            for lo in range(0, len(chunks), limit):
                part = chunks[lo : lo + limit]
                self.chunks.upsert(
                    ids=[c.id for c in part],
                    embeddings=vectors[lo : lo + limit],
                    documents=[c.text for c in part],
                    metadatas=[
                        {**_chunk_meta(c, by_id[c.article_id]), "written": now} for c in part
                    ],
                )
            for lo in range(0, len(articles), limit):
                part = articles[lo : lo + limit]
                self.articles_col.upsert(
                    ids=[a.id for a in part],
                    embeddings=[[1.0]] * len(part),
                    documents=[a.text for a in part],
                    metadatas=[
                        _article_meta(a, sum(c.article_id == a.id for c in chunks)) for a in part
                    ],
                )
            self._bump()
            self.meta.delete(ids=[_PENDING + i for i in by_id])
        except AssistantError:
            raise
        except Exception as e:
            self._failed = True
            raise _unavailable(self.settings, e) from e

    @_guarded
    def remove(self, article_id: str) -> bool:
        if not self.articles_col.get(ids=[article_id], include=[])["ids"]:
            return False
        self._pending([article_id], int(time.time()))
        self.articles_col.delete(ids=[article_id])  # uncommit first, then drop the chunks
        self.chunks.delete(where={"article_id": article_id})
        self.sentences.delete(where={"article_id": article_id})
        self._bump()
        self.meta.delete(ids=[_PENDING + article_id])
        return True

    @_guarded
    def edit(self, article: Article, chunks: Sequence[Chunk] | None = None, vectors=None) -> None:
        """Give a stored article new metadata (title, source, date), keeping its id, text
        and sentence vectors. With `chunks` (a new title changes what each chunk embeds),
        they replace its chunks: the new ones are written before the old ones go, so the
        article is never without chunks."""
        now = int(time.time())
        old = self.chunks.get(where={"article_id": article.id}, include=["metadatas"])
        if chunks is None:
            if old["ids"]:
                self.chunks.update(
                    ids=old["ids"],
                    metadatas=[
                        {**m, **_chunk_meta(_chunk(i, "", m), article)}
                        for i, m in zip(old["ids"], old["metadatas"])
                    ],
                )
            n = len(old["ids"])
        else:
            self.chunks.upsert(
                ids=[c.id for c in chunks],
                embeddings=vectors,
                documents=[c.text for c in chunks],
                metadatas=[{**_chunk_meta(c, article), "written": now} for c in chunks],
            )
            stale = sorted(set(old["ids"]) - {c.id for c in chunks})
            if stale:
                self.chunks.delete(ids=stale)
            n = len(chunks)
        self.articles_col.update(ids=[article.id], metadatas=[_article_meta(article, n)])
        self._bump()

    @_guarded
    def wipe(self) -> None:
        prefix = self.settings.collection
        for name in ("chunks", "sentences", "articles", "meta"):
            try:
                self.client.delete_collection(f"{prefix}-{name}")
            except Exception:  # already gone
                pass
        self._open()
        self._bump()

    def _pending(self, article_ids: Sequence[str], now: int) -> None:
        """Note that these articles' records are being written or deleted: a crash before the
        note is cleared leaves it for `repair`, which then needs to look at them only."""
        limit = self.client.get_max_batch_size()
        for lo in range(0, len(article_ids), limit):
            part = article_ids[lo : lo + limit]
            self.meta.upsert(
                ids=[_PENDING + i for i in part],
                embeddings=[[1.0]] * len(part),
                metadatas=[{"kind": "pending", "article_id": i, "written": now} for i in part],
            )

    def _mark_tracked(self) -> None:
        self.meta.upsert(ids=[_TRACKED], embeddings=[[1.0]], metadatas=[{"kind": "tracked"}])

    @_guarded
    def repair(self) -> int:
        """Delete chunks and sentences whose article was never committed (a crash's
        leftovers). Returns how many. Only articles noted as pending are looked at, so opening
        an index costs nothing when the last run ended cleanly; an index older than those notes
        is scanned in full once.

        With a Chroma server other processes may be between writing an article's chunks and
        committing it: only leftovers noted more than `REPAIR_GRACE_S` ago are deleted there
        (an embedded index is this process's alone, so all of them are)."""
        before = time.time() - REPAIR_GRACE_S if self.settings.chroma_url else float("inf")
        if not self.meta.get(ids=[_TRACKED], include=[])["ids"]:
            removed = self._repair_all(before)
            self._mark_tracked()
            return removed
        rec = self.meta.get(where={"kind": "pending"}, include=["metadatas"])
        stale = [
            (i, m["article_id"])
            for i, m in zip(rec["ids"], rec["metadatas"])
            if m.get("written", 0) < before
        ]
        if not stale:
            return 0
        committed = self.existing([aid for _, aid in stale])
        removed = 0
        for _, aid in stale:
            if aid in committed:
                continue
            for collection in (self.chunks, self.sentences):
                ids = collection.get(where={"article_id": aid}, include=[])["ids"]
                if ids:
                    collection.delete(ids=ids)
                removed += len(ids)
        self.meta.delete(ids=[i for i, _ in stale])
        return removed

    def _repair_all(self, before: float) -> int:
        committed = set(self.article_ids())
        removed = 0
        for collection in (self.chunks, self.sentences):
            orphans = [
                i
                for i, meta in _iter_meta(collection)
                if meta["article_id"] not in committed and meta.get("written", 0) < before
            ]
            for lo in range(0, len(orphans), _PAGE):
                collection.delete(ids=orphans[lo : lo + _PAGE])
            removed += len(orphans)
        return removed

    # -- reading ---------------------------------------------------------------------------
    @_guarded
    def existing(self, ids: Sequence[str]) -> set[str]:
        return set(self.articles_col.get(ids=list(ids), include=[])["ids"]) if ids else set()

    @_guarded
    def article(self, article_id: str) -> Article | None:
        rec = self.articles_col.get(ids=[article_id], include=["documents", "metadatas"])
        if not rec["ids"]:
            return None
        return _article(article_id, rec["documents"][0], rec["metadatas"][0])

    @_guarded
    def article_ids(self) -> list[str]:
        return list(self.articles_col.get(include=[])["ids"])

    @_guarded
    def list_articles(self) -> list[dict]:
        """Metadata of every article (no text), in title order."""
        out = []
        for offset in range(0, self.articles_col.count(), _PAGE):
            rec = self.articles_col.get(include=["metadatas"], limit=_PAGE, offset=offset)
            out += [{"id": i, **_public_meta(m)} for i, m in zip(rec["ids"], rec["metadatas"])]
        return sorted(out, key=lambda a: (a["title"].lower(), a["id"]))

    @_guarded
    def ids_for_path(self, path: str) -> list[str]:
        return list(self.articles_col.get(where={"path": path}, include=[])["ids"])

    @_guarded
    def query(
        self, vector: np.ndarray, n: int, where: dict | None = None
    ) -> list[tuple[Chunk, dict]]:
        """Nearest chunks to `vector`: (chunk, metadata with 'distance')."""
        res = self.chunks.query(
            query_embeddings=[vector],
            n_results=n,
            where=where,
            include=["documents", "metadatas", "distances"],
        )
        return [
            (_chunk(cid, doc, meta), {**meta, "distance": dist})
            for cid, doc, meta, dist in zip(
                res["ids"][0], res["documents"][0], res["metadatas"][0], res["distances"][0]
            )
        ]

    @_guarded
    def get_chunks(self, ids: Sequence[str]) -> list[tuple[Chunk, dict]]:
        if not ids:
            return []
        rec = self.chunks.get(ids=list(ids), include=["documents", "metadatas"])
        return [
            (_chunk(cid, doc, meta), meta)
            for cid, doc, meta in zip(rec["ids"], rec["documents"], rec["metadatas"])
        ]

    @_guarded
    def chunks_of(self, article_ids: Sequence[str]) -> list[tuple[Chunk, dict]]:
        """Every chunk of these articles, article by article in their order, each in order."""
        if not article_ids:
            return []
        rec = self.chunks.get(
            where={"article_id": {"$in": list(article_ids)}}, include=["documents", "metadatas"]
        )
        found = [
            (_chunk(cid, doc, meta), meta)
            for cid, doc, meta in zip(rec["ids"], rec["documents"], rec["metadatas"])
        ]
        order = {a: i for i, a in enumerate(article_ids)}
        return sorted(found, key=lambda cm: (order[cm[0].article_id], cm[0].index))

    def iter_chunks(self) -> Iterator[tuple[Chunk, dict]]:
        """Every chunk with its metadata, page by page."""
        for offset in range(0, self._count(self.chunks), _PAGE):
            rec = self._page(self.chunks, ["documents", "metadatas"], offset)
            for cid, doc, meta in zip(rec["ids"], rec["documents"], rec["metadatas"]):
                yield _chunk(cid, doc, meta), meta

    @_guarded
    def _count(self, collection) -> int:
        return collection.count()

    @_guarded
    def _page(self, collection, include: list, offset: int) -> dict:
        return collection.get(include=include, limit=_PAGE, offset=offset)

    @_guarded
    def ids_for_paths(self, paths: Sequence[str]) -> dict[str, list[str]]:
        """The committed article ids of each of these file paths (one round trip)."""
        out: dict[str, list[str]] = {}
        for lo in range(0, len(paths), _PAGE):
            part = list(dict.fromkeys(paths[lo : lo + _PAGE]))
            rec = self.articles_col.get(where={"path": {"$in": part}}, include=["metadatas"])
            for i, m in zip(rec["ids"], rec["metadatas"]):
                out.setdefault(m["path"], []).append(i)
        return out

    @_guarded
    def with_content(self, contents: Sequence[str]) -> dict[str, tuple[str, str, str]]:
        """Committed articles holding these texts (`Article.content`): content -> (id, title,
        path). Articles stored before the fingerprint was recorded are not found."""
        out: dict[str, tuple[str, str, str]] = {}
        for lo in range(0, len(contents), _PAGE):
            part = list(dict.fromkeys(contents[lo : lo + _PAGE]))
            rec = self.articles_col.get(where={"content": {"$in": part}}, include=["metadatas"])
            for i, m in zip(rec["ids"], rec["metadatas"]):
                out.setdefault(m["content"], (i, m["title"], m.get("path") or ""))
        return out

    @_guarded
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

    @_guarded
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


_HELD: dict[str, tuple[int, int, int]] = {}  # index folder -> (fd, holders, pid)
_HELD_GUARD = threading.Lock()


def lock_index(folder: Path) -> str:
    """Take the embedded index in `folder` for this process (several `Store`s of one process
    share it). Another process holding it is a clear error, never a second writer."""
    import fcntl

    try:
        folder.mkdir(parents=True, exist_ok=True)
        key = str(folder.resolve())
        with _HELD_GUARD:
            held = _HELD.get(key)
            if held is not None and held[2] == os.getpid():
                _HELD[key] = (held[0], held[1] + 1, held[2])
                return key
            fd = os.open(folder / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip() or "unknown"
                os.close(fd)
                raise AssistantError(
                    f"the index at {folder} is in use by another process (pid {holder})",
                    help="stop that process (`assistant serve` holds its index while it runs) "
                    "and try again, or share one index between processes through a Chroma "
                    "server: `chroma run --path DIR --port N` and ASSISTANT_CHROMA_URL",
                    status=409,
                ) from None
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
            _HELD[key] = (fd, 1, os.getpid())
            return key
    except AssistantError:
        raise
    except OSError as e:
        raise AssistantError(
            f"store unavailable: cannot use the index at {folder}: {e.strerror or e}",
            help="check the folder's path and permissions",
            status=503,
        ) from None


def unlock_index(key: str) -> None:
    with _HELD_GUARD:
        held = _HELD.get(key)
        if held is None or held[2] != os.getpid():
            return
        fd, holders, pid = held
        if holders > 1:
            _HELD[key] = (fd, holders - 1, pid)
            return
        del _HELD[key]
        os.close(fd)  # closing the only descriptor releases the flock


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


def date_int(published: str | None) -> int:
    """YYYY-MM-DD as the YYYYMMDD number filters compare (0: no date)."""
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
        "published_int": date_int(a.published),
    }


def _chunk(cid: str, doc: str, meta: dict) -> Chunk:
    sents = tuple(Sentence(s, e) for s, e in json.loads(meta["sentences"]))
    return Chunk(meta["article_id"], int(meta["index"]), sents, doc)


def _article_meta(a: Article, n_chunks: int) -> dict:
    meta = {k: v for k, v in a.meta().items() if k != "id"}
    meta = {k: ("" if v is None else v) for k, v in meta.items()}
    meta["published_int"] = date_int(a.published)
    meta["chunks"] = n_chunks
    meta["content"] = a.content
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
