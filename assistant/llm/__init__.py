"""Language models behind one small interface, chosen by `llm_backend` and imported lazily.

A model only phrases answers: what it writes is checked against the passages it was given
(assistant.answer.verify) before anyone sees it as an answer.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from typing import Protocol

from assistant.config import Settings
from assistant.errors import AssistantError

Message = dict[str, str]  # {"role": "system"|"user"|"assistant", "content": ...}


class LLMError(AssistantError):
    """The model could not answer (unreachable, failing, too slow): callers fall back."""


class LLM(Protocol):
    name: str  # what answered, recorded on answers: "openai:MODEL", "llamacpp:FILE"

    def stream(
        self, messages: Sequence[Message], max_tokens: int, deadline: float
    ) -> Iterator[str]:
        """Text pieces as the model writes them. Raises LLMError on any failure, and when
        `time.monotonic()` passes `deadline`."""
        ...


def load_llm(settings: Settings) -> LLM | None:
    """The configured model, or None for the extractive answerer. Nothing loads or connects
    until the first question."""
    match settings.llm_backend:
        case "none":
            return None
        case "openai":
            from assistant.llm.openai import openai_like

            return openai_like(settings)
        case "ollama":
            from assistant.llm.ollama import ollama

            return ollama(settings)
        case "llamacpp":
            from assistant.llm.llamacpp import LlamaCppChat

            return LlamaCppChat(settings)
    raise AssistantError(f"unknown llm_backend {settings.llm_backend!r}")


def complete(llm: LLM, messages: Sequence[Message], max_tokens: int, timeout_s: float) -> str:
    """The whole reply at once."""
    return "".join(llm.stream(messages, max_tokens, time.monotonic() + timeout_s))


# Where a plain-text completion of a prompt stops: the model starting another example or turn.
STOP = ["\n\n", "\nQuestion:", "<passage", "</passage", "<start_of_turn>", "<end_of_turn>"]


def as_text(messages: Sequence[Message]) -> str:
    """A chat prompt as one plain text, for the completion API (base models)."""
    return "\n\n".join(m["content"] for m in messages)


def check_deadline(deadline: float, timeout_s: float) -> None:
    if time.monotonic() > deadline:
        raise LLMError(
            f"the language model took longer than {timeout_s:g} s",
            help="raise ASSISTANT_LLM_TIMEOUT_S or use a faster model",
        )


def short(text: object, n: int = 200) -> str:
    """`text` on one line, at most `n` characters: a backend's error told in a notice."""
    line = " ".join(str(text).split())
    return line if len(line) <= n else line[: n - 1] + "\u2026"


def missing(package: str, extra: str) -> AssistantError:
    return AssistantError(
        f"the {package!r} package is needed for this llm_backend but is not installed",
        help=f"pip install -e '.[{extra}]' (or set ASSISTANT_LLM_BACKEND=none)",
    )
