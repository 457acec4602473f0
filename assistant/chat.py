"""The one service every front end calls: ingest, ask (with conversation history), browse."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import numpy as np

from assistant.answer.extractive import ABSTAIN, Candidate, Draft
from assistant.answer.extractive import answer as extract
from assistant.answer.question import classify
from assistant.config import Settings, load_settings
from assistant.embedder import Embedder
from assistant.errors import AssistantError
from assistant.ingest.pipeline import IngestReport
from assistant.ingest.pipeline import ingest as run_ingest
from assistant.retrieve import Filters, Retriever
from assistant.store import Store
from assistant.types import Answer, Article, Citation

MAX_QUESTION_CHARS = 2000
_FOLLOW_UP = re.compile(r"^\s*(and|what about|how about|also|but)\b[\s,]*", re.I)
_PRONOUN = re.compile(r"\b(it|they|them|he|she|this|that|these|those|there|its|their)\b", re.I)


class Assistant:
    """Question answering over the indexed articles, with verifiable citations.

    >>> a = Assistant(index_dir="index")          # doctest: +SKIP
    >>> a.ingest(["seeds/"])                      # doctest: +SKIP
    >>> a.ask("how many vehicles were destroyed?").short_answer  # doctest: +SKIP
    '36 vehicles'
    """

    def __init__(
        self,
        index_dir: str | Path | None = None,
        settings: Settings | None = None,
        embedder: Embedder | None = None,
    ) -> None:
        settings = settings or load_settings()
        if index_dir is not None:
            settings = settings.model_copy(update={"index_dir": Path(index_dir)})
        self.settings = settings
        self.embedder = embedder or Embedder(settings.embedding_model)
        self.store = Store(
            settings,
            build={
                "embedding_model": self.embedder.name,
                "dim": self.embedder.dim,
                "chunk_tokens": settings.chunk_tokens,
                "chunk_overlap": settings.chunk_overlap,
            },
        )
        self.store.repair()
        self.retriever = Retriever(self.store)

    # -- library ---------------------------------------------------------------------------
    def ingest(self, paths: Iterable[str | Path], progress: bool = False) -> IngestReport:
        return run_ingest(paths, self.store, self.embedder, self.settings, progress)

    def article(self, article_id: str) -> Article:
        article = self.store.article(article_id)
        if article is None:
            raise AssistantError(
                f"no article with id {article_id!r}",
                help="list them with `assistant index status --json`",
                status=404,
            )
        return article

    def articles(self) -> list[dict]:
        return self.store.list_articles()

    def remove(self, article_id: str) -> None:
        if not self.store.remove(article_id):
            raise AssistantError(
                f"no article with id {article_id!r}",
                help="list them with `assistant index status --json`",
                status=404,
            )

    def wipe(self) -> None:
        self.store.wipe()

    def status(self) -> dict:
        return self.store.status()

    # -- questions -------------------------------------------------------------------------
    def ask(
        self,
        question: str,
        history: Sequence[dict | tuple] | None = None,
        top_k: int | None = None,
        abstain: bool = True,
        filters: Filters | Mapping | None = None,
    ) -> Answer:
        """Answer `question`; `history` is the earlier turns ({"role", "content"} dicts or
        (question, answer) pairs), used to make a follow-up stand alone. With `abstain=False`
        the best-supported answer is given even when its support is below the threshold.
        `filters` ({"sources", "published_from", "published_to", "article_ids"}) limit the
        articles the answer may come from."""
        asked = _clean(question)
        allowed = Filters.parse(filters)
        standalone = condense(asked, history or [])
        q = classify(standalone)
        qvec = self.embedder.embed([standalone])[0]
        passages = self.retriever.search(standalone, qvec, top_k or self.settings.top_k, allowed)
        lexical = self.retriever.lexical()
        draft = extract(
            q, qvec, passages, self.sentence_vectors, lexical.idf, self.settings.min_support
        )
        result = self._render(asked, draft, abstain)
        result.support = draft.support
        result.retrieved = list(dict.fromkeys(p.chunk.article_id for p in passages))
        return result

    def sentence_vectors(self, cands: Sequence[Candidate]) -> np.ndarray:
        """Vectors of candidate sentences: stored at ingest, embedded now only if missing."""
        keys = [(c.passage.chunk.article_id, c.start) for c in cands]
        stored = self.store.sentence_vectors(keys)
        missing = [i for i, k in enumerate(keys) if k not in stored]
        fresh = self.embedder.embed([cands[i].text for i in missing]) if missing else []
        by_index = dict(zip(missing, fresh))
        return np.stack([stored[k] if k in stored else by_index[i] for i, k in enumerate(keys)])

    def _render(self, question: str, draft: Draft, abstain: bool) -> Answer:
        """Number the cited sentences, check each quote against the stored article text, and
        write the answer with [n] markers. A quote that does not match is dropped."""
        if not draft.parts or (draft.abstained and abstain):
            return Answer(question, ABSTAIN, None, True, [])
        citations: list[Citation] = []
        numbers: dict[tuple[str, int], int] = {}
        texts: dict[str, str] = {}
        pieces = []
        for shown, cand in draft.parts:
            key = (cand.passage.chunk.article_id, cand.start)
            if key not in numbers:
                aid = key[0]
                if aid not in texts:
                    texts[aid] = self.article(aid).text
                if texts[aid][cand.start : cand.end] != cand.text:
                    continue  # never cite a quote the article does not hold verbatim
                numbers[key] = len(citations) + 1
                p = cand.passage
                citations.append(
                    Citation(
                        numbers[key],
                        aid,
                        p.title,
                        p.source,
                        p.published,
                        cand.text,
                        cand.start,
                        cand.end,
                    )
                )
            pieces.append(f"{shown} [{numbers[key]}]")
        if not citations:
            return Answer(question, ABSTAIN, None, True, [])
        text = "; ".join(pieces) + "."
        return Answer(question, text, draft.short_answer, False, citations)


def _clean(question: str) -> str:
    if not isinstance(question, str):
        raise AssistantError("the question must be text")
    q = re.sub(r"[\x00-\x08\x0b-\x1f\x7f]", " ", question)
    q = " ".join(q.split())
    if not q:
        raise AssistantError("the question is empty", help="type a question about the articles")
    if len(q) > MAX_QUESTION_CHARS:
        raise AssistantError(
            f"the question is too long ({len(q):,} characters)",
            help=f"ask in at most {MAX_QUESTION_CHARS:,} characters",
        )
    return q


def _turns(history: Sequence[dict | tuple]) -> list[str]:
    """The user's earlier questions, oldest first."""
    out = []
    for turn in history:
        if isinstance(turn, dict):
            if turn.get("role") == "user" and isinstance(turn.get("content"), str):
                out.append(turn["content"])
        elif isinstance(turn, (tuple, list)) and turn and isinstance(turn[0], str):
            out.append(turn[0])
    return out


def condense(question: str, history: Sequence[dict | tuple]) -> str:
    """Make a follow-up stand alone without a model: 'and on May 25?' after 'how many vehicles
    were destroyed?' becomes 'how many vehicles were destroyed on May 25?'."""
    previous = _turns(history)
    if not previous:
        return question
    words = question.split()
    follow_up = _FOLLOW_UP.match(question)
    if not follow_up and not (len(words) <= 6 and _PRONOUN.search(question)):
        return question
    last = condense(previous[-1], [{"role": "user", "content": t} for t in previous[:-1]])
    if follow_up:
        rest = question[follow_up.end() :].strip().rstrip("?")
        return f"{last.rstrip(' ?')} {rest}?" if rest else last
    return f"{question.rstrip(' ?')} ({last.rstrip(' ?')})?"
