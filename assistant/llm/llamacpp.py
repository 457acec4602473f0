"""A local GGUF model run in process by llama-cpp-python."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator, Sequence
from functools import cached_property

from assistant.config import Settings
from assistant.errors import AssistantError
from assistant.llm import STOP, LLMError, Message, as_text, check_deadline, missing


class LlamaCppChat:
    def __init__(self, settings: Settings) -> None:
        path = settings.llm_gguf_path
        if path is None:
            raise AssistantError(
                "llm_backend 'llamacpp' needs a model file",
                help="set ASSISTANT_LLM_GGUF_PATH to a .gguf file",
            )
        if not path.is_file():
            raise AssistantError(f"{path}: no such model file", help="fix ASSISTANT_LLM_GGUF_PATH")
        try:
            import llama_cpp  # noqa: F401
        except ImportError as e:
            raise missing("llama-cpp-python", "llm") from e
        self.path = path
        self.n_ctx = settings.llm_context_tokens
        self.timeout_s = settings.llm_timeout_s
        self.api = settings.llm_api
        self.name = f"llamacpp:{path.name}"
        self._lock = threading.Lock()  # one generation at a time: the model is not thread-safe

    @cached_property
    def model(self):
        from llama_cpp import Llama

        return Llama(
            model_path=str(self.path),
            n_ctx=self.n_ctx,
            n_threads=max(1, os.cpu_count() or 1),
            verbose=False,
        )

    def stream(
        self, messages: Sequence[Message], max_tokens: int, deadline: float
    ) -> Iterator[str]:
        with self._lock:
            try:
                if self.api == "completion":
                    reply = self.model.create_completion(
                        as_text(messages),
                        max_tokens=max_tokens,
                        temperature=0,
                        stop=STOP,
                        stream=True,
                    )
                else:
                    reply = self.model.create_chat_completion(
                        messages=list(messages), max_tokens=max_tokens, temperature=0, stream=True
                    )
                for chunk in reply:
                    check_deadline(deadline, self.timeout_s)
                    choice = chunk["choices"][0]
                    text = (
                        choice["delta"].get("content") if "delta" in choice else choice.get("text")
                    )
                    if text:
                        yield text
            except LLMError:
                raise
            except (ValueError, RuntimeError, OSError) as e:  # context overflow, load failure
                raise LLMError(f"the local model failed: {e}", help="check the GGUF file") from e
