"""Any OpenAI-compatible chat endpoint: OpenAI, vLLM, llama.cpp's server, Ollama, LM Studio."""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence

from assistant.config import Settings
from assistant.errors import AssistantError
from assistant.llm import STOP, LLMError, Message, as_text, check_deadline, missing


class OpenAIChat:
    def __init__(self, settings: Settings) -> None:
        if not settings.llm_base_url and not settings.llm_api_key:
            raise AssistantError(
                "llm_backend 'openai' needs an endpoint",
                help="set ASSISTANT_LLM_BASE_URL (e.g. http://127.0.0.1:8080/v1) "
                "and ASSISTANT_LLM_MODEL, or ASSISTANT_LLM_API_KEY for OpenAI itself",
            )
        self.base_url = settings.llm_base_url
        self.model = settings.llm_model or "default"
        self.timeout_s = settings.llm_timeout_s
        self.api = settings.llm_api
        key = settings.llm_api_key.get_secret_value() if settings.llm_api_key else "unused"
        try:
            import openai
        except ImportError as e:
            raise missing("openai", "openai") from e
        self._openai = openai
        # no retries: a failing endpoint is reported at once and the extractive answer given
        self.client = openai.OpenAI(
            base_url=self.base_url, api_key=key, timeout=self.timeout_s, max_retries=0
        )
        self.name = f"openai:{self.model}"

    def stream(
        self, messages: Sequence[Message], max_tokens: int, deadline: float
    ) -> Iterator[str]:
        openai = self._openai
        where = self.base_url or "the OpenAI API"
        try:
            remaining = max(0.1, deadline - time.monotonic())
            # timeout: connect and each read; the deadline bounds the whole answer
            if self.api == "completion":
                reply = self.client.completions.create(
                    model=self.model,
                    prompt=as_text(messages),
                    max_tokens=max_tokens,
                    temperature=0,
                    stop=STOP[:4],  # OpenAI's own API takes at most 4
                    stream=True,
                    timeout=remaining,
                )
            else:
                reply = self.client.chat.completions.create(
                    model=self.model,
                    messages=list(messages),  # type: ignore[arg-type]
                    max_tokens=max_tokens,
                    temperature=0,
                    stream=True,
                    timeout=remaining,
                )
            with reply:
                for chunk in reply:
                    check_deadline(deadline, self.timeout_s)
                    if chunk.choices and (text := _text(chunk.choices[0])):
                        yield text
        except LLMError:
            raise
        except openai.APITimeoutError as e:
            raise LLMError(
                f"the language model at {where} did not answer within {self.timeout_s:g} s",
                help="check the server, or raise ASSISTANT_LLM_TIMEOUT_S",
            ) from e
        except openai.APIConnectionError as e:
            raise LLMError(
                f"cannot reach the language model at {where}",
                help="start the server or fix ASSISTANT_LLM_BASE_URL",
            ) from e
        except openai.APIStatusError as e:
            raise LLMError(
                f"the language model at {where} answered HTTP {e.status_code}: {_short(e.message)}",
                help="check ASSISTANT_LLM_MODEL and ASSISTANT_LLM_API_KEY",
            ) from e
        except openai.OpenAIError as e:
            raise LLMError(f"the language model failed: {_short(str(e))}") from e


def _text(choice) -> str | None:
    delta = getattr(choice, "delta", None)  # chat chunks carry a delta, completions a text
    return delta.content if delta is not None else getattr(choice, "text", None)


def _short(text: str, n: int = 200) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= n else text[: n - 1] + "…"
