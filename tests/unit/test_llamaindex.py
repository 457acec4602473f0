"""The assistant through LlamaIndex's own classes (over the fake embedder): any LlamaIndex LLM
phrases answers and is verified like ours, and the query engine tool works in a real
LlamaIndex agent. The model here is a scripted `CustomLLM`, a LlamaIndex LLM class of its own;
nothing of LlamaIndex is mocked."""

from __future__ import annotations

import asyncio
import re
import threading
from typing import Any

import pytest
from llama_index.core.agent.workflow import ReActAgent
from llama_index.core.llms import CompletionResponse, CustomLLM, LLMMetadata
from llama_index.core.llms.callbacks import llm_completion_callback
from pydantic import Field

from assistant import Assistant, AssistantError
from assistant.llamaindex import query_engine_tool
from tests.conftest import FakeEmbedder
from tests.unit.test_llm import SEED


class Scripted(CustomLLM):
    """Replies in order, streamed word by word; an exception in the script is raised, and a
    threading.Event is waited on (a model that hangs until released)."""

    replies: list[Any]
    prompts: list[str] = Field(default_factory=list)
    deltas: bool = True  # False: only the running text, as LlamaIndex allows

    @property
    def metadata(self) -> LLMMetadata:
        return LLMMetadata(model_name="scripted", is_chat_model=False)

    @llm_completion_callback()
    def complete(self, prompt: str, formatted: bool = False, **kw: Any) -> CompletionResponse:
        return CompletionResponse(text="".join(r.delta for r in self.stream_complete(prompt)))

    @llm_completion_callback()
    def stream_complete(self, prompt: str, formatted: bool = False, **kw: Any):
        self.prompts.append(prompt)
        reply = self.replies.pop(0)
        if isinstance(reply, threading.Event):
            reply.wait(10)
            reply = "Too late [1]."
        if isinstance(reply, Exception):
            raise reply
        text = ""
        for word in re.findall(r"\S+\s*", reply):
            text += word
            yield CompletionResponse(text=text, delta=word if self.deltas else None)


@pytest.fixture
def seeded(settings) -> Assistant:
    a = Assistant(settings=settings, embedder=FakeEmbedder())
    a.ingest([SEED])
    return a


def with_llamaindex(settings, *replies: Any) -> tuple[Assistant, Scripted]:
    llm = Scripted(replies=list(replies))
    a = Assistant(settings=settings, embedder=FakeEmbedder(), llm=llm)
    a.ingest([SEED])
    return a, llm


def test_a_llamaindex_llm_phrases_the_answer_and_is_verified(settings):
    a, llm = with_llamaindex(
        settings, "The airstrikes destroyed 36 vehicles [1]. They also sank 12 ships [1]."
    )
    answer = a.ask("how many vehicles were destroyed?")
    assert answer.mode == "generative" and answer.model == "llamaindex:Scripted:scripted"
    assert answer.answer == "The airstrikes destroyed 36 vehicles [1]."
    assert [r["text"] for r in answer.removed] == ["They also sank 12 ships."]
    c = answer.citations[0]
    assert a.article(c.article_id).text[c.start : c.end] == c.quote and "36 vehicles" in c.quote
    # the model read our prompt: the system rules and the numbered passages
    assert "never an instruction" in llm.prompts[0] and '<passage n="1"' in llm.prompts[0]


def test_a_llm_that_streams_only_its_running_text_is_read_too(settings):
    llm = Scripted(replies=["The airstrikes destroyed 36 vehicles [1]."], deltas=False)
    a = Assistant(settings=settings, embedder=FakeEmbedder(), llm=llm)
    a.ingest([SEED])
    answer = a.ask("how many vehicles were destroyed?")
    assert (
        answer.mode == "generative" and answer.answer == "The airstrikes destroyed 36 vehicles [1]."
    )


def test_a_failing_or_hung_llamaindex_llm_gives_the_extractive_answer(settings):
    a, _ = with_llamaindex(settings, ConnectionError("refused"))
    answer = a.ask("how many vehicles were destroyed?")
    assert answer.mode == "extractive" and "36 vehicles" in answer.answer
    assert "ConnectionError: refused" in answer.notice

    release = threading.Event()
    a, _ = with_llamaindex(settings, release)
    a.settings = a.settings.model_copy(update={"llm_timeout_s": 0.5})
    try:
        answer = a.ask("how many vehicles were destroyed?")
    finally:
        release.set()
    assert answer.mode == "extractive" and "did not answer in time" in answer.notice


def test_llm_must_be_a_model():
    with pytest.raises(AssistantError, match="must be a LlamaIndex LLM"):
        Assistant(llm="gpt-4")


def test_the_tool_answers_inside_a_llamaindex_agent(seeded: Assistant):
    """A ReAct agent (LlamaIndex's own loop) calls the tool; what the agent's model reads back
    is the verified answer with its quoted sentence."""
    llm = Scripted(
        replies=[
            "Thought: I need to look this up.\nAction: news_articles\n"
            'Action Input: {"input": "how many vehicles were destroyed?"}',
            "Thought: I can answer without using any more tools.\nAnswer: 36 vehicles.",
        ]
    )
    agent = ReActAgent(tools=[query_engine_tool(seeded)], llm=llm)

    async def run():
        return await agent.run(user_msg="How many vehicles were destroyed?")

    result = asyncio.run(run())
    assert str(result) == "36 vehicles."
    (call,) = result.tool_calls
    response = call.tool_output.raw_output
    assert "36 vehicles" in response.response and "\u201c" in response.response  # the quote
    observation = llm.prompts[-1].split("Observation:")[-1]
    assert "36 vehicles" in observation and "\n\n[1] (According to a Thursday" in observation
    for node in response.source_nodes:
        n = node.node
        assert seeded.article(n.metadata["article_id"]).text[n.start_char_idx : n.end_char_idx] == (
            n.text
        )
