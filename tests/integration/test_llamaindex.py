"""The seed questions through LlamaIndex's interfaces, on the real embedder: the retriever's
nodes, the query engine's response and the tool's output are verbatim article text."""

from __future__ import annotations

import asyncio

import pytest
from llama_index.core.retrievers import BaseRetriever
from llama_index.core.schema import NodeWithScore, QueryBundle

from assistant import Assistant
from assistant.llamaindex import query_engine_tool

pytestmark = pytest.mark.integration
QUESTIONS = {
    "how many vehicles were destroyed?": "36 vehicles",
    "who claimed the SDF deal?": "Russian sources",
}


def verbatim(a: Assistant, nodes: list[NodeWithScore]) -> None:
    assert nodes
    for n in nodes:
        node = n.node
        text = a.article(node.metadata["article_id"]).text
        assert text[node.start_char_idx : node.end_char_idx] == node.text
        assert node.metadata["title"].startswith("Russian airstrikes")
        assert node.metadata["source"] == "Iran Press TV"
        assert node.metadata["published"] == "2017-06-01"


def test_the_retriever_finds_the_answer_sentences_verbatim(seeded: Assistant):
    retriever = seeded.as_retriever(top_k=4)
    assert isinstance(retriever, BaseRetriever)
    for question, expected in QUESTIONS.items():
        nodes = retriever.retrieve(question)
        verbatim(seeded, nodes)
        assert len(nodes) <= 4 and nodes[0].score >= nodes[-1].score
        assert any(expected in n.node.text for n in nodes[:2])
    assert asyncio.run(retriever.aretrieve("who claimed the SDF deal?"))
    assert seeded.as_retriever(filters={"sources": ["Nobody"]}).retrieve("SDF deal") == []


def test_the_query_engine_answers_with_the_cited_sentences(seeded: Assistant):
    engine = seeded.as_query_engine()
    for question, expected in QUESTIONS.items():
        response = engine.query(question)
        answer = seeded.ask(question)
        assert str(response) == answer.answer and expected in str(response)
        verbatim(seeded, response.source_nodes)
        assert [n.node.metadata["n"] for n in response.source_nodes] == [
            c.n for c in answer.citations
        ]
        assert response.metadata["answer"]["citations"][0]["quote"] == (
            response.source_nodes[0].node.text
        )
    unknown = engine.query("what did the mayor of Lisbon eat?")
    assert unknown.metadata["answer"]["abstained"] and unknown.source_nodes == []
    assert str(asyncio.run(engine.aquery("who claimed the SDF deal?"))).startswith("Russian")
    verbatim(seeded, engine.retrieve(QueryBundle("who claimed the SDF deal?")))


def test_the_tool_gives_the_answer_with_its_quotes(seeded: Assistant):
    tool = query_engine_tool(seeded)
    assert tool.metadata.name == "news_articles"
    out = tool.call("who claimed the SDF deal?")
    assert out.content.startswith("Russian sources [1].")
    assert "[1] \u201cAccording to Russian sources" in out.content
    verbatim(seeded, out.raw_output.source_nodes)
