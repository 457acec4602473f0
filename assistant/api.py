"""The web app: the Gradio page mounted in FastAPI, with a thin HTTP API beside it.

Routes only convert: JSON in, `Assistant` call, the answer contract out. Every error is one
JSON shape, {"error": what happened, "help": what to do}, with the status `AssistantError`
carries (400 bad input, 401 no token, 404 unknown article, 413 too large, 415 unsupported
type, 503 busy or store down). Questions and uploads pass one gate that bounds how many run
at once (`settings.concurrency`) and how many wait (`settings.queue_size`).
"""

from __future__ import annotations

import asyncio
import hmac
import json
import re
import shutil
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

from fastapi import FastAPI, File, Form, Request, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Receive, Scope, Send

from assistant import render, uploads
from assistant.chat import AskOptions, Assistant
from assistant.errors import AssistantError
from assistant.ingest.load import SUPPORTED
from assistant.ingest.pipeline import article_meta
from assistant.types import Answer, Article, Citation, Claim, Event

MODEL = "news-assistant"  # the model name /v1 reports
MAX_UPLOAD_FILES = 32
MAX_JSON_BYTES = 1024 * 1024
API_PREFIXES = ("/api/", "/v1/")
T = TypeVar("T")


# -- request bodies ---------------------------------------------------------------------------
class Turn(BaseModel):
    role: Literal["user", "assistant", "system"]
    content: str


class FiltersIn(BaseModel):
    """Limits on the articles an answer may come from; every field optional, all must hold."""

    model_config = ConfigDict(extra="forbid")
    sources: list[str] | None = Field(None, description="Only articles from these sources.")
    published_from: str | None = Field(None, description="YYYY-MM-DD, inclusive.")
    published_to: str | None = Field(None, description="YYYY-MM-DD, inclusive.")
    article_ids: list[str] | None = Field(None, description="Only these articles.")


class AskRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    question: str = Field(..., description="The question about the articles.")
    history: list[Turn] | None = Field(
        None, max_length=100, description='Earlier turns, oldest first: {"role", "content"}.'
    )
    filters: FiltersIn | None = None
    top_k: int | None = Field(None, ge=1, le=100, description="Passages to retrieve.")
    extractive: bool = Field(
        False, description="Answer without the language model, even when one is configured."
    )


class IngestRequest(BaseModel):
    """Files or folders on the server's own disk (the command line beside a running server)."""

    model_config = ConfigDict(extra="forbid")
    paths: list[str] = Field(..., min_length=1, max_length=10_000)
    source: str | None = Field(None, description="The articles' outlet (overrides the files).")
    published: str | None = Field(None, description="YYYY-MM-DD (overrides the files).")


class ArticleEdit(BaseModel):
    """New values for an article's details; a field left out stays as it is."""

    model_config = ConfigDict(extra="forbid")
    title: str | None = None
    source: str | None = Field(None, description='The outlet; "" clears it.')
    published: str | None = Field(None, description='YYYY-MM-DD; "" clears it.')


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="allow")
    role: str
    content: str | list[dict[str, Any]] | None = None


class ChatCompletionRequest(BaseModel):
    """The OpenAI chat completions request; sampling fields are accepted and ignored."""

    model_config = ConfigDict(extra="allow")
    model: str | None = None
    messages: list[ChatMessage] = Field(..., min_length=1, max_length=200)
    stream: bool = False
    filters: FiltersIn | None = Field(None, description="Extension: as in /api/ask.")


class AnswerOut(BaseModel):
    """The answer contract (README, `Answer.to_dict()`): the answer with [n] markers and the
    quotes they cite; each quote is `GET /api/articles/{article_id}` text[start:end]."""

    model_config = ConfigDict(extra="allow")
    question: str
    answer: str
    short_answer: str | None
    abstained: bool
    citations: list[Citation]  # the dataclass itself: its schema is the contract's
    layout: str | None = None  # claims | speakers | compare | timeline: across articles
    agreement: str | None = None  # claims: differ | agree
    claims: list[Claim] = []
    timeline: list[Event] = []


# -- the gate ---------------------------------------------------------------------------------
class Gate:
    """At most `concurrency` calls run at once and `queue_size` wait; more are refused (503).
    Waiting happens on the event loop, so waiters hold no worker thread."""

    def __init__(self, concurrency: int, queue_size: int) -> None:
        self.concurrency = concurrency
        self.limit = concurrency + queue_size
        self.inside = 0
        self._slots: asyncio.Semaphore | None = None

    async def run(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        if self.inside >= self.limit:
            raise AssistantError(
                "the assistant is busy: too many requests are waiting",
                help="try again in a few seconds",
                status=503,
            )
        self._slots = self._slots or asyncio.Semaphore(self.concurrency)
        self.inside += 1
        try:
            async with self._slots:
                return await run_in_threadpool(fn, *args, **kwargs)
        finally:
            self.inside -= 1


# -- the guard --------------------------------------------------------------------------------
class Guard:
    """Checks /api and /v1 requests before their body is read: the bearer token (when one is
    set) and the declared body size."""

    def __init__(self, app: ASGIApp, token: str | None, max_upload: int) -> None:
        self.app, self.token, self.max_upload = app, token, max_upload

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith(API_PREFIXES):
            headers = Headers(scope=scope)
            refusal = self._refuse(scope, headers)
            if refusal is not None:
                await refusal(scope, receive, send)
                return
        await self.app(scope, receive, send)

    def _refuse(self, scope: Scope, headers: Headers) -> JSONResponse | None:
        if self.token:
            given = headers.get("authorization", "")
            scheme, _, value = given.partition(" ")
            if scheme.lower() != "bearer" or not hmac.compare_digest(
                value.strip().encode(), self.token.encode()
            ):
                return _error_response(
                    AssistantError(
                        "missing or wrong API token",
                        help="send the header `Authorization: Bearer <ASSISTANT_API_TOKEN>`",
                        status=401,
                    )
                )
        upload = scope["method"] == "POST" and scope["path"] == "/api/articles"
        limit = self.max_upload if upload else MAX_JSON_BYTES
        length = headers.get("content-length", "0")
        if not length.isdigit() or int(length) > limit:
            return _error_response(
                AssistantError(
                    f"the request body is over the {limit // 1024 // 1024} MB limit",
                    help="send fewer or smaller files" if upload else "send a shorter request",
                    status=413,
                )
            )
        return None


def _error_response(e: AssistantError) -> JSONResponse:
    headers = {"WWW-Authenticate": "Bearer"} if e.status == 401 else None
    if e.status == 503:
        headers = {"Retry-After": "2"}
    return JSONResponse({"error": e.message, "help": e.help}, status_code=e.status, headers=headers)


def _validation_message(e: RequestValidationError) -> str:
    problems = []
    for err in e.errors():
        where = ".".join(str(x) for x in err.get("loc", ()) if x != "body") or "body"
        problems.append(f"{where}: {err.get('msg', 'invalid')}")
    return "bad request: " + "; ".join(problems[:5])


# -- conversions ------------------------------------------------------------------------------
def _filters(f: FiltersIn | None) -> dict | None:
    return f.model_dump(exclude_none=True) if f else None


def _public(meta: dict) -> dict:
    """Article metadata for HTTP: the server's file path is reduced to the file's name."""
    out = {k: v for k, v in meta.items() if k != "path"}
    out["file"] = Path(meta["path"]).name if meta.get("path") else None
    return out


def _article(a: Article) -> dict:
    return {**_public(a.meta()), "text": a.text}


def _sse(event: str, data: dict) -> str:
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


def _text(content: str | list[dict[str, Any]] | None) -> str:
    if isinstance(content, list):  # OpenAI content parts: keep the text ones
        return "\n".join(p.get("text", "") for p in content if p.get("type") == "text")
    return content or ""


def _question_and_history(messages: list[ChatMessage]) -> tuple[str, list[dict]]:
    users = [i for i, m in enumerate(messages) if m.role == "user"]
    if not users:
        raise AssistantError(
            "no user message", help='the last {"role": "user"} message is the question'
        )
    last = users[-1]
    history = [
        {"role": m.role, "content": _text(m.content)}
        for m in messages[:last]
        if m.role in ("user", "assistant")
    ]
    return _text(messages[last].content), history


# -- the app ----------------------------------------------------------------------------------
def create_api(assistant: Assistant) -> FastAPI:
    """The HTTP API: /api (the answer contract), /v1 (OpenAI-style), /healthz, /docs."""
    settings = assistant.settings
    gate = Gate(settings.concurrency, settings.queue_size)
    max_bytes = int(settings.max_file_mb * 1024 * 1024)
    token = settings.api_token.get_secret_value() if settings.api_token else None

    app = FastAPI(
        title="News assistant",
        description="Cited answers from news articles. Errors are JSON "
        '`{"error": ..., "help": ...}`; bad input is 400 (never 422).'
        + (" Send `Authorization: Bearer <token>` to /api and /v1." if token else ""),
        version="1",
    )
    app.state.gate = gate
    app.add_middleware(Guard, token=token, max_upload=MAX_UPLOAD_FILES * max_bytes + MAX_JSON_BYTES)

    @app.exception_handler(AssistantError)
    async def _assistant_error(request: Request, e: AssistantError) -> JSONResponse:
        return _error_response(e)

    @app.exception_handler(RequestValidationError)
    async def _bad_request(request: Request, e: RequestValidationError) -> JSONResponse:
        return _error_response(
            AssistantError(_validation_message(e), help="see the request schemas at /docs")
        )

    @app.exception_handler(HTTPException)
    async def _http_error(request: Request, e: HTTPException) -> JSONResponse:
        return _error_response(
            AssistantError(str(e.detail), help="see /docs", status=e.status_code)
        )

    @app.get("/healthz", tags=["service"])
    def healthz() -> dict:
        """Liveness and what is indexed."""
        status = assistant.status()
        status = {k: v for k, v in status.items() if k != "location"}
        return {"ok": True, "llm_backend": settings.llm_backend, **status}

    @app.post("/api/ask", tags=["questions"])
    async def ask(req: AskRequest) -> AnswerOut:
        """Answer one question: the answer contract (README), every quote verified."""
        answer = await gate.run(_ask, assistant, req)
        return AnswerOut.model_validate(answer.to_dict())

    @app.post("/api/chat", tags=["questions"])
    async def chat(req: AskRequest) -> StreamingResponse:
        """Server-sent events: `delta` events ({"text"}) carry the draft as it is written (a
        model's words, not yet checked, or the extractive answer in pieces), an optional
        `notice` ({"text"}) says why a model's answer is not used, and one `answer` event
        carries the verified answer contract, which replaces the draft. A bad question or a
        busy server is an error response before the stream starts."""
        history, options = _history_and_options(req)

        def produce(emit: Callable[[tuple[str, Any]], None]) -> None:
            for event in assistant.ask_stream(req.question, history, **options):
                emit(event)

        events = _events(gate, produce)
        first = await anext(events)  # errors surface here, as a JSON error response

        async def sse() -> AsyncIterator[str]:
            async for kind, value in _chain(first, events):
                if kind == "answer":
                    yield _sse("answer", value.to_dict())
                elif kind == "notice":
                    yield _sse("notice", {"text": value})
                else:
                    for piece in render.pieces(value):
                        yield _sse("delta", {"text": piece})

        return StreamingResponse(sse(), media_type="text/event-stream", headers=_NO_CACHE)

    @app.get("/api/articles", tags=["articles"])
    def list_articles() -> dict:
        """Every indexed article's metadata (no text), in title order."""
        articles = [_public(a) for a in assistant.articles()]
        return {"count": len(articles), "articles": articles}

    @app.get("/api/articles/{article_id}", tags=["articles"])
    def get_article(article_id: str) -> dict:
        """One article: metadata and the text citation offsets point into."""
        with _listed_help():
            return _article(assistant.article(article_id))

    @app.delete("/api/articles/{article_id}", tags=["articles"])
    def delete_article(article_id: str) -> dict:
        """Remove an article and its chunks (404 when unknown)."""
        with _listed_help():
            assistant.remove(article_id)
        return {"removed": article_id}

    @app.patch("/api/articles/{article_id}", tags=["articles"])
    async def edit_article(article_id: str, req: ArticleEdit) -> dict:
        """Correct an article's title, source or date: its id, text and citation offsets
        stay; answers cite it with the new values (404 when the id is unknown)."""
        with _listed_help():
            a = await gate.run(assistant.edit, article_id, req.title, req.source, req.published)
        return _public(a.meta())

    @app.post("/api/articles/{article_id}/reindex", tags=["articles"])
    async def reindex_article(article_id: str) -> dict:
        """Read an article's file again: a changed file replaces the article (new id), an
        unchanged one changes nothing (404 when the id is unknown or the file is gone)."""
        with _listed_help():
            assistant.article(article_id)
        r = await gate.run(assistant.reindex, article_id)
        if r.status == "failed":
            raise AssistantError(r.message or "re-index failed", help="fix the file or remove it")
        return {"status": r.status, "article_id": r.article_id, "title": r.title}

    @app.post("/api/articles", tags=["articles"])
    async def upload(
        files: Annotated[list[UploadFile], File(description="One or more article files.")],
        source: Annotated[str | None, Form(description="Every file's outlet.")] = None,
        published: Annotated[str | None, Form(description="Every file's date.")] = None,
    ) -> JSONResponse:
        """Add articles (.txt .md .html .pdf .docx) from a multipart upload; one result per file.
        200 when at least one file was taken, else the failure's status (413, 415 or 400).
        `source` and `published` (YYYY-MM-DD), when given, replace what the files say."""
        article_meta(source, published)  # checked before any file is read
        if len(files) > MAX_UPLOAD_FILES:
            raise AssistantError(
                f"{len(files)} files in one upload", help=f"send at most {MAX_UPLOAD_FILES}"
            )
        with tempfile.TemporaryDirectory(prefix="assistant-upload-") as tmp:
            results, saved = await _save(files, Path(tmp), max_bytes)
            if saved:
                given = [(path, path.name) for path in saved]
                report = await gate.run(
                    uploads.ingest_uploads,
                    assistant,
                    given,
                    move=True,
                    source=source,
                    published=published,
                )
                for (path, _), r in zip(given, report.results):
                    results[saved[path]].update(
                        status=r.status,
                        article_id=r.article_id,
                        title=r.title,
                        chunks=r.chunks,
                        error=r.message if r.status == "failed" else None,
                        code=200 if r.status != "failed" else 400,
                    )
        body = {
            "added": sum(r["status"] in ("added", "replaced") for r in results),
            "unchanged": sum(r["status"] == "unchanged" for r in results),
            "copies": sum(r["status"] == "copy" for r in results),
            "failed": sum(r["status"] == "failed" for r in results),
            "files": results,
        }
        if body["failed"] < len(results):
            return JSONResponse(body)
        codes = {r["code"] for r in results}
        return JSONResponse(
            {
                "error": f"no file was added: {results[0]['error']}",
                "help": f"send {', '.join(sorted(SUPPORTED))} files of at most "
                f"{settings.max_file_mb:g} MB",
                **body,
            },
            status_code=codes.pop() if len(codes) == 1 else 400,
        )

    @app.post("/api/ingest", tags=["articles"])
    async def ingest(req: IngestRequest, request: Request) -> StreamingResponse:
        """Ingest files or folders from the server's own disk, for `assistant ingest` beside a
        running server (only from this machine: 403 otherwise). Streams JSON lines: one
        {"result": {path, status, article_id, title, chunks, message}} per file as it is
        committed, after a first {"plan": {files, bytes}}, and last {"report": {added,
        unchanged, copies, failed, files}}."""
        client = request.client.host if request.client else ""
        if client not in ("127.0.0.1", "::1", "localhost"):
            raise AssistantError(
                "ingest by path is only for clients on the server's machine",
                help="upload the files with POST /api/articles",
                status=403,
            )
        article_meta(req.source, req.published)  # a bad source or date: a JSON error response

        def produce(emit: Callable[[tuple[str, Any]], None]) -> None:
            report = assistant.ingest(
                req.paths,
                source=req.source,
                published=req.published,
                on_result=lambda r: emit(("result", asdict(r))),
                on_plan=lambda n, size: emit(("plan", {"files": n, "bytes": size})),
            )
            emit(("report", report.to_dict()))

        events = _events(gate, produce)
        first = await anext(events)  # a busy server: a JSON error response

        async def lines() -> AsyncIterator[str]:
            try:
                async for kind, value in _chain(first, events):
                    yield json.dumps({kind: value}, ensure_ascii=False) + "\n"
            except AssistantError as e:  # after the stream started: its last line
                yield json.dumps({"error": e.message, "help": e.help}, ensure_ascii=False) + "\n"

        return StreamingResponse(lines(), media_type="application/x-ndjson", headers=_NO_CACHE)

    @app.get("/v1/models", tags=["openai"])
    def models() -> dict:
        """The one model, for OpenAI clients that list models first."""
        return {
            "object": "list",
            "data": [{"id": MODEL, "object": "model", "created": 0, "owned_by": "assistant"}],
        }

    @app.post("/v1/chat/completions", tags=["openai"], response_model=None)
    async def completions(req: ChatCompletionRequest) -> dict | StreamingResponse:
        """OpenAI-compatible: the last user message is the question, earlier ones the history.
        The content ends with the quoted sentences; `citations` (the answer contract's) ride on
        the message (or, streaming, on the final chunk) and at the top level."""
        question, history = _question_and_history(req.messages)
        answer = await gate.run(
            assistant.ask, question, history=history, filters=_filters(req.filters)
        )
        cid, created = f"chatcmpl-{uuid.uuid4().hex}", int(time.time())
        citations = answer.to_dict()["citations"]
        head = {"id": cid, "created": created, "model": MODEL}
        if not req.stream:
            return {
                **head,
                "object": "chat.completion",
                "choices": [
                    {
                        "index": 0,
                        "message": {
                            "role": "assistant",
                            "content": render.plain(answer.to_dict()),
                            "citations": citations,
                        },
                        "finish_reason": "stop",
                    }
                ],
                "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
                "citations": citations,
                "abstained": answer.abstained,
            }

        def chunk(delta: dict, finish: str | None = None, **extra: Any) -> str:
            choice = {"index": 0, "delta": delta, "finish_reason": finish}
            if finish:  # the final chunk: citations on the choice and at the top level
                choice["citations"] = citations
            body = {**head, "object": "chat.completion.chunk", "choices": [choice], **extra}
            return f"data: {json.dumps(body, ensure_ascii=False)}\n\n"

        async def stream() -> AsyncIterator[str]:
            yield chunk({"role": "assistant", "content": ""})
            for piece in render.pieces(render.plain(answer.to_dict())):
                yield chunk({"content": piece})
            yield chunk({}, "stop", citations=citations, abstained=answer.abstained)
            yield "data: [DONE]\n\n"

        return StreamingResponse(stream(), media_type="text/event-stream", headers=_NO_CACHE)

    app.openapi = lambda: _openapi_400(app)
    return app


_NO_CACHE = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}


class ErrorBody(BaseModel):
    error: str = Field(..., description="What went wrong.")
    help: str | None = Field(None, description="What to do about it.")


def _openapi_400(app: FastAPI) -> dict:
    """The OpenAPI description, saying what the app does: bad input is 400 {"error", "help"},
    where FastAPI would document 422."""
    if app.openapi_schema is None:
        from fastapi.openapi.utils import get_openapi

        schema = get_openapi(
            title=app.title, version=app.version, description=app.description, routes=app.routes
        )
        schemas = schema.setdefault("components", {}).setdefault("schemas", {})
        schemas["ErrorBody"] = ErrorBody.model_json_schema()
        for operations in schema.get("paths", {}).values():
            for op in operations.values():
                responses = op.get("responses", {})
                if responses.pop("422", None) is not None:
                    responses["400"] = {
                        "description": "Bad input",
                        "content": {
                            "application/json": {
                                "schema": {"$ref": "#/components/schemas/ErrorBody"}
                            }
                        },
                    }
        for name in ("HTTPValidationError", "ValidationError"):
            schemas.pop(name, None)
        app.openapi_schema = schema
    return app.openapi_schema


@contextmanager
def _listed_help() -> Iterator[None]:
    """An unknown article's help, said for HTTP clients rather than the command line."""
    try:
        yield
    except AssistantError as e:
        if e.status == 404:
            e.help = "GET /api/articles lists the articles and their ids"
        raise


async def _events(
    gate: Gate, produce: Callable[[Callable[[tuple[str, Any]], None]], None]
) -> AsyncIterator[tuple[str, Any]]:
    """The events a blocking `produce(emit)` emits, run through the gate on a worker thread
    and handed to the event loop as they come; its errors (and the gate's busy refusal) are
    raised here."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue = asyncio.Queue()
    done = object()

    def pump() -> None:
        try:
            produce(lambda event: loop.call_soon_threadsafe(queue.put_nowait, event))
        except BaseException as e:
            loop.call_soon_threadsafe(queue.put_nowait, e)
        finally:
            loop.call_soon_threadsafe(queue.put_nowait, done)

    task = asyncio.ensure_future(gate.run(pump))
    while True:
        if task.done():
            task.result()  # the gate refused: raise its error
            item = await queue.get()
        else:
            getter = asyncio.ensure_future(queue.get())
            await asyncio.wait({getter, task}, return_when=asyncio.FIRST_COMPLETED)
            if not getter.done():
                getter.cancel()
                continue
            item = getter.result()
        if item is done:
            return
        if isinstance(item, BaseException):
            raise item
        yield item


async def _chain(first: Any, rest: AsyncIterator[Any]) -> AsyncIterator[Any]:
    yield first
    async for item in rest:
        yield item


def _ask(assistant: Assistant, req: AskRequest) -> Answer:
    history, options = _history_and_options(req)
    return assistant.ask(req.question, history, **options)


def _history_and_options(req: AskRequest) -> tuple[list[dict] | None, AskOptions]:
    history = [t.model_dump() for t in req.history] if req.history else None
    generate = False if req.extractive else None
    return history, {"top_k": req.top_k, "filters": _filters(req.filters), "generate": generate}


async def _save(
    files: list[UploadFile], folder: Path, max_bytes: int
) -> tuple[list[dict], dict[Path, int]]:
    """Write each upload under `folder/<n>/<its own name>` (the name gives the title when the
    article has none); refuse wrong types (415) and oversized files (413) before ingest."""
    results: list[dict] = []
    saved: dict[Path, int] = {}
    for i, f in enumerate(files):
        name = safe_name(f.filename)
        result = {"file": name, "status": "failed", "article_id": None, "title": None}
        result |= {"chunks": 0, "error": None, "code": 400}
        results.append(result)
        suffix = Path(name).suffix.lower()
        if suffix not in SUPPORTED:
            result |= {
                "error": f"{name}: unsupported file type '{suffix or '(none)'}'",
                "code": 415,
            }
            continue
        path = folder / str(i) / name
        path.parent.mkdir()
        size = 0
        with path.open("wb") as out:
            while chunk := await f.read(1024 * 1024):
                size += len(chunk)
                if size > max_bytes:
                    break
                out.write(chunk)
        if size > max_bytes:
            shutil.rmtree(path.parent)
            mb = max_bytes / 1024 / 1024
            result |= {"error": f"{name}: file is over the {mb:g} MB limit", "code": 413}
            continue
        saved[path] = i
    return results, saved


def safe_name(filename: str | None) -> str:
    """A plain file name from what the client sent: no folders, no control characters."""
    name = re.split(r"[\\/]", filename or "")[-1]
    name = re.sub(r"[\x00-\x1f\x7f]", "", name).strip().lstrip(".")
    return name[:200] or "upload"
