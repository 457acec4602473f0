"""A model served by Ollama, through LlamaIndex's `Ollama` integration (its native API)."""

from __future__ import annotations

import functools

from assistant.config import Settings
from assistant.errors import AssistantError
from assistant.llm import LLMError, missing, short
from assistant.llm.llamaindex import LlamaIndexChat, chat_stream


def ollama(settings: Settings) -> LlamaIndexChat:
    if not settings.llm_model:
        raise AssistantError(
            "llm_backend 'ollama' needs a model",
            help="set ASSISTANT_LLM_MODEL to a model `ollama list` shows (e.g. llama3.2), and "
            "ASSISTANT_LLM_BASE_URL if Ollama is not at http://localhost:11434",
        )
    try:
        import httpx
        import ollama as ollama_errors
        from llama_index.llms.ollama import Ollama
    except ImportError as e:
        raise missing("llama-index-llms-ollama", "ollama") from e
    llm = Ollama(
        model=settings.llm_model,
        base_url=settings.llm_base_url or "http://localhost:11434",
        temperature=0,
        request_timeout=settings.llm_timeout_s,
        context_window=settings.llm_context_tokens,
        additional_kwargs={"num_predict": settings.llm_max_tokens},
    )
    where = llm.base_url

    def explain(e: Exception) -> LLMError | None:
        if isinstance(e, httpx.ConnectError):
            return LLMError(
                f"cannot reach Ollama at {where}",
                help="start it (`ollama serve`) or fix ASSISTANT_LLM_BASE_URL",
            )
        if isinstance(e, ollama_errors.ResponseError):
            return LLMError(
                f"Ollama at {where} answered {e.status_code}: {short(e.error)}",
                help=f"check ASSISTANT_LLM_MODEL (`ollama pull {settings.llm_model}`)",
            )
        return None

    return LlamaIndexChat(
        f"ollama:{settings.llm_model}",
        functools.partial(chat_stream, llm),
        explain,
        settings.llm_timeout_s,
    )
