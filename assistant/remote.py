"""The command line through a running `assistant serve`.

The server holds the embedded index (one process writes it), so while it runs the CLI asks
it over HTTP instead of opening the index itself. `assistant serve` writes
`<index dir>/server.json` ({"pid", "url"}) once it listens and removes it when it stops;
`find()` reads it, checks that the process lives and answers, and returns a client.

Only the standard library is imported here: through a server the CLI loads neither torch,
Chroma nor the model, so it answers in a fraction of a second.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from assistant.errors import AssistantError

SERVER_FILE = "server.json"
TIMEOUT_S = 600  # an ingest of many files streams for minutes; a question takes well under


def index_dir() -> Path:
    """The embedded index folder, as `Settings.index_dir` resolves it (same variable, same
    default), without importing the settings (pydantic)."""
    return Path(os.environ.get("ASSISTANT_INDEX_DIR") or "index")


def announce(folder: Path, host: str, port: int) -> Path:
    """Written by `assistant serve` once it listens: where the CLI finds it."""
    if host in ("0.0.0.0", ""):
        host = "127.0.0.1"
    elif host == "::":
        host = "::1"
    if ":" in host:
        host = f"[{host}]"
    path = folder / SERVER_FILE
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({"pid": os.getpid(), "url": f"http://{host}:{port}"}))
    os.replace(tmp, path)
    return path


def withdraw(path: Path) -> None:
    """Removed when the server stops (only by the process that wrote it)."""
    try:
        if json.loads(path.read_text()).get("pid") == os.getpid():
            path.unlink()
    except (OSError, ValueError):
        pass


def find() -> Server | None:
    """The server holding this machine's embedded index, or None (no server, a Chroma server
    configured, or a stale file left by a server that was killed)."""
    if os.environ.get("ASSISTANT_CHROMA_URL"):
        return None  # a Chroma server is shared by design: no process holds the index
    try:
        info = json.loads((index_dir() / SERVER_FILE).read_text())
        pid, url = int(info["pid"]), str(info["url"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if not _alive(pid):
        return None
    server = Server(url, os.environ.get("ASSISTANT_API_TOKEN"), pid)
    try:
        server.health = server.get("/healthz", timeout=5)
    except AssistantError as e:
        if e.status == 401:
            raise
        return None
    return server


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, another user's
        return True
    return True


class Server:
    """A running `assistant serve`, spoken to over its HTTP API (README, /docs)."""

    def __init__(self, url: str, token: str | None, pid: int) -> None:
        self.url = url.rstrip("/")
        self.token = token
        self.pid = pid
        self.health: dict = {}

    # -- the calls the CLI makes --------------------------------------------------------------
    def status(self) -> dict:
        return {"server": self.url, **{k: v for k, v in self.health.items() if k != "ok"}}

    def articles(self) -> list[dict]:
        return self.get("/api/articles")["articles"]

    def remove(self, article_id: str) -> None:
        self._call("DELETE", f"/api/articles/{urllib.parse.quote(article_id, safe='')}")

    def edit(self, article_id: str, **fields: str | None) -> dict:
        body = {k: v for k, v in fields.items() if v is not None}
        return self._call("PATCH", f"/api/articles/{urllib.parse.quote(article_id, safe='')}", body)

    def ask(self, question: str, history: Sequence[dict] | None = None, **options: Any) -> dict:
        return self._call("POST", "/api/ask", _ask_body(question, history, options))

    def ask_stream(
        self, question: str, history: Sequence[dict] | None = None, **options: Any
    ) -> Iterator[tuple[str, Any]]:
        """As `Assistant.ask_stream`, from /api/chat's server-sent events; the answer comes as
        the answer contract (a dict)."""
        with self._open("POST", "/api/chat", _ask_body(question, history, options)) as r:
            event = None
            for raw in r:
                line = raw.decode("utf-8").rstrip("\r\n")
                if line.startswith("event: "):
                    event = line[len("event: ") :]
                elif line.startswith("data: ") and event:
                    data = json.loads(line[len("data: ") :])
                    yield event, data if event == "answer" else data["text"]
                    event = None

    def ingest(
        self, paths: Sequence[str | Path], source: str | None, published: str | None
    ) -> Iterator[dict]:
        """{"plan": {files, bytes}}, each file's {"result": ...} as the server commits it,
        then {"report": ...}. The server reads the files itself (it runs on this machine), so
        the paths go absolute."""
        body = {
            "paths": [str(Path(p).absolute()) for p in paths],
            "source": source,
            "published": published,
        }
        with self._open("POST", "/api/ingest", body) as r:
            for raw in r:
                if not raw.strip():
                    continue
                line = json.loads(raw)
                if "error" in line:  # the server failed after the stream began
                    raise AssistantError(line["error"], line.get("help"), status=503)
                yield line

    # -- HTTP ---------------------------------------------------------------------------------
    def get(self, path: str, timeout: float = TIMEOUT_S) -> Any:
        return self._call("GET", path, timeout=timeout)

    def _call(self, method: str, path: str, body: dict | None = None, timeout=TIMEOUT_S) -> Any:
        with self._open(method, path, body, timeout) as r:
            return json.loads(r.read())

    def _open(self, method: str, path: str, body: dict | None = None, timeout=TIMEOUT_S):
        headers = {"Accept": "application/json"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        request = urllib.request.Request(self.url + path, data, headers, method=method)
        try:
            return urllib.request.urlopen(request, timeout=timeout)
        except urllib.error.HTTPError as e:
            raise _error(e) from None
        except (urllib.error.URLError, OSError) as e:
            raise AssistantError(
                f"the assistant server at {self.url} (pid {self.pid}) did not answer: "
                f"{getattr(e, 'reason', e)}",
                help="check that `assistant serve` still runs, or stop it to use the index "
                "directly",
                status=503,
            ) from None


def _ask_body(question: str, history: Sequence[dict] | None, options: dict) -> dict:
    body: dict[str, Any] = {"question": question, "history": list(history or []) or None}
    if options.get("top_k") is not None:
        body["top_k"] = options["top_k"]
    if options.get("generate") is False:
        body["extractive"] = True
    return body


def _error(e: urllib.error.HTTPError) -> AssistantError:
    """The server's JSON error ({"error", "help"}) as the CLI's own error."""
    try:
        body = json.loads(e.read())
        help = body.get("help")
        if e.code == 401:  # the server wants a token this shell does not send
            help = "set ASSISTANT_API_TOKEN to the server's token in this shell"
        return AssistantError(str(body["error"]), help, status=e.code)
    except (ValueError, KeyError, TypeError, OSError):
        return AssistantError(
            f"the assistant server answered {e.code} {e.reason}",
            help="see the server's output",
            status=e.code,
        )
