"""The HTTP API over real HTTP: `assistant serve` (real embedder, embedded Chroma) on a loopback
port, called with requests, curl, the OpenAI Python client and gradio_client."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.integration.test_web import HARBOUR, serving

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with serving(tmp_path_factory.mktemp("api"), ASSISTANT_MAX_FILE_MB="1") as url:
        yield url


def post(server: str, path: str, body: dict, **kw) -> requests.Response:
    return requests.post(f"{server}{path}", json=body, timeout=60, **kw)


def test_ask_answers_with_verified_citations(server: str):
    answer = post(server, "/api/ask", {"question": "who claimed the SDF deal?"}).json()
    assert answer["short_answer"] == "Russian sources" and not answer["abstained"]
    c = answer["citations"][0]
    article = requests.get(f"{server}/api/articles/{c['article_id']}", timeout=10).json()
    assert article["text"][c["start"] : c["end"]] == c["quote"]
    assert article["source"] == "Iran Press TV" and article["published"] == "2017-06-01"


def test_curl_can_ask(server: str):
    if not shutil.which("curl"):
        pytest.skip("curl is not installed")
    body = '{"question": "how many vehicles were destroyed?"}'
    out = subprocess.run(
        ["curl", "-sf", f"{server}/api/ask", "-H", "Content-Type: application/json", "-d", body],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    answer = json.loads(out.stdout)
    assert answer["short_answer"] == "36 vehicles"
    context = answer["citations"][0]["context"]  # where the answer's "on Monday" comes from
    article = requests.get(f"{server}/api/articles/{answer['citations'][0]['article_id']}").json()
    assert article["text"][context["start"] : context["end"]] == context["text"]
    assert "on Monday" in context["text"]


def test_chat_streams_server_sent_events(server: str):
    with requests.post(
        f"{server}/api/chat",
        json={"question": "how many vehicles were destroyed?"},
        stream=True,
        timeout=60,
    ) as r:
        assert r.headers["content-type"].startswith("text/event-stream")
        events, event = [], None
        for line in r.iter_lines(decode_unicode=True):
            if line.startswith("event: "):
                event = line[7:]
            elif line.startswith("data: "):
                events.append((event, json.loads(line[6:])))
    assert [e for e, _ in events[:-1]] == ["delta"] * (len(events) - 1) and len(events) > 2
    kind, final = events[-1]
    assert kind == "answer" and final["short_answer"] == "36 vehicles"
    assert "".join(d["text"] for _, d in events[:-1]) == final["answer"]


def test_filters_over_http(server: str):
    q = "how many vehicles were destroyed?"
    other = post(server, "/api/ask", {"question": q, "filters": {"sources": ["Elsewhere"]}})
    assert other.status_code == 200 and other.json()["abstained"]
    later = post(server, "/api/ask", {"question": q, "filters": {"published_from": "2018-01-01"}})
    assert later.json()["abstained"]
    same = post(server, "/api/ask", {"question": q, "filters": {"sources": ["Iran Press TV"]}})
    assert same.json()["short_answer"] == "36 vehicles"
    bad = post(server, "/api/ask", {"question": q, "filters": {"published_to": "yesterday"}})
    assert bad.status_code == 400 and "YYYY-MM-DD" in bad.json()["help"]


def test_upload_ask_read_and_remove(server: str, tmp_path: Path):
    files = [
        ("files", ("harbour.md", HARBOUR.encode(), "text/markdown")),
        ("files", ("notes.exe", b"MZ\x00\x00", "application/octet-stream")),
        ("files", ("huge.txt", b"word " * 300_000, "text/plain")),  # 1.5 MB, over the 1 MB limit
    ]
    r = requests.post(f"{server}/api/articles", files=files, timeout=120)
    assert r.status_code == 200
    results = {f["file"]: f for f in r.json()["files"]}
    assert results["harbour.md"]["status"] == "added"
    assert results["notes.exe"]["code"] == 415 and results["huge.txt"]["code"] == 413
    aid = results["harbour.md"]["article_id"]

    listed = requests.get(f"{server}/api/articles", timeout=10).json()
    assert listed["count"] == 2
    assert {a["title"] for a in listed["articles"]} >= {"Harbour bridge reopens after repairs"}

    answer = post(server, "/api/ask", {"question": "how many steel cables were replaced?"}).json()
    assert answer["citations"][0]["article_id"] == aid and "412" in answer["answer"]
    only = post(
        server,
        "/api/ask",
        {"question": "how many vehicles were destroyed?", "filters": {"article_ids": [aid]}},
    )
    assert only.json()["abstained"]

    assert requests.delete(f"{server}/api/articles/{aid}", timeout=10).status_code == 200
    gone = requests.get(f"{server}/api/articles/{aid}", timeout=10)
    assert gone.status_code == 404 and gone.json()["error"] and gone.json()["help"]
    assert requests.delete(f"{server}/api/articles/{aid}", timeout=10).status_code == 404


def test_upload_with_a_source_and_date_then_edit_them(server: str):
    story = b"Unison backs strike\n\nDave Prentis, general secretary of Unison, spoke on Monday.\n"
    bad = requests.post(
        f"{server}/api/articles",
        files=[("files", ("unison.txt", story))],
        data={"published": "March 2005"},
        timeout=60,
    )
    assert bad.status_code == 400 and "not a date" in bad.json()["error"]
    r = requests.post(
        f"{server}/api/articles",
        files=[("files", ("unison.txt", story))],
        data={"source": "BBC News", "published": "2005-03-01"},
        timeout=60,
    )
    assert r.status_code == 200, r.text
    aid = r.json()["files"][0]["article_id"]
    meta = requests.get(f"{server}/api/articles/{aid}", timeout=10).json()
    assert (meta["source"], meta["published"]) == ("BBC News", "2005-03-01")

    edited = requests.patch(
        f"{server}/api/articles/{aid}",
        json={"title": "Unison votes to strike", "source": "BBC"},
        timeout=60,
    )
    assert edited.status_code == 200, edited.text
    assert edited.json()["title"] == "Unison votes to strike"
    question = {"question": "who is the general secretary of Unison?"}
    c = post(server, "/api/ask", question).json()["citations"][0]
    assert (c["article_id"], c["title"], c["source"]) == (aid, "Unison votes to strike", "BBC")
    text = requests.get(f"{server}/api/articles/{aid}", timeout=10).json()["text"]
    assert text[c["start"] : c["end"]] == c["quote"]  # the text and offsets stay
    missing = requests.patch(f"{server}/api/articles/nope", json={"source": "x"}, timeout=10)
    assert missing.status_code == 404 and "GET /api/articles" in missing.json()["help"]
    assert requests.delete(f"{server}/api/articles/{aid}", timeout=10).status_code == 200


@pytest.mark.parametrize(
    ("name", "data", "status"),
    [("virus.exe", b"MZ", 415), ("big.txt", b"x" * 1_200_000, 413)],
)
def test_upload_refusals_over_http(server: str, name: str, data: bytes, status: int):
    r = requests.post(f"{server}/api/articles", files=[("files", (name, data))], timeout=60)
    assert r.status_code == status and r.json()["error"] and r.json()["help"]


def test_bad_input_is_400_json(server: str):
    r = post(server, "/api/ask", {"question": 42})
    assert r.status_code == 400 and r.json()["error"].startswith("bad request")
    r = requests.post(f"{server}/api/ask", data="nope", timeout=10)
    assert r.status_code == 400 and set(r.json()) == {"error", "help"}


def test_the_openai_client_works(server: str):
    openai = pytest.importorskip("openai")
    client = openai.OpenAI(base_url=f"{server}/v1", api_key="unused", max_retries=0)
    done = client.chat.completions.create(
        model="news-assistant",
        messages=[
            {"role": "user", "content": "how many vehicles were destroyed?"},
            {"role": "assistant", "content": "36 vehicles [1]."},
            {"role": "user", "content": "and on May 25?"},
        ],
    )
    message = done.choices[0].message
    assert "[1]" in message.content
    citations = message.model_extra["citations"]
    assert citations and citations[0]["quote"] in message.content
    assert "May 25" in citations[0]["quote"]

    stream = client.chat.completions.create(
        model="news-assistant",
        messages=[{"role": "user", "content": "who claimed the SDF deal?"}],
        stream=True,
    )
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text.startswith("Russian sources [1].")
    last = chunks[-1]
    assert last.choices[0].finish_reason == "stop"
    assert last.model_extra["citations"][0]["quote"].startswith("According to Russian sources")
    assert [m.id for m in client.models.list()] == ["news-assistant"]


def test_gradio_client_named_endpoints(server: str):
    from gradio_client import Client

    client = Client(server, verbose=False, analytics_enabled=False)
    try:
        answer = client.predict("who claimed the SDF deal?", None, None, api_name="/ask")
        assert answer["short_answer"] == "Russian sources"
        filtered = client.predict(
            "who claimed the SDF deal?", None, {"sources": ["Nobody"]}, api_name="/ask"
        )
        assert filtered["abstained"]
        articles = client.predict(api_name="/articles")
        assert articles and "path" not in articles[0]
        one = client.predict(articles[0]["id"], api_name="/article")
        start = answer["citations"][0]["start"]
        assert one["text"][start:].startswith("According to Russian")
    finally:
        client.close()
