"""Safe by default, against the running app: the API token and the page login, known
path-traversal patterns on Gradio's file routes and the static routes (logged in and not), the
component server, upload file names, and the bind address.

The server runs from a folder holding a canary file beside its index; no response may carry
the canary, /etc/passwd, the project's files or the index.
"""

from __future__ import annotations

import http.client
import json
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import pytest
import requests

from assistant.config import REPO_ROOT
from tests.integration.test_web import serving

pytestmark = pytest.mark.integration

CANARY = f"canary-{uuid.uuid4().hex}"
TOKEN, LOGIN = f"token-{uuid.uuid4().hex}", ("ann", f"pw-{uuid.uuid4().hex}")
BEARER = {"Authorization": f"Bearer {TOKEN}"}
SENSITIVE = ("root:x:0:0", CANARY, "[build-system]", "SQLite format 3", "HF_HUB_OFFLINE")


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    folder = tmp_path_factory.mktemp("security")
    (folder / "secret.txt").write_text(CANARY)
    with serving(folder, ASSISTANT_API_TOKEN=TOKEN, ASSISTANT_LOGIN=":".join(LOGIN)) as url:
        yield url, folder


@pytest.fixture(scope="module")
def session(app) -> requests.Session:
    """A browser-like session logged in to the page."""
    url, _ = app
    s = requests.Session()
    r = s.post(f"{url}/login", data={"username": LOGIN[0], "password": LOGIN[1]}, timeout=30)
    assert r.status_code == 200
    return s


def raw_get(url: str, path: str, session: requests.Session | None = None) -> tuple[int, bytes]:
    """GET `path` exactly as written: no client-side normalisation of `..` or `%2e`."""
    u = urlparse(url)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
    try:
        conn.putrequest("GET", path, skip_accept_encoding=True)
        if session is not None:
            cookies = "; ".join(f"{k}={v}" for k, v in session.cookies.items())
            conn.putheader("Cookie", cookies)
            conn.putheader("Authorization", BEARER["Authorization"])
        conn.endheaders()
        r = conn.getresponse()
        return r.status, r.read()
    finally:
        conn.close()


def traversals(folder: Path) -> list[str]:
    targets = [
        "/etc/passwd",
        str(folder / "secret.txt"),
        str(folder / "index" / "chroma.sqlite3"),
        str(REPO_ROOT / "pyproject.toml"),
        "/proc/self/environ",
    ]
    relative = [
        "../../../../../../../../etc/passwd",
        "secret.txt",
        "./secret.txt",
        "pyproject.toml",
    ]
    paths = []
    for prefix in ("/file=", "/gradio_api/file=", "/gradio_api/file/"):
        for t in targets + relative:
            paths += [
                prefix + t,
                prefix + t.replace("/", "%2F"),
                prefix + t.replace(".", "%2e").replace("/", "%2f"),
                prefix + "/" + t,  # doubled slash
                prefix + t.replace("/", "\\"),
            ]
    for static in ("/static", "/assets", "/gradio_api/static", "/svelte", "/theme.css", ""):
        for dots in ("../", "..%2F", "%2e%2e/", "%2e%2e%2f", "..%5c", "....//", "%252e%252e/"):
            paths += [
                f"{static}/{dots * 10}etc/passwd",
                f"{static}/{dots * 10}{str(folder / 'secret.txt').lstrip('/')}",
                f"{static}/{dots}secret.txt",
                f"{static}/{dots}{dots}pyproject.toml",
            ]
    paths += [
        "/gradio_api/file=" + str(folder / "index"),
        "/gradio_api/file=" + str(folder),
        "/api/articles/../../../../etc/passwd",
        "/api/articles/..%2F..%2F..%2Fetc%2Fpasswd",
        "/docs/../../../etc/passwd",
    ]
    return paths


def test_the_api_needs_the_token_and_the_page_its_login(app, session):
    url, _ = app
    ask = {"question": "who claimed the SDF deal?"}
    r = requests.post(f"{url}/api/ask", json=ask, timeout=60)
    assert r.status_code == 401 and r.json()["help"]
    assert requests.get(f"{url}/api/articles", timeout=30).status_code == 401
    wrong = {"Authorization": "Bearer nope"}
    assert requests.post(f"{url}/v1/chat/completions", json={}, headers=wrong).status_code == 401
    ok = requests.post(f"{url}/api/ask", json=ask, headers=BEARER, timeout=60)
    assert ok.status_code == 200 and ok.json()["short_answer"] == "Russian sources"
    assert requests.get(f"{url}/healthz", timeout=30).status_code == 200

    assert requests.get(f"{url}/config", timeout=30).status_code == 401
    assert (
        requests.post(f"{url}/gradio_api/upload", files=[("files", ("a.txt", b"x"))]).status_code
        == 401
    )
    assert session.get(f"{url}/config", timeout=30).status_code == 200


def test_gradio_client_needs_the_login(app):
    from gradio_client import Client

    url, _ = app
    with pytest.raises(Exception):  # noqa: B017 - any refusal will do
        Client(url, verbose=False, analytics_enabled=False)
    client = Client(url, auth=LOGIN, verbose=False, analytics_enabled=False)
    try:
        assert client.predict("who claimed the SDF deal?", api_name="/ask")["citations"]
    finally:
        client.close()


@pytest.mark.parametrize("logged_in", [False, True])
def test_known_traversal_patterns_get_nothing(app, session, logged_in: bool):
    url, folder = app
    paths = traversals(folder)
    leaks = []
    for path in paths:
        status, body = raw_get(url, path, session if logged_in else None)
        if any(s in body.decode("latin-1") for s in SENSITIVE):
            leaks.append(f"{status} {path}")
    assert len(paths) > 300 and not leaks, leaks


def test_file_routes_refuse_anything_gradio_did_not_make(app, session):
    url, folder = app
    for target in ("/etc/passwd", str(folder / "secret.txt"), str(REPO_ROOT / "pyproject.toml")):
        assert raw_get(url, f"/gradio_api/file={target}")[0] == 401
        status, _ = raw_get(url, f"/gradio_api/file={target}", session)
        assert status in (403, 404), (target, status)


def test_the_component_server_runs_no_arbitrary_method(app, session):
    url, _ = app
    config = session.get(f"{url}/config", timeout=30).json()
    ids = [c["id"] for c in config["components"]]
    for cid in ids:
        for fn in ("preprocess", "postprocess", "__init__", "ls", "move_resource_to_block_cache"):
            r = session.post(
                f"{url}/gradio_api/component_server",
                json={
                    "data": "/etc/passwd",
                    "component_id": cid,
                    "fn_name": fn,
                    "session_hash": "x",
                },
                timeout=30,
            )
            assert r.status_code >= 400, (cid, fn, r.status_code)
            assert not any(s in r.text for s in SENSITIVE)


def test_an_upload_name_cannot_leave_gradios_cache(app, session):
    url, folder = app
    escape = folder / f"escaped-{uuid.uuid4().hex}.txt"
    name = "../" * 12 + str(escape).lstrip("/")
    r = session.post(f"{url}/gradio_api/upload", files=[("files", (name, b"hello"))], timeout=30)
    assert r.status_code == 200
    (stored,) = r.json()
    assert not escape.exists()
    assert Path(stored).resolve().is_relative_to((folder / "gradio").resolve())


def test_the_http_api_never_shows_server_paths(app):
    url, folder = app
    listed = requests.get(f"{url}/api/articles", headers=BEARER, timeout=30).json()
    health = requests.get(f"{url}/healthz", timeout=30).json()
    assert listed["count"] == 1
    for body in (listed, health):
        assert str(folder) not in json.dumps(body) and str(REPO_ROOT) not in json.dumps(body)


def test_it_listens_on_loopback_only(app):
    url, _ = app
    port = urlparse(url).port
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("10.255.255.255", 1))  # picks the outward interface; sends nothing
            address = s.getsockname()[0]
        except OSError:
            address = "127.0.0.1"
    if address.startswith("127."):
        pytest.skip("this machine has no address but loopback")
    with pytest.raises(OSError), socket.create_connection((address, port), timeout=3):
        pass
