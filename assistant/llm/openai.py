"""Any OpenAI-compatible endpoint (OpenAI, vLLM, llama.cpp's server, LM Studio), through
LlamaIndex's `OpenAILike`: chat or plain completion (`llm_api`), no retries (a failing endpoint
is reported at once and the extractive answer given), and its errors told in words."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from assistant.config import Settings
from assistant.errors import AssistantError
from assistant.llm import STOP, LLMError, Message, as_text, missing, short
from assistant.llm.llamaindex import LlamaIndexChat, chat_stream


def openai_like(settings: Settings) -> LlamaIndexChat:
    if not settings.llm_base_url and not settings.llm_api_key:
        raise AssistantError(
            "llm_backend 'openai' needs an endpoint",
            help="set ASSISTANT_LLM_BASE_URL (e.g. http://127.0.0.1:8080/v1) "
            "and ASSISTANT_LLM_MODEL, or ASSISTANT_LLM_API_KEY for OpenAI itself",
        )
    try:
        import httpx
        import openai
        from llama_index.llms.openai_like import OpenAILike
    except ImportError as e:
        raise missing("llama-index-llms-openai-like", "openai") from e
    model = settings.llm_model or "default"
    chat = settings.llm_api == "chat"
    options = {
        "model": model,
        "api_base": settings.llm_base_url or "https://api.openai.com/v1",
        "api_key": settings.llm_api_key.get_secret_value() if settings.llm_api_key else "unused",
        "is_chat_model": chat,
        "temperature": 0,
        "max_tokens": None,  # per call: the answer's and the condense prompt's limits differ
        "timeout": settings.llm_timeout_s,  # connect and each read; the deadline bounds the whole
        "max_retries": 0,
    }
    where = settings.llm_base_url or "the OpenAI API"

    def call(messages: Sequence[Message], max_tokens: int) -> Iterator[Any]:
        # A connection of its own, closed when the reading stops (done, the token cap, the
        # deadline): the server stops generating what nobody will read.
        with httpx.Client() as http:
            llm = OpenAILike(**options, http_client=http)
            if chat:
                yield from chat_stream(llm, messages, max_tokens, max_tokens=max_tokens)
            else:  # one plain-text prompt, and where a base model's completion should stop
                # (OpenAI's own API takes at most 4 stop strings)
                yield from llm.stream_complete(
                    as_text(messages), formatted=True, max_tokens=max_tokens, stop=STOP[:4]
                )

    def explain(e: Exception) -> LLMError | None:
        if isinstance(e, (openai.APITimeoutError, TimeoutError)):
            return LLMError(
                f"the language model at {where} did not answer within {settings.llm_timeout_s:g} s",
                help="check the server, or raise ASSISTANT_LLM_TIMEOUT_S",
            )
        if isinstance(e, openai.APIConnectionError):
            return LLMError(
                f"cannot reach the language model at {where}",
                help="start the server or fix ASSISTANT_LLM_BASE_URL",
            )
        if isinstance(e, openai.APIStatusError):
            return LLMError(
                f"the language model at {where} answered HTTP {e.status_code}: {short(e.message)}",
                help="check ASSISTANT_LLM_MODEL and ASSISTANT_LLM_API_KEY",
            )
        return None

    return LlamaIndexChat(f"openai:{model}", call, explain)
