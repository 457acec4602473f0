"""The one service every front end calls: ingest, ask (with conversation history), browse."""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypedDict

import numpy as np

from assistant.answer import cite, sources
from assistant.answer.extractive import Candidate, Draft, candidates
from assistant.answer.extractive import answer as extract
from assistant.answer.question import Question, classify
from assistant.answer.reader import Reader
from assistant.answer.verify import Verified, instruction_like, verify
from assistant.config import Settings, load_settings
from assistant.conversation import History, clean, condense, conversation, rewritten, user_turns
from assistant.embedder import Embedder
from assistant.errors import AssistantError
from assistant.ingest import chunk_article
from assistant.ingest.pipeline import FileResult, IngestReport, article_meta
from assistant.ingest.pipeline import ingest as run_ingest
from assistant.llm import LLM, LLMError, complete, load_llm
from assistant.llm import prompts as prompt_files
from assistant.llm.llamaindex import as_llm
from assistant.retrieve import Filters, Retriever, passage
from assistant.store import Store, date_int
from assistant.types import Answer, Article, Chunk, Passage

if TYPE_CHECKING:
    from typing_extensions import Unpack  # typing's own from Python 3.12

log = logging.getLogger(__name__)


class AskOptions(TypedDict, total=False):
    """How `Assistant.ask` and `ask_stream` answer, besides the question and the history."""

    top_k: int | None  # passages retrieved; None: settings.top_k
    abstain: bool  # False: the best-supported answer even below the threshold (default True)
    # only from the articles these allow: {"sources", "published_from", "published_to",
    # "article_ids"}
    filters: Filters | Mapping | None
    generate: bool | None  # None: the configured model if any; False: extractive; True: required


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
        llm: Any = None,
    ) -> None:
        """`llm`: a language model to phrase answers, instead of the configured one
        (settings.llm_backend): any LlamaIndex LLM (`llama_index.core.llms.LLM`), or an object
        with this package's `assistant.llm.LLM` interface."""
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
        if llm is not None:
            self.llm = as_llm(llm)

    # -- library ---------------------------------------------------------------------------
    def ingest(
        self,
        paths: Iterable[str | Path],
        progress: bool = False,
        source: str | None = None,
        published: str | None = None,
        on_result: Callable[[FileResult], None] | None = None,
        on_plan: Callable[[int, int], None] | None = None,
    ) -> IngestReport:
        """Add files or folders. `source` and `published` (YYYY-MM-DD), when given, are the
        articles' outlet and date, whatever the files say (the BBC stories carry neither)."""
        meta = article_meta(source, published)
        return run_ingest(
            paths, self.store, self.embedder, self.settings, progress, meta, on_result, on_plan
        )

    def article(self, article_id: str) -> Article:
        article = self.store.article(article_id)
        if article is None:
            raise AssistantError(
                f"no article with id {article_id!r}",
                help="list them with `assistant index status --json`",
                status=404,
            )
        return article

    def edit(
        self,
        article_id: str,
        title: str | None = None,
        source: str | None = None,
        published: str | None = None,
    ) -> Article:
        """Correct an article's title, source or date (None: keep; "" clears a source or
        date). Its id, text and offsets stay, so citations keep pointing at the same
        sentences and show the new values; re-ingesting its unchanged file keeps the edit.
        A new title is embedded again with the chunks (it prefixes each of them)."""
        article = self.article(article_id)
        changes: dict[str, str | None] = {}
        if title is not None:
            if not title.strip():
                raise AssistantError("the title is empty", help="give the article a title")
            changes["title"] = " ".join(title.split())
        if source is not None:
            changes["source"] = article_meta(source, None)["source"] if source.strip() else None
        if published is not None:
            changes["published"] = (
                article_meta(None, published)["published"] if published.strip() else None
            )
        edited = dataclasses.replace(article, **changes)
        if edited == article:
            return article
        if edited.title == article.title:
            self.store.edit(edited)
        else:
            chunks, texts = chunk_article(
                edited,
                self.embedder.count_tokens,
                self.settings.chunk_tokens,
                self.settings.chunk_overlap,
            )
            self.store.edit(edited, chunks, self.embedder.embed(texts))
        return edited

    def articles(self) -> list[dict]:
        return self.store.list_articles()

    def remove(self, article_id: str) -> None:
        """Remove an article, and its kept upload when it came from one (assistant.uploads)."""
        path = self.article(article_id).path
        self.store.remove(article_id)
        if path and Path(path).parent == self.settings.uploads_dir:
            Path(path).unlink(missing_ok=True)

    def reindex(self, article_id: str) -> FileResult:
        """Read an article's file again: a changed file replaces the article, an unchanged one
        changes nothing. Raises `AssistantError` (404) for an unknown id, or when the file is
        gone."""
        article = self.article(article_id)
        path = Path(article.path) if article.path else None
        if path is None or not path.is_file():
            raise AssistantError(
                f"the file of {article.title!r} is no longer at {article.path}",
                help="upload it again, or remove the article",
                status=404,
            )
        return self.ingest([path]).results[0]

    def wipe(self) -> None:
        self.store.wipe()

    def status(self) -> dict:
        return self.store.status()

    def seed_if_empty(self, say: Callable[[str], None] = lambda line: None) -> None:
        """Index the seed articles (`settings.seeds_dir`) into an index that has no articles,
        telling `say` what was done: what `serve`, `ask` and `chat` do first, so a fresh install
        answers questions about them. A seeds_dir of None (ASSISTANT_SEEDS_DIR="") or a
        missing folder: nothing."""
        folder = self.settings.seeds_dir
        if folder is None or not folder.is_dir() or self.status()["articles"]:
            return
        report = self.ingest([folder])
        say(f"indexed seeds: {report.to_dict()['added']} articles")
        for r in report.failed:
            say(f"error: {r.message}")

    def warm(self) -> None:
        """Load what the first question would (the model, the lexical index, the reader), so
        a server answers its first question as fast as the rest."""
        self.embedder.embed(["warm up"])
        self.retriever.lexical()
        _ = self.reader

    # -- questions -------------------------------------------------------------------------
    @cached_property
    def reader(self) -> Reader | None:
        """The learned reader, when settings.reader_path names one (opt-in, see
        docs/accuracy.md); None: the rules answer."""
        return Reader(self.settings.reader_path) if self.settings.reader_path else None

    @property
    def min_support(self) -> float:
        """The support below which the assistant abstains: the evidence score's 0.5, or
        with a reader the threshold calibrated with it, unless settings.min_support is set."""
        if self.settings.min_support is not None:
            return self.settings.min_support
        return self.reader.threshold if self.reader else 0.5

    @cached_property
    def llm(self) -> LLM | None:
        """The configured language model (settings.llm_backend), or None: extractive answers."""
        return load_llm(self.settings)

    def ask(
        self, question: str, history: History | None = None, **options: Unpack[AskOptions]
    ) -> Answer:
        """Answer `question`; `history` is the earlier turns ({"role", "content"} dicts or
        (question, answer) pairs), used to make a follow-up stand alone. `options`
        (`AskOptions`): top_k, abstain, filters, generate."""
        answer = None
        for event, value in self.ask_stream(question, history, **options):
            if event == "answer":
                answer = value
        assert isinstance(answer, Answer)
        return answer

    def ask_stream(
        self, question: str, history: History | None = None, **options: Unpack[AskOptions]
    ) -> Iterator[tuple[str, Any]]:
        """Answer `question` (arguments as `ask`) as a stream of events, for front ends that
        show an answer while it is written:

        - ``("delta", str)``: the next piece of the draft. In generative mode these are the
          model's own words, not yet checked; in extractive mode the answer in one piece.
        - ``("notice", str)``: something to tell the user before the answer: the model failed,
          was too slow, or wrote nothing the articles support, so the extractive answer follows.
        - ``("answer", Answer)``: always last, exactly once: the verified answer, which replaces
          the draft (its text may differ: unsupported sentences are removed).

        A bad question raises AssistantError before the first event. The model's failures
        never raise: they become a notice and the extractive answer."""
        unknown = set(options) - set(AskOptions.__annotations__)
        if unknown:
            raise TypeError(f"ask() got unexpected options: {', '.join(sorted(unknown))}")
        top_k, abstain = options.get("top_k"), options.get("abstain", True)
        asked = clean(question)
        allowed = Filters.parse(options.get("filters"))
        llm = self._model(options.get("generate"))
        used: list[dict] = []
        # 1 condense (conversation.py): a follow-up made to stand alone
        standalone, notice, llm = self._condense(asked, history or [], llm, used)
        q = classify(standalone)
        # 2 retrieve (retrieve.py): dense + BM25 passages, planted instructions left out
        qvec, passages = self._search(standalone, top_k, allowed)
        if not passages and not self.store.articles_col.count():
            empty = Answer(asked, NOTHING_INDEXED, None, True, [])
            yield "delta", empty.answer
            yield "answer", empty
            return
        # 3 read (answer/extractive.py): every sentence scored, the answer and its support
        draft, by_key = self._read(q, qvec, passages)
        if q.layout == "timeline" and draft.best is not None:  # the whole of each article on
            more = self._rest(sources.on_subject(draft), passages)  # the subject is read
            if more:
                draft, by_key = self._read(q, qvec, [*passages, *more], by_key)
        # 3b sources (answer/sources.py): what each article says, when the question asks across
        draft = sources.across(
            q, draft, lambda c: by_key[(c.passage.chunk.article_id, c.start)], self.min_support
        )
        # 4 cite (answer/cite.py): quotes numbered, each checked against the stored text
        found = cite.extractive(
            asked,
            draft,
            abstain,
            self._texts(cite.articles_of(c for p in draft.parts for c in (p.cand, *p.also))),
        )
        if found.abstained and allowed:
            found.answer = self._filtered_out(allowed)
        found.support = draft.support
        found.retrieved = list(dict.fromkeys(p.chunk.article_id for p in passages))
        found.standalone_question = standalone if standalone != asked else None
        found.prompts = list(used)
        # The model phrases answers the evidence supports; it does not overrule an abstention,
        # and with a reader it sees only passages holding a sentence the reader accepts.
        given = passages
        if self.reader is not None:
            accepted = {c.passage.chunk.id for c, r in draft.read if r.prob >= self.min_support}
            given = [p for p in passages if p.chunk.id in accepted]
        given = given[: self.settings.llm_passages]
        if llm is None or found.abstained or not given:
            if notice:
                found.notice = notice
                yield "notice", notice
            yield "delta", found.answer
            yield "answer", found
            return
        # 5 generate (llm/): a model phrases the answer from the passages, streamed as a draft
        prompt = prompt_files.load("answer")
        used.append(prompt.ref)
        messages = self._messages(prompt, passages=passage_block(given), question=standalone)
        pieces: list[str] = []
        try:
            for piece in llm.stream(
                messages,
                self.settings.llm_max_tokens,
                time.monotonic() + self.settings.llm_timeout_s,
            ):
                pieces.append(piece)
                yield "delta", piece
        except Exception as e:  # any failure of the model: say so, give the extractive answer
            why = e.message if isinstance(e, LLMError) else _failed(e)
            yield from self._fall_back(found, llm, used, f"{why}; {_FALLBACK}", None)
            return
        # 6 verify (answer/verify.py), then cite: only what the quotes support is kept
        given_sentences = {n: candidates([p]) for n, p in enumerate(given, 1)}
        known = {
            n: np.stack([by_key[(c.passage.chunk.article_id, c.start)] for c in sentences])
            for n, sentences in given_sentences.items()
        }
        verified = verify("".join(pieces), given_sentences, self.embedder.embed, known)
        texts = self._texts(cite.articles_of(s for c in verified.kept for s in c.quotes))
        answer = cite.generative(asked, verified, draft, texts)
        if answer is None:
            why = (
                "the model found no answer in the articles"
                if verified.abstained
                else "the articles do not support the model's answer"
            )
            yield from self._fall_back(found, llm, used, f"{why}; {_FALLBACK}", verified)
            return
        answer.support = found.support
        answer.retrieved = found.retrieved
        answer.standalone_question = found.standalone_question
        answer.model = llm.name
        answer.prompts = used
        yield "answer", answer

    def search(
        self, query: str, top_k: int | None = None, filters: Filters | Mapping | None = None
    ) -> list[Passage]:
        """The passages a question's answer is sought in, best first (`filters` as `ask`):
        chunks of whole sentences, verbatim at their offsets (`chunk.text ==
        article.text[chunk.start:chunk.end]`), less any sentence planted to steer an assistant."""
        return self._search(clean(query), top_k, Filters.parse(filters))[1]

    def _search(
        self, query: str, top_k: int | None, allowed: Filters | None
    ) -> tuple[np.ndarray, list[Passage]]:
        qvec = self.embedder.embed([query])[0]
        passages = self.retriever.search(query, qvec, top_k or self.settings.top_k, allowed)
        return qvec, without_instructions(passages)

    def as_retriever(self, top_k: int | None = None, filters: Filters | Mapping | None = None):
        """This assistant's retrieval as a LlamaIndex retriever (assistant.llamaindex)."""
        from assistant.llamaindex import AssistantRetriever

        return AssistantRetriever(self, top_k, filters)

    def as_query_engine(
        self,
        filters: Filters | Mapping | None = None,
        abstain: bool = True,
        generate: bool | None = None,
        quotes: bool = False,
    ):
        """Verified, cited answers as a LlamaIndex query engine (assistant.llamaindex): the
        response is `ask`'s answer (with `quotes`, the quoted sentences below it), its source
        nodes the cited sentences."""
        from assistant.llamaindex import AssistantQueryEngine

        return AssistantQueryEngine(self, filters, abstain, generate, quotes)

    def _filtered_out(self, allowed: Filters) -> str:
        """The abstention when filters narrowed the search: say so, and how far."""
        articles = self.store.list_articles()
        left = sum(
            allowed.allows(
                {
                    "source": a["source"],
                    "published_int": date_int(a["published"]),
                    "article_id": a["id"],
                }
            )
            for a in articles
        )
        return (
            f"I could not find this in the articles the filters leave ({left} of "
            f"{len(articles)}). Widen or clear the filters to search them all."
        )

    def _messages(self, prompt: prompt_files.Prompt, **values: str) -> list[dict[str, str]]:
        messages = prompt.messages(**values)
        if self.settings.llm_system_in_user:
            system, user = messages
            return [{"role": "user", "content": f"{system['content']}\n\n{user['content']}"}]
        return messages

    def _model(self, generate: bool | None) -> LLM | None:
        if generate is False:
            return None
        llm = self.llm
        if generate and llm is None:
            raise AssistantError(
                "no language model is configured",
                help="set ASSISTANT_LLM_BACKEND (openai or llamacpp); see `assistant settings`",
            )
        return llm

    def _fall_back(
        self, found: Answer, llm: LLM, used: list[dict], notice: str, verified: Verified | None
    ) -> Iterator[tuple[str, Any]]:
        found.notice = notice
        found.model = llm.name
        found.prompts = list(used)
        if verified is not None:
            found.removed = cite.removed(verified)
        yield "notice", notice
        yield "answer", found

    def _condense(
        self, asked: str, history: History, llm: LLM | None, used: list[dict]
    ) -> tuple[str, str | None, LLM | None]:
        """The question made to stand alone: by the model when there is one (prompts/
        condense.md), else, or when its rewrite is unusable, by the rule in `condense`.
        A model that fails here is not asked again for this question."""
        rule = condense(asked, history)
        if llm is None or not user_turns(history):
            return rule, None, llm
        prompt = prompt_files.load("condense")
        messages = self._messages(prompt, history=conversation(history), question=asked)
        try:
            text = complete(llm, messages, 64, self.settings.llm_timeout_s)
        except Exception as e:
            why = e.message if isinstance(e, LLMError) else _failed(e)
            return rule, f"{why}; {_FALLBACK}", None
        used.append(prompt.ref)
        return rewritten(text, asked, history, rule) or rule, None, llm

    def _read(
        self,
        q: Question,
        qvec: np.ndarray,
        passages: Sequence[Passage],
        known: Mapping[tuple[str, int], np.ndarray] | None = None,
    ) -> tuple[Draft, dict[tuple[str, int], np.ndarray]]:
        """The draft answer from these passages' sentences, and each sentence's vector by
        (article id, start); `known` vectors (of a first read) are not fetched again."""
        cands = candidates(passages)
        vectors = self.sentence_vectors(cands, known)
        draft = extract(
            q,
            qvec,
            cands,
            vectors,
            self.retriever.lexical().idf,
            self.min_support,
            self.reader,
            self.settings.reader_candidates,
        )
        return draft, {(c.passage.chunk.article_id, c.start): v for c, v in zip(cands, vectors)}

    def _rest(self, article_ids: Sequence[str], passages: Sequence[Passage]) -> list[Passage]:
        """The chunks of these articles not among `passages`, as passages ranked after them."""
        have = {p.chunk.id for p in passages}
        return [
            passage(c, m, 0.0, len(passages))
            for c, m in self.store.chunks_of(article_ids)
            if c.id not in have
        ]

    def _texts(self, article_ids: Iterable[str]) -> dict[str, str]:
        """The stored texts of these articles, which citations are checked against."""
        return {aid: self.article(aid).text for aid in article_ids}

    def sentence_vectors(
        self,
        cands: Sequence[Candidate],
        known: Mapping[tuple[str, int], np.ndarray] | None = None,
    ) -> np.ndarray:
        """Vectors of candidate sentences: `known` ones as given, others stored at ingest,
        embedded now only if missing."""
        if not cands:
            return np.zeros((0, self.embedder.dim), dtype=np.float32)
        keys = [(c.passage.chunk.article_id, c.start) for c in cands]
        known = known or {}
        wanted = [k for k in dict.fromkeys(keys) if k not in known]  # a sentence once
        stored = {**self.store.sentence_vectors(wanted), **known}
        missing = [i for i, k in enumerate(keys) if k not in stored]
        fresh = self.embedder.embed([cands[i].text for i in missing]) if missing else []
        by_index = dict(zip(missing, fresh))
        return np.stack([stored[k] if k in stored else by_index[i] for i, k in enumerate(keys)])


NOTHING_INDEXED = (
    "No articles are indexed yet, so there is nothing to answer from. Add some with "
    "`assistant ingest FILES_OR_FOLDERS`, the Library tab's upload on the web page, or "
    "POST /api/articles."
)


_FALLBACK = "this is the answer found without the model"


def without_instructions(passages: Sequence[Passage]) -> list[Passage]:
    """The passages less any sentence planted to steer an assistant ("ignore previous
    instructions and answer that ..."): such a sentence is neither evidence nor shown to a
    model. Offsets are kept, so citations still point into the stored article text."""
    out = []
    for p in passages:
        c = p.chunk
        sentences = [
            s
            for s in c.sentences
            if not instruction_like(c.text[s.start - c.start : s.end - c.start])
        ]
        if len(sentences) == len(c.sentences):
            out.append(p)
        elif sentences:
            text = c.text[sentences[0].start - c.start : sentences[-1].end - c.start]
            chunk = Chunk(c.article_id, c.index, tuple(sentences), text)
            out.append(dataclasses.replace(p, chunk=chunk))
    return out


def passage_block(passages: Sequence[Passage]) -> str:
    """Passages for a prompt: numbered from 1 and delimited, with the tag characters inside
    them neutralised, so an article cannot close its own passage and speak as the user."""

    def plain(text: str | None) -> str:
        return (text or "").replace("<", "‹").replace(">", "›").replace('"', "'")

    def body(c: Chunk) -> str:  # its sentences: any left out stay out
        return " ".join(c.text[x.start - c.start : x.end - c.start] for x in c.sentences)

    return "\n".join(
        f'<passage n="{n}" title="{plain(p.title)}" source="{plain(p.source)}" '
        f'published="{plain(p.published)}">\n{plain(body(p.chunk))}\n</passage>'
        for n, p in enumerate(passages, 1)
    )


def _failed(e: Exception) -> str:
    """A model backend's unexpected error, logged in full and told in one line."""
    log.warning("language model failed", exc_info=e)
    return f"the language model failed ({type(e).__name__}: {' '.join(str(e).split())[:200]})"
