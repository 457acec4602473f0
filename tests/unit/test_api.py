"""The HTTP API in process (FastAPI's test client) over the fake embedder: routes, statuses,
error bodies, streaming formats, uploads, the token, the page login and the busy gate."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from starlette.routing import Mount

from assistant import Assistant, AssistantError, Settings
from assistant.api import Gate, safe_name
from assistant.server import create_app
from tests.conftest import SEEDS, FakeEmbedder

Q = "how many vehicles were destroyed?"


def make_app(tmp: Path, **settings) -> tuple[Assistant, TestClient]:
    s = Settings(index_dir=tmp / "index", collection="api-test", **settings)
    assistant = Assistant(settings=s, embedder=FakeEmbedder())
    assert assistant.ingest([SEEDS]).ok
    return assistant, TestClient(create_app(assistant))


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> tuple[Assistant, TestClient]:
    return make_app(tmp_path_factory.mktemp("api"), max_file_mb=0.01)


@pytest.fixture(scope="module")
def client(app) -> TestClient:
    return app[1]


def error(r) -> dict:
    body = r.json()
    assert set(body) >= {"error", "help"} and body["error"] and body["help"], body
    return body


def sse(text: str) -> list[tuple[str, dict]]:
    events = []
    for block in text.strip().split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.splitlines())
        events.append((fields["event"], json.loads(fields["data"])))
    return events


def test_health_hides_the_index_location(client: TestClient):
    health = client.get("/healthz").json()
    assert health["ok"] and health["articles"] == 1 and "location" not in health


def test_ask_returns_the_answer_contract(client: TestClient):
    answer = client.post("/api/ask", json={"question": Q}).json()
    assert answer["short_answer"] == "36 vehicles" and not answer["abstained"]
    assert answer["support"] > 0  # fields beyond the documented ones pass through
    c = answer["citations"][0]
    text = client.get(f"/api/articles/{c['article_id']}").json()["text"]
    assert text[c["start"] : c["end"]] == c["quote"]


def test_ask_takes_history_and_filters(client: TestClient):
    follow = client.post(
        "/api/ask",
        json={"question": "and on May 25?", "history": [{"role": "user", "content": Q}]},
    ).json()
    assert "32 pick-up trucks" in follow["answer"] or "120" in follow["answer"]
    none = client.post("/api/ask", json={"question": Q, "filters": {"sources": ["Nobody"]}})
    assert none.status_code == 200 and none.json()["abstained"]
    dated = client.post(
        "/api/ask", json={"question": Q, "filters": {"published_from": "2017-06-01"}}
    )
    assert not dated.json()["abstained"]


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ({}, "question: Field required"),
        ({"question": Q, "extra": 1}, "extra: Extra inputs are not permitted"),
        ({"question": Q, "top_k": 0}, "top_k"),
        ({"question": Q, "history": [{"role": "robot", "content": "x"}]}, "history.0.role"),
        ({"question": Q, "filters": {"source": ["x"]}}, "filters.source"),
        ({"question": ""}, "the question is empty"),
        ({"question": Q, "filters": {"published_from": "June"}}, "published_from must be a date"),
    ],
)
def test_bad_requests_are_400_with_what_to_do(client: TestClient, body: dict, says: str):
    r = client.post("/api/ask", json=body)
    assert r.status_code == 400
    assert says in error(r)["error"]


def test_a_body_that_is_not_json_is_400(client: TestClient):
    r = client.post("/api/ask", content=b"{oops", headers={"Content-Type": "application/json"})
    assert r.status_code == 400 and error(r)["error"].startswith("bad request")


def test_a_huge_body_is_refused_before_it_is_read(client: TestClient):
    r = client.post("/api/ask", content=b"x" * (2 * 1024 * 1024))
    assert r.status_code == 413 and "limit" in error(r)["error"]


def test_chat_streams_pieces_then_the_verified_answer(client: TestClient):
    r = client.post("/api/chat", json={"question": Q})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
    events = sse(r.text)
    kinds = [k for k, _ in events]
    assert kinds[-1] == "answer" and set(kinds[:-1]) == {"delta"} and len(kinds) > 2
    final = events[-1][1]
    assert "".join(d["text"] for _, d in events[:-1]) == final["answer"]
    assert final["citations"] and final["short_answer"] == "36 vehicles"


def test_chat_errors_come_before_the_stream(client: TestClient):
    r = client.post("/api/chat", json={"question": "   "})
    assert r.status_code == 400 and "empty" in error(r)["error"]


def test_articles_list_get_and_unknown(client: TestClient):
    listed = client.get("/api/articles").json()
    assert listed["count"] == 1
    a = listed["articles"][0]
    assert a["file"] == "russian-airstrikes-daesh-convoy-raqqah.md" and "path" not in a
    full = client.get(f"/api/articles/{a['id']}").json()
    assert full["title"] == a["title"] and full["text"].startswith("Russian jets")
    for r in (client.get("/api/articles/nope"), client.delete("/api/articles/nope")):
        assert r.status_code == 404 and "GET /api/articles" in error(r)["help"]


def test_upload_reports_each_file_then_the_article_answers(client: TestClient):
    story = b"The harbour bridge reopened on Tuesday. Engineers replaced 412 steel cables."
    r = client.post(
        "/api/articles",
        files=[
            ("files", ("../../Harbour_bridge.txt", story, "text/plain")),
            ("files", ("tool.exe", b"MZ\x00\x00", "application/octet-stream")),
            ("files", ("big.txt", b"word " * 4000, "text/plain")),
            ("files", ("empty.md", b"", "text/markdown")),
        ],
    )
    assert r.status_code == 200
    body = r.json()
    files = {f["file"]: f for f in body["files"]}
    assert list(files) == ["Harbour_bridge.txt", "tool.exe", "big.txt", "empty.md"]
    added = files["Harbour_bridge.txt"]
    assert added["status"] == "added" and added["code"] == 200
    assert added["title"] == "Harbour bridge"  # from the original file name
    assert files["tool.exe"]["code"] == 415 and "unsupported" in files["tool.exe"]["error"]
    assert files["big.txt"]["code"] == 413 and "limit" in files["big.txt"]["error"]
    assert files["empty.md"]["code"] == 400 and files["empty.md"]["error"]
    assert (body["added"], body["failed"]) == (1, 3)

    answer = client.post("/api/ask", json={"question": "how many steel cables were replaced?"})
    cited = answer.json()["citations"]
    assert cited and cited[0]["article_id"] == added["article_id"]
    assert client.get(f"/api/articles/{added['article_id']}").json()["file"] == "Harbour_bridge.txt"

    again = client.post(
        "/api/articles", files=[("files", ("Harbour_bridge.txt", story, "text/plain"))]
    )
    assert again.json()["files"][0]["status"] == "unchanged"
    reindexed = client.post(f"/api/articles/{added['article_id']}/reindex").json()
    assert reindexed["status"] == "unchanged" and reindexed["article_id"] == added["article_id"]

    # the same name with new text replaces the article instead of adding a second one
    edited = story.replace(b"412", b"413")
    r = client.post(
        "/api/articles", files=[("files", ("Harbour_bridge.txt", edited, "text/plain"))]
    )
    replaced = r.json()["files"][0]
    assert replaced["status"] == "replaced" and replaced["article_id"] != added["article_id"]
    assert client.get("/api/articles").json()["count"] == 2
    assert client.get(f"/api/articles/{added['article_id']}").status_code == 404
    assert client.post(f"/api/articles/{added['article_id']}/reindex").status_code == 404

    assert client.delete(f"/api/articles/{replaced['article_id']}").json() == {
        "removed": replaced["article_id"]
    }
    assert client.get("/api/articles").json()["count"] == 1


@pytest.mark.parametrize(
    ("files", "status"),
    [
        ([("files", ("a.exe", b"MZ", "application/octet-stream"))], 415),
        ([("files", ("a.txt", b"x" * 20_000, "text/plain"))], 413),
        (
            [
                ("files", ("a.exe", b"MZ", "application/octet-stream")),
                ("files", ("a.txt", b"x" * 20_000, "text/plain")),
            ],
            400,
        ),
    ],
)
def test_an_upload_with_nothing_added_fails_with_the_files_status(client, files, status):
    r = client.post("/api/articles", files=files)
    assert r.status_code == status
    assert error(r)["error"].startswith("no file was added") and r.json()["files"]


def test_an_upload_without_files_is_400(client: TestClient):
    r = client.post("/api/articles", data={"x": "y"})
    assert r.status_code == 400 and "files" in error(r)["error"]


def test_openai_chat_completions(client: TestClient):
    r = client.post(
        "/v1/chat/completions",
        json={
            "model": "anything",
            "temperature": 0.2,
            "messages": [
                {"role": "system", "content": "be brief"},
                {"role": "user", "content": Q},
                {"role": "assistant", "content": "36 vehicles [1]."},
                {"role": "user", "content": [{"type": "text", "text": "and on May 25?"}]},
            ],
        },
    )
    assert r.status_code == 200
    body = r.json()
    assert body["object"] == "chat.completion" and body["model"] == "news-assistant"
    message = body["choices"][0]["message"]
    assert message["role"] == "assistant" and body["choices"][0]["finish_reason"] == "stop"
    assert message["citations"] == body["citations"] and body["citations"]
    first = body["citations"][0]
    assert f"[1] \u201c{first['quote']}\u201d" in message["content"]


def test_openai_streaming_ends_with_citations_and_done(client: TestClient):
    r = client.post(
        "/v1/chat/completions",
        json={"model": "x", "stream": True, "messages": [{"role": "user", "content": Q}]},
    )
    lines = [line[6:] for line in r.text.splitlines() if line.startswith("data: ")]
    assert lines[-1] == "[DONE]"
    chunks = [json.loads(x) for x in lines[:-1]]
    assert all(c["object"] == "chat.completion.chunk" for c in chunks)
    assert chunks[0]["choices"][0]["delta"]["role"] == "assistant"
    text = "".join(c["choices"][0]["delta"].get("content", "") for c in chunks)
    last = chunks[-1]
    assert last["choices"][0]["finish_reason"] == "stop"
    assert last["citations"] == last["choices"][0]["citations"] and last["citations"]
    assert text.startswith("36 vehicles") and last["citations"][0]["quote"] in text


def test_openai_without_a_user_message_is_400(client: TestClient):
    r = client.post("/v1/chat/completions", json={"messages": [{"role": "system", "content": "x"}]})
    assert r.status_code == 400 and "user" in error(r)["help"]
    assert client.post("/v1/chat/completions", json={"messages": []}).status_code == 400
    assert client.get("/v1/models").json()["data"][0]["id"] == "news-assistant"


def test_openapi_lists_the_routes(client: TestClient):
    paths = client.get("/openapi.json").json()["paths"]
    for p in ("/api/ask", "/api/chat", "/api/articles", "/api/articles/{article_id}"):
        assert p in paths
    assert "/v1/chat/completions" in paths and "/healthz" in paths
    assert client.get("/docs").status_code == 200


def test_the_page_queue_is_bounded_from_settings(app):
    assistant, client = app
    mount = next(r for r in client.app.routes if isinstance(r, Mount))
    blocks = mount.app.get_blocks()
    assert blocks._queue.max_size == assistant.settings.queue_size
    assert blocks._queue.default_concurrency_limit == assistant.settings.concurrency


def test_token_and_login(tmp_path: Path):
    _, client = make_app(tmp_path, api_token="s3cret", login="ann:pw123")
    for bad in ({}, {"Authorization": "Bearer nope"}, {"Authorization": "Basic s3cret"}):
        r = client.post("/api/ask", json={"question": Q}, headers=bad)
        assert r.status_code == 401 and "Bearer" in error(r)["help"]
        assert r.headers["www-authenticate"] == "Bearer"
        assert client.get("/v1/models", headers=bad).status_code == 401
    ok = client.post("/api/ask", json={"question": Q}, headers={"Authorization": "Bearer s3cret"})
    assert ok.status_code == 200 and ok.json()["citations"]
    assert client.get("/healthz").status_code == 200  # liveness stays open

    assert client.get("/config").status_code == 401  # the page needs its login
    assert client.get("/gradio_api/info").status_code == 401
    wrong = client.post("/login", data={"username": "ann", "password": "nope"})
    assert wrong.status_code >= 400
    assert client.get("/config").status_code == 401
    right = client.post("/login", data={"username": "ann", "password": "pw123"})
    assert right.status_code == 200
    assert client.get("/config").status_code == 200


def test_the_gate_bounds_running_and_waiting_calls():
    release = threading.Event()

    async def scenario() -> list:
        gate = Gate(concurrency=1, queue_size=1)
        running = asyncio.create_task(gate.run(release.wait, 10))
        waiting = asyncio.create_task(gate.run(lambda: "second"))
        await asyncio.sleep(0.05)
        assert gate.inside == 2
        with pytest.raises(AssistantError) as busy:
            await gate.run(lambda: "third")
        assert busy.value.status == 503 and "busy" in busy.value.message
        release.set()
        done = await asyncio.gather(running, waiting)
        assert gate.inside == 0
        return [*done, await gate.run(lambda: "later")]

    assert asyncio.run(scenario()) == [True, "second", "later"]


def test_a_busy_api_answers_503_with_retry_after(tmp_path: Path):
    assistant, client = make_app(tmp_path, concurrency=1, queue_size=1)
    gate, release = client.app.state.gate, threading.Event()
    ask = assistant.ask

    def slow_ask(*args, **kwargs):
        release.wait(10)
        return ask(*args, **kwargs)

    assistant.ask = slow_ask
    answered: list = []

    def post() -> None:
        answered.append(client.post("/api/ask", json={"question": Q}))

    with client:
        threads = [threading.Thread(target=post) for _ in range(2)]  # one runs, one waits
        for t in threads:
            t.start()
        deadline = time.monotonic() + 10
        while gate.inside < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        r = client.post("/api/ask", json={"question": Q})
        release.set()
        for t in threads:
            t.join(10)
    assert r.status_code == 503 and r.headers["retry-after"] and "busy" in error(r)["error"]
    assert [a.status_code for a in answered] == [200, 200]


def test_names_are_made_safe():
    assert safe_name("../../etc/passwd") == "passwd"
    assert safe_name("C:\\Users\\x\\story.docx") == "story.docx"
    assert safe_name(".hidden.txt") == "hidden.txt"
    assert safe_name("a\x00b.txt") == "ab.txt"
    assert safe_name(None) == safe_name("..") == "upload"


def test_chat_streams_a_models_draft_then_the_checked_answer(tmp_path: Path):
    from tests.unit.test_llm import ScriptedLLM

    assistant, client = make_app(tmp_path)
    assistant.llm = ScriptedLLM(
        "The airstrikes destroyed 36 vehicles [1]. They also sank 12 ships [1].",
        RuntimeError("the endpoint broke"),
    )
    with client.stream("POST", "/api/chat", json={"question": Q}) as r:
        assert r.status_code == 200
        events = [
            (e.split("\n")[0].removeprefix("event: "), json.loads(e.split("data: ", 1)[1]))
            for e in r.read().decode().strip().split("\n\n")
        ]
    kinds = [k for k, _ in events]
    assert kinds[-1] == "answer" and kinds.count("delta") > 3  # word by word, as written
    draft = "".join(d["text"] for k, d in events if k == "delta")
    assert "12 ships" in draft  # the draft is the model's, unchecked ...
    final = events[-1][1]
    assert final["mode"] == "generative" and "12 ships" not in final["answer"]  # ... not this
    assert "36 vehicles" in final["answer"] and final["removed"]

    with client.stream("POST", "/api/chat", json={"question": Q}) as r:  # the model fails
        body = r.read().decode()
    assert "event: notice" in body and body.rstrip().split("\n\n")[-1].startswith("event: answer")
    assert '"mode": "extractive"' in body
