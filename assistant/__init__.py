"""Question answering over news articles with exact, verifiable citations."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from assistant.chat import Assistant
    from assistant.config import Settings
    from assistant.errors import AssistantError
    from assistant.types import Answer, Article, Citation

__all__ = ["Answer", "Article", "Assistant", "AssistantError", "Citation", "Settings"]

# Loaded on first use: `assistant.cli` through a running server needs none of them, and
# importing the service costs seconds (torch, Chroma).
_HOMES = {
    "Assistant": "assistant.chat",
    "Settings": "assistant.config",
    "AssistantError": "assistant.errors",
    "Answer": "assistant.types",
    "Article": "assistant.types",
    "Citation": "assistant.types",
}


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module 'assistant' has no attribute {name!r}")
    return getattr(importlib.import_module(_HOMES[name]), name)
