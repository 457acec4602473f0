"""The assistant as LlamaIndex objects, for code that already speaks LlamaIndex:

- `AssistantRetriever` (`Assistant.as_retriever()`): the hybrid retrieval, as `TextNode`s whose
  text is verbatim article text at `start_char_idx:end_char_idx`;
- `AssistantQueryEngine` (`Assistant.as_query_engine()`): the verified, cited answer as a
  `Response`; its source nodes are the cited sentences, its metadata the answer contract;
- `query_engine_tool(assistant)`: that engine as a `QueryEngineTool` for an agent.

    >>> from assistant import Assistant                           # doctest: +SKIP
    >>> engine = Assistant().as_query_engine()                    # doctest: +SKIP
    >>> str(engine.query("who claimed the SDF deal?"))            # doctest: +SKIP
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any, Protocol

from llama_index.core.base.base_query_engine import BaseQueryEngine
from llama_index.core.base.response.schema import Response
from llama_index.core.retrievers import BaseRetriever
from llama_index.core.schema import NodeWithScore, QueryBundle, TextNode
from llama_index.core.tools import QueryEngineTool

from assistant import render
from assistant.retrieve import Filters
from assistant.types import Answer, Citation, Passage


class Assistant(Protocol):
    """What these classes use of `assistant.chat.Assistant` (which imports this module)."""

    def search(
        self, query: str, top_k: int | None = None, filters: Filters | Mapping | None = None
    ) -> list[Passage]: ...

    def ask(
        self,
        question: str,
        *,
        abstain: bool = True,
        filters: Filters | Mapping | None = None,
        generate: bool | None = None,
    ) -> Answer: ...


_META = ("article_id", "title", "source", "published")


def _node(id_: str, text: str, start: int, end: int, meta: dict[str, Any]) -> TextNode:
    return TextNode(
        id_=id_,
        text=text,
        start_char_idx=start,
        end_char_idx=end,
        metadata=meta,
        # what an LLM or embedder sees besides the text: the title, source and date only
        excluded_llm_metadata_keys=[k for k in meta if k not in ("title", "source", "published")],
        excluded_embed_metadata_keys=list(meta),
    )


def passage_node(p: Passage) -> NodeWithScore:
    """A retrieved passage: its text is `article.text[start_char_idx:end_char_idx]`."""
    c = p.chunk
    meta = {"article_id": c.article_id, "title": p.title, "source": p.source}
    meta |= {"published": p.published, "chunk": c.index, "rank": p.rank}
    return NodeWithScore(node=_node(c.id, c.text, c.start, c.end, meta), score=p.score)


def citation_node(c: Citation) -> NodeWithScore:
    """A cited sentence, verbatim at its offsets; `n` is its [n] in the answer."""
    meta = {"article_id": c.article_id, "title": c.title, "source": c.source}
    meta |= {"published": c.published, "n": c.n}
    if c.context is not None:
        meta["context"] = c.context.text  # the sentence before, which the answer draws on
    return NodeWithScore(node=_node(f"{c.article_id}:{c.start}", c.quote, c.start, c.end, meta))


class AssistantRetriever(BaseRetriever):
    """The passages `Assistant.ask` would answer from, best first (dense + BM25, fused)."""

    def __init__(
        self,
        assistant: Assistant,
        top_k: int | None = None,
        filters: Filters | Mapping | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.assistant = assistant
        self.top_k = top_k
        self.filters = Filters.parse(filters)

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        found = self.assistant.search(query_bundle.query_str, self.top_k, self.filters)
        return [passage_node(p) for p in found]


class AssistantQueryEngine(BaseQueryEngine):
    """`Assistant.ask` as a query engine: `str(response)` is the answer with its [n] markers
    (or the abstention), `response.source_nodes` the cited sentences in [n] order, and
    `response.metadata["answer"]` the whole answer contract. With `quotes`, the response text
    carries the quoted sentences below the answer too, for readers that see only the text (an
    agent's model reading a tool's output)."""

    def __init__(
        self,
        assistant: Assistant,
        filters: Filters | Mapping | None = None,
        abstain: bool = True,
        generate: bool | None = None,
        quotes: bool = False,
    ) -> None:
        super().__init__(callback_manager=None)
        self.assistant = assistant
        self.filters = Filters.parse(filters)
        self.abstain = abstain
        self.generate = generate
        self.quotes = quotes

    def _query(self, query_bundle: QueryBundle) -> Response:
        answer = self.assistant.ask(
            query_bundle.query_str,
            abstain=self.abstain,
            filters=self.filters,
            generate=self.generate,
        )
        contract = answer.to_dict()
        return Response(
            render.plain(contract) if self.quotes else answer.answer,
            source_nodes=[citation_node(c) for c in answer.citations],
            metadata={"answer": contract},
        )

    async def _aquery(self, query_bundle: QueryBundle) -> Response:
        return await asyncio.to_thread(self._query, query_bundle)

    def retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        return AssistantRetriever(self.assistant, filters=self.filters).retrieve(query_bundle)

    def _get_prompt_modules(self) -> dict[str, Any]:
        return {}


def query_engine_tool(
    assistant: Assistant,
    name: str = "news_articles",
    description: str | None = None,
    **engine: Any,
) -> QueryEngineTool:
    """The verified answers as a tool for a LlamaIndex agent: its output is the answer with
    the quoted sentences below it, so the agent's model sees what the answer rests on."""
    return QueryEngineTool.from_defaults(
        query_engine=AssistantQueryEngine(assistant, quotes=True, **engine),
        name=name,
        description=description
        or "Answers a question from the indexed news articles, quoting the exact sentences "
        "it rests on with [n] markers; says 'I could not find this in the articles.' when "
        "they do not support an answer. Input: one self-contained question.",
    )
