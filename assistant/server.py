"""The app `assistant serve` runs: the HTTP API (assistant.api) with the web page
(assistant.ui) mounted at /. The only module besides the page that imports Gradio."""

from __future__ import annotations

import sys
from pathlib import Path

import uvicorn
from fastapi import FastAPI

from assistant import remote
from assistant.api import create_api
from assistant.chat import Assistant
from assistant.config import load_settings
from assistant.ui import mount


def create_app(assistant: Assistant) -> FastAPI:
    """The HTTP API with the web page mounted at /."""
    return mount(create_api(assistant), assistant)


def serve(host: str | None = None, port: int | None = None) -> None:
    settings = load_settings()
    assistant = Assistant(settings=settings)
    assistant.seed_if_empty(lambda line: print(line, file=sys.stderr))
    assistant.warm()
    host, port = host or settings.host, port or settings.port
    if host not in ("127.0.0.1", "localhost", "::1") and not (
        settings.api_token and settings.login
    ):
        print(
            f"warning: listening on {host} without ASSISTANT_API_TOKEN and ASSISTANT_LOGIN: "
            "anyone who can reach it can read, add and remove articles",
            file=sys.stderr,
        )
    print(f"serving on http://{host}:{port}", file=sys.stderr)
    app = create_app(assistant)
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level="warning",
        timeout_graceful_shutdown=3,  # open event streams must not hold up a stop
    )
    folder = settings.index_dir if settings.chroma_url is None else None
    _Announced(config, folder).run()


class _Announced(uvicorn.Server):
    """A uvicorn server that, while it listens, tells the command line where to find it:
    `<index dir>/server.json` (assistant.remote), written once it listens and removed as it
    stops (uvicorn re-raises SIGTERM after its shutdown, so no `finally` would run)."""

    def __init__(self, config: uvicorn.Config, folder: Path | None) -> None:
        super().__init__(config)
        self.folder = folder
        self.announced: Path | None = None

    async def startup(self, sockets=None) -> None:
        await super().startup(sockets)
        if self.started and self.folder is not None:
            self.announced = remote.announce(self.folder, self.config.host, self.config.port)

    async def shutdown(self, sockets=None) -> None:
        if self.announced is not None:
            remote.withdraw(self.announced)
        await super().shutdown(sockets)
