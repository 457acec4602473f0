"""The web app: the Gradio page mounted in FastAPI, with a thin HTTP API beside it."""

from __future__ import annotations

import sys

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from assistant.chat import Assistant
from assistant.config import load_settings
from assistant.errors import AssistantError


class AskRequest(BaseModel):
    question: str = Field(..., description="The question about the articles.")
    history: list[dict] | None = Field(None, description='Earlier turns: {"role", "content"}.')
    top_k: int | None = Field(None, ge=1, le=100)


def create_app(assistant: Assistant) -> FastAPI:
    import gradio as gr

    from assistant.ui import build

    app = FastAPI(title="News assistant", description="Cited answers from news articles.")

    @app.exception_handler(AssistantError)
    async def _error(request: Request, e: AssistantError) -> JSONResponse:
        return JSONResponse({"error": e.message, "help": e.help}, status_code=e.status)

    @app.get("/healthz")
    def healthz() -> dict:
        return {"ok": True, **assistant.status()}

    @app.post("/api/ask")
    def ask(req: AskRequest) -> dict:
        return assistant.ask(req.question, history=req.history, top_k=req.top_k).to_dict()

    page = build(assistant)
    page.queue(max_size=64, default_concurrency_limit=2)
    return gr.mount_gradio_app(app, page, path="/")


def seed_if_empty(assistant: Assistant) -> None:
    if assistant.status()["articles"] == 0 and assistant.settings.seeds_dir.is_dir():
        report = assistant.ingest([assistant.settings.seeds_dir])
        print(f"indexed seeds: {report.to_dict()['added']} articles", file=sys.stderr)
        for r in report.failed:
            print(f"error: {r.message}", file=sys.stderr)


def serve(host: str | None = None, port: int | None = None) -> None:
    import uvicorn

    settings = load_settings()
    assistant = Assistant(settings=settings)
    seed_if_empty(assistant)
    host, port = host or settings.host, port or settings.port
    print(f"serving on http://{host}:{port}", file=sys.stderr)
    uvicorn.run(create_app(assistant), host=host, port=port, log_level="warning")
