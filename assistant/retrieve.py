"""Question -> ranked passages: dense (Chroma) and lexical (BM25) results, fused by reciprocal rank."""

from __future__ import annotations

import math
import re
import threading
from collections import Counter
from collections.abc import Iterable, Sequence

import numpy as np

from assistant.store import Store
from assistant.types import Chunk, Passage

RRF_K = 60  # the constant of Cormack et al. (2009); dampens the weight of top ranks

STOPWORDS = frozenset(
    [
        "a",
        "about",
        "above",
        "after",
        "again",
        "against",
        "all",
        "also",
        "am",
        "an",
        "and",
        "any",
        "are",
        "as",
        "at",
        "be",
        "because",
        "been",
        "before",
        "being",
        "below",
        "between",
        "both",
        "but",
        "by",
        "can",
        "could",
        "did",
        "do",
        "does",
        "doing",
        "down",
        "during",
        "each",
        "few",
        "for",
        "from",
        "further",
        "had",
        "has",
        "have",
        "having",
        "he",
        "her",
        "here",
        "hers",
        "herself",
        "him",
        "himself",
        "his",
        "how",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "itself",
        "just",
        "me",
        "more",
        "most",
        "my",
        "myself",
        "no",
        "nor",
        "not",
        "now",
        "of",
        "off",
        "on",
        "once",
        "only",
        "or",
        "other",
        "our",
        "ours",
        "ourselves",
        "out",
        "over",
        "own",
        "same",
        "she",
        "should",
        "so",
        "some",
        "such",
        "than",
        "that",
        "the",
        "their",
        "theirs",
        "them",
        "themselves",
        "then",
        "there",
        "these",
        "they",
        "this",
        "those",
        "through",
        "to",
        "too",
        "under",
        "until",
        "up",
        "very",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "while",
        "who",
        "whom",
        "why",
        "will",
        "with",
        "would",
        "you",
        "your",
        "yours",
        "yourself",
        "yourselves",
        "many",
        "much",
    ]
)
_WORD = re.compile(r"\w+", re.UNICODE)


def stem(word: str) -> str:
    """A light suffix stripper: enough to match 'vehicles'/'vehicle', 'claimed'/'claims'."""
    if len(word) <= 3:
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("sses", "shes", "ches", "xes", "zes")):
        return word[:-2]
    if word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    if word.endswith("ing") and len(word) > 5:
        return word[:-3]
    if word.endswith("ed") and len(word) > 4:
        return word[:-2]
    return word


def terms(text: str) -> list[str]:
    """Lower-cased, stemmed content words: the lexical vocabulary of BM25 and answer scoring."""
    return [stem(w) for w in _WORD.findall(text.lower()) if w not in STOPWORDS]


def rrf(rankings: Iterable[Sequence[str]], k: int = RRF_K) -> list[tuple[str, float]]:
    """Reciprocal rank fusion: score(d) = sum over rankings of 1 / (k + rank of d), rank from 1."""
    scores: dict[str, float] = {}
    for ranking in rankings:
        for rank, key in enumerate(ranking, start=1):
            scores[key] = scores.get(key, 0.0) + 1.0 / (k + rank)
    return sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))


class Lexical:
    """A BM25 index over every committed chunk, with document frequencies for term weighting."""

    def __init__(self, store: Store) -> None:
        import bm25s

        self.generation = store.generation()
        committed = set(store.article_ids())
        self.ids: list[str] = []
        self.articles = committed
        docs: list[list[str]] = []
        df: Counter[str] = Counter()
        for chunk, meta in store.iter_chunks():
            if chunk.article_id not in committed:
                continue
            toks = terms(f"{meta['title']}\n{chunk.text}")
            self.ids.append(chunk.id)
            docs.append(toks)
            df.update(set(toks))
        self.n = len(docs)
        self.df = df
        self.bm25 = bm25s.BM25()
        if docs:
            self.bm25.index(docs, show_progress=False)

    def idf(self, term: str) -> float:
        return math.log(1 + (self.n - self.df.get(term, 0) + 0.5) / (self.df.get(term, 0) + 0.5))

    def search(self, query_terms: Sequence[str], n: int) -> list[str]:
        known = [t for t in query_terms if t in self.df]
        if not known or not self.n:
            return []
        docs, scores = self.bm25.retrieve([known], k=min(n, self.n), show_progress=False)
        return [self.ids[d] for d, s in zip(docs[0], scores[0]) if s > 0]


class Retriever:
    def __init__(self, store: Store) -> None:
        self.store = store
        self._lexical: Lexical | None = None
        self._lock = threading.Lock()

    def lexical(self) -> Lexical:
        """The BM25 index, rebuilt only when the store changed since it was built."""
        with self._lock:
            if self._lexical is None or self._lexical.generation != self.store.generation():
                self._lexical = Lexical(self.store)
            return self._lexical

    def search(self, question: str, vector: np.ndarray, k: int) -> list[Passage]:
        lexical = self.lexical()
        if not lexical.articles:
            return []
        pool = max(3 * k, 20)
        dense = [
            (c, m) for c, m in self.store.query(vector, pool) if c.article_id in lexical.articles
        ]
        found: dict[str, tuple[Chunk, dict]] = {c.id: (c, m) for c, m in dense}
        lex_ids = lexical.search(terms(question), pool)
        missing = [i for i in lex_ids if i not in found]
        for c, m in self.store.get_chunks(missing):
            found[c.id] = (c, m)
        fused = rrf([[c.id for c, _ in dense], [i for i in lex_ids if i in found]])[:k]
        return [
            Passage(
                chunk=found[cid][0],
                title=found[cid][1]["title"],
                source=found[cid][1]["source"] or None,
                published=found[cid][1]["published"] or None,
                score=score,
                rank=rank,
            )
            for rank, (cid, score) in enumerate(fused)
        ]
