"""A model served by Ollama, through LlamaIndex's `Ollama` integration (its native API)."""

from __future__ import annotations

from assistant.config import Settings
from assistant.errors import AssistantError
from assistant.llm import missing
from assistant.llm.llamaindex import LlamaIndexChat


def ollama(settings: Settings) -> LlamaIndexChat:
    if not settings.llm_model:
        raise AssistantError(
            "llm_backend 'ollama' needs a model",
            help="set ASSISTANT_LLM_MODEL to a model `ollama list` shows (e.g. llama3.2), and "
            "ASSISTANT_LLM_BASE_URL if Ollama is not at http://localhost:11434",
        )
    try:
        from llama_index.llms.ollama import Ollama
    except ImportError as e:
        raise missing("llama-index-llms-ollama", "ollama") from e
    llm = Ollama(
        model=settings.llm_model,
        base_url=settings.llm_base_url or "http://localhost:11434",
        temperature=0,
        request_timeout=settings.llm_timeout_s,
        context_window=settings.llm_context_tokens,
    )
    return LlamaIndexChat(llm, f"ollama:{settings.llm_model}", timeout_s=settings.llm_timeout_s)
