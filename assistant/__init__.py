"""Question answering over news articles with exact, verifiable citations."""

from __future__ import annotations

from assistant.chat import Assistant
from assistant.config import Settings
from assistant.errors import AssistantError
from assistant.types import Answer, Article, Citation

__all__ = ["Answer", "Article", "Assistant", "AssistantError", "Citation", "Settings"]
