"""Question -> ranked passages: dense (Chroma) and lexical (BM25) results, fused by reciprocal rank."""

from __future__ import annotations

import hashlib
import json
import logging
import math
import re
import shutil
import tempfile
import threading
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np

from assistant.errors import AssistantError
from assistant.store import Store
from assistant.text import terms
from assistant.types import Chunk, Passage

log = logging.getLogger(__name__)

RRF_K = 60  # the constant of Cormack et al. (2009); dampens the weight of top ranks


def rrf(rankings: Iterable[Sequence[str]], k: int = RRF_K) -> list[tuple[str, float]]:
    """Reciprocal rank fusion: score(d) = sum over rankings of 1 / (k + rank of d), rank from 1."""
    scores: dict[str, float] = {}
    for ranking in rankings:
        for rank, key in enumerate(ranking, start=1):
            scores[key] = scores.get(key, 0.0) + 1.0 / (k + rank)
    return sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))


FILTER_KEYS = ("sources", "published_from", "published_to", "article_ids")


@dataclass(frozen=True)
class Filters:
    """Which articles a question may draw on. Empty fields do not restrict; dates are inclusive
    YYYYMMDD numbers, and an article without a date is left out when a date bound is set."""

    sources: tuple[str, ...] = ()
    published_from: int | None = None
    published_to: int | None = None
    article_ids: tuple[str, ...] = ()

    @classmethod
    def parse(cls, filters: Filters | Mapping | None) -> Filters | None:
        """Filters from {"sources", "published_from", "published_to", "article_ids"} (dates as
        YYYY-MM-DD); None when nothing restricts. Bad input raises `AssistantError` (400)."""
        if filters is None or isinstance(filters, Filters):
            return filters or None
        if not isinstance(filters, Mapping):
            raise AssistantError("filters must be an object", help=_FILTER_HELP)
        unknown = sorted(str(k) for k in set(filters) - set(FILTER_KEYS))
        if unknown:
            raise AssistantError(f"unknown filter {unknown[0]!r}", help=_FILTER_HELP)
        parsed = cls(
            _strings(filters.get("sources"), "sources"),
            _day(filters.get("published_from"), "published_from"),
            _day(filters.get("published_to"), "published_to"),
            _strings(filters.get("article_ids"), "article_ids"),
        )
        lo, hi = parsed.published_from, parsed.published_to
        if lo is not None and hi is not None and lo > hi:
            raise AssistantError("published_from is after published_to", help="swap the two dates")
        return parsed or None

    def __bool__(self) -> bool:
        return bool(self.sources or self.article_ids) or self._dated

    @property
    def _dated(self) -> bool:
        return self.published_from is not None or self.published_to is not None

    def where(self) -> dict | None:
        """The same restriction as a Chroma `where` on chunk metadata."""
        clauses: list[dict] = []
        if self.sources:
            clauses.append({"source": {"$in": list(self.sources)}})
        if self._dated:
            clauses.append({"published_int": {"$gte": self.published_from or 1}})
        if self.published_to is not None:
            clauses.append({"published_int": {"$lte": self.published_to}})
        if self.article_ids:
            clauses.append({"article_id": {"$in": list(self.article_ids)}})
        if len(clauses) > 1:
            return {"$and": clauses}
        return clauses[0] if clauses else None

    def allows(self, meta: Mapping) -> bool:
        """Whether a chunk with this metadata passes (the lexical side of `where`)."""
        day = int(meta.get("published_int") or 0)
        return (
            (not self.sources or meta.get("source") in self.sources)
            and (not self._dated or day >= (self.published_from or 1))
            and (self.published_to is None or day <= self.published_to)
            and (not self.article_ids or meta.get("article_id") in self.article_ids)
        )


_FILTER_HELP = (
    'use {"sources": [..], "published_from": "YYYY-MM-DD", "published_to": "YYYY-MM-DD", '
    '"article_ids": [..]}, every key optional'
)


def _strings(value: object, name: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        raise AssistantError(f"filter {name} must be a list of strings", help=_FILTER_HELP)
    return tuple(dict.fromkeys(v.strip() for v in value if v.strip()))


def _day(value: object, name: str) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
            raise ValueError
        d = date.fromisoformat(value.strip())
    except ValueError:
        raise AssistantError(
            f"filter {name} must be a date like 2017-06-01, not {value!r}", help=_FILTER_HELP
        ) from None
    return d.year * 10000 + d.month * 100 + d.day


class Lexical:
    """A BM25 index over every committed chunk, with document frequencies for term weighting.
    `key` names what it was built from (the store's build, generation and committed articles),
    so a saved copy is used only while it is current."""

    FILES = ("lexical.json", "bm25")

    def __init__(self, key: str, ids: list[str], meta: list[dict], df: Counter, bm25) -> None:
        self.key = key
        self.ids = ids
        self.meta = dict(zip(ids, meta))  # chunk id -> what filters look at
        self.articles = {m["article_id"] for m in meta}
        self.n = len(ids)
        self.df = df
        self.bm25 = bm25

    @staticmethod
    def key_of(store: Store) -> tuple[str, set[str]]:
        """The key of the index the store's current content gives, and its committed articles."""
        committed = set(store.article_ids())
        h = hashlib.sha256(json.dumps([store.build, store.generation()], sort_keys=True).encode())
        for article_id in sorted(committed):
            h.update(article_id.encode())
        return h.hexdigest()[:24], committed

    @classmethod
    def build(cls, store: Store) -> Lexical:
        import bm25s

        key, committed = cls.key_of(store)
        ids: list[str] = []
        meta: list[dict] = []
        docs: list[list[str]] = []
        df: Counter[str] = Counter()
        for chunk, m in store.iter_chunks():
            if chunk.article_id not in committed:
                continue
            toks = terms(f"{m['title']}\n{chunk.text}")
            ids.append(chunk.id)
            meta.append({k: m.get(k) for k in ("article_id", "source", "published_int")})
            docs.append(toks)
            df.update(set(toks))
        bm25 = bm25s.BM25()
        if docs:
            bm25.index(docs, show_progress=False)
        return cls(key, ids, meta, df, bm25)

    def save(self, folder: Path) -> None:
        """Write the index under `folder/<key>` (complete or not at all: written beside, then
        renamed into place) and remove older copies."""
        folder.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=folder))
        try:
            if self.n:
                self.bm25.save(str(tmp / "bm25"), show_progress=False)
            record = {"ids": self.ids, "meta": [self.meta[i] for i in self.ids], "df": self.df}
            (tmp / "lexical.json").write_text(json.dumps(record))
            target = folder / self.key
            if target.exists():  # a copy found unreadable: move it aside, then replace it
                target.rename(Path(tempfile.mkdtemp(prefix=".tmp-", dir=folder)) / "old")
            tmp.rename(target)
        except OSError:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        for old in folder.iterdir():  # older keys, and what a crashed save left
            if old.name != self.key:
                shutil.rmtree(old, ignore_errors=True)

    @classmethod
    def load(cls, folder: Path, key: str) -> Lexical | None:
        """The saved index with this key, or None when there is none (or it is unreadable)."""
        import bm25s

        where = folder / key
        try:
            record = json.loads((where / "lexical.json").read_text())
            bm25 = (
                bm25s.BM25.load(str(where / "bm25"), mmap=True, show_progress=False)
                if record["ids"]
                else bm25s.BM25()
            )
        except (OSError, ValueError, KeyError):
            return None
        return cls(key, record["ids"], record["meta"], Counter(record["df"]), bm25)

    def idf(self, term: str) -> float:
        return math.log(1 + (self.n - self.df.get(term, 0) + 0.5) / (self.df.get(term, 0) + 0.5))

    def search(self, query_terms: Sequence[str], n: int) -> list[str]:
        known = [t for t in query_terms if t in self.df]
        if not known or not self.n:
            return []
        docs, scores = self.bm25.retrieve([known], k=min(n, self.n), show_progress=False)
        return [self.ids[d] for d, s in zip(docs[0], scores[0]) if s > 0]


def lexical_folder(store: Store) -> Path:
    """Where the store's lexical index is saved: in the index folder, one subfolder per store
    (a Chroma server and collection, or the embedded index)."""
    name = hashlib.sha256(f"{store.where}|{store.settings.collection}".encode()).hexdigest()[:12]
    return store.settings.index_dir / "lexical" / name


class Retriever:
    def __init__(self, store: Store) -> None:
        self.store = store
        self._lexical: Lexical | None = None
        self._generation = -1
        self._lock = threading.Lock()

    def lexical(self) -> Lexical:
        """The BM25 index of the store's current content: the one in memory while it is
        current, else the saved one, else built afresh (and saved for the next process)."""
        with self._lock:
            generation = self.store.generation()  # cheap; the key reads every article id
            if self._lexical is not None and self._generation == generation:
                return self._lexical
            key, _ = Lexical.key_of(self.store)
            self._generation = generation
            if self._lexical is None or self._lexical.key != key:
                folder = lexical_folder(self.store)
                self._lexical = Lexical.load(folder, key)
                if self._lexical is None:
                    self._lexical = Lexical.build(self.store)
                    try:
                        self._lexical.save(folder)
                    except OSError as e:  # a read-only folder costs a rebuild next time
                        log.warning("could not save the lexical index in %s: %s", folder, e)
            return self._lexical

    def search(
        self, question: str, vector: np.ndarray, k: int, filters: Filters | None = None
    ) -> list[Passage]:
        """The k best passages; with `filters`, only from the articles they allow (dense search
        filtered by Chroma, lexical hits filtered by the same metadata)."""
        lexical = self.lexical()
        if not lexical.articles:
            return []
        pool = max(3 * k, 20)
        where = filters.where() if filters else None
        dense = [
            (c, m)
            for c, m in self.store.query(vector, pool, where)
            if c.article_id in lexical.articles
        ]
        found: dict[str, tuple[Chunk, dict]] = {c.id: (c, m) for c, m in dense}
        if filters:
            hits = lexical.search(terms(question), lexical.n)
            lex_ids = [i for i in hits if filters.allows(lexical.meta[i])][:pool]
        else:
            lex_ids = lexical.search(terms(question), pool)
        missing = [i for i in lex_ids if i not in found]
        for c, m in self.store.get_chunks(missing):
            found[c.id] = (c, m)
        fused = rrf([[c.id for c, _ in dense], [i for i in lex_ids if i in found]])[:k]
        return [passage(*found[cid], score, rank) for rank, (cid, score) in enumerate(fused)]


def passage(chunk: Chunk, meta: Mapping, score: float, rank: int) -> Passage:
    """A stored chunk as a passage, with its article's title, source and date from `meta`."""
    return Passage(
        chunk=chunk,
        title=meta["title"],
        source=meta["source"] or None,
        published=meta["published"] or None,
        score=score,
        rank=rank,
    )
