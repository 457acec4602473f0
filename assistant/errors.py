"""One error type that says what went wrong and what to do next."""

from __future__ import annotations


class AssistantError(Exception):
    """An error a user can act on: `message` says what happened, `help` what to do."""

    def __init__(self, message: str, help: str | None = None, *, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.help = help
        self.status = status  # the HTTP status a web front end should answer with

    def __str__(self) -> str:
        return f"{self.message} ({self.help})" if self.help else self.message
