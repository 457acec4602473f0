"""Any LlamaIndex LLM (`llama_index.core.llms.LLM`: OpenAILike, LlamaCPP, Ollama, ...) as the
model that phrases answers: `Assistant(llm=...)`. What it writes is verified like any model's.

LlamaIndex's LLMs take no deadline, so the model streams in a worker thread and the answer
waits for each piece only until the deadline: a hung model costs the user `llm_timeout_s`, then
the extractive answer. Generation stops after `max_tokens` pieces (a piece is about a token).
"""

from __future__ import annotations

import functools
import queue
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from assistant.errors import AssistantError
from assistant.llm import LLM, LLMError, Message, short

_DONE = object()


def as_llm(model: object) -> LLM:
    """`model` behind this package's interface: a LlamaIndex LLM is wrapped
    (assistant.llm.llamaindex); an object that already has it is taken as it is."""
    if is_llamaindex_llm(model):  # first: a LlamaIndex LLM has a `stream` of its own
        name = getattr(model.metadata, "model_name", None) or "unknown"  # type: ignore[attr-defined]
        return LlamaIndexChat(
            f"llamaindex:{type(model).__name__}:{name}", functools.partial(chat_stream, model)
        )
    if callable(getattr(model, "stream", None)) and isinstance(getattr(model, "name", None), str):
        return model  # type: ignore[return-value]
    raise AssistantError(
        f"llm must be a LlamaIndex LLM, not {type(model).__name__}",
        help="pass an object of a llama_index.core.llms.LLM class (OpenAILike, LlamaCPP, "
        "Ollama, ...), or leave llm unset and configure ASSISTANT_LLM_BACKEND",
    )


def is_llamaindex_llm(model: object) -> bool:
    from llama_index.core.llms import LLM

    return isinstance(model, LLM)


Stream = Callable[[Sequence[Message], int], Iterable[Any]]  # (messages, max_tokens): responses


def chat_stream(
    llm: Any, messages: Sequence[Message], max_tokens: int, /, **kwargs: Any
) -> Iterable[Any]:
    """Any LlamaIndex LLM's streamed chat (a completion model gets its own prompt format);
    `kwargs` go to the model's API, for backends that know what it takes."""
    from llama_index.core.llms import ChatMessage

    chat = [ChatMessage(role=m["role"], content=m["content"]) for m in messages]
    return llm.stream_chat(chat, **kwargs)


class LlamaIndexChat:
    """A LlamaIndex model's streamed responses (`call`: `chat_stream` bound to the model, or a
    backend's own) behind this package's LLM interface; `explain` puts a backend's exceptions
    in words and says what to do."""

    def __init__(
        self,
        name: str,
        call: Stream,
        explain: Callable[[Exception], LLMError | None] = lambda e: None,
        timeout_s: float | None = None,
    ) -> None:
        self.name = name
        self.call = call
        self.explain = explain
        self.timeout_s = timeout_s  # only to say it: the deadline each call gets is the limit

    def stream(
        self, messages: Sequence[Message], max_tokens: int, deadline: float
    ) -> Iterator[str]:
        pieces: queue.Queue = queue.Queue()
        stop = threading.Event()

        def produce() -> None:
            responses = self.call(messages, max_tokens)
            try:
                said = ""
                for n, response in enumerate(responses):
                    if stop.is_set() or n >= max_tokens:
                        break
                    piece, said = _new_text(response, said)
                    if piece:
                        pieces.put(piece)
                pieces.put(_DONE)
            except Exception as e:  # handed to the reader, which raises it as an LLMError
                pieces.put(e)
            finally:  # a backend's own generator closes its connection here
                close = getattr(responses, "close", None)
                if close is not None:
                    close()

        threading.Thread(target=produce, name="llamaindex-llm", daemon=True).start()
        try:
            while True:
                try:
                    piece = pieces.get(timeout=max(0.0, deadline - time.monotonic()))
                except queue.Empty:
                    piece = TimeoutError()
                if time.monotonic() > deadline:  # also when pieces come faster than read
                    piece = TimeoutError()
                if piece is _DONE:
                    return
                if isinstance(piece, Exception):
                    raise self._error(piece) from (
                        None if isinstance(piece, TimeoutError) else piece
                    )
                yield piece
        finally:
            stop.set()  # the worker stops at its next piece once nobody reads

    def _error(self, e: Exception) -> LLMError:
        """`e` in words: the backend's own wording when it has one."""
        explained = self.explain(e)
        if explained is not None:
            return explained
        if isinstance(e, TimeoutError):
            within = f"within {self.timeout_s:g} s" if self.timeout_s else "in time"
            return LLMError(
                f"the language model ({self.name}) did not answer {within}",
                help="raise ASSISTANT_LLM_TIMEOUT_S or use a faster model",
            )
        return LLMError(f"the language model ({self.name}) failed: {type(e).__name__}: {short(e)}")


def _new_text(response: Any, said: str) -> tuple[str, str]:
    """The text a streamed response adds, and all said so far. LlamaIndex's `delta` is
    optional: a model that fills only the running text (`.text`, or `.message.content`) gives
    its new part."""
    if response.delta is not None:
        return response.delta, said + response.delta
    message = getattr(response, "message", None)
    text = getattr(response, "text", None) or (message.content if message is not None else "")
    text = text or ""
    return (text[len(said) :], text) if text.startswith(said) else (text, said + text)
