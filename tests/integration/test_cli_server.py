"""The command line beside a running `assistant serve` (issue 13 item 1): the server holds the
embedded index, so the CLI works through it over real HTTP, says so on stderr, and goes back to
the index itself once the server stops."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.integration.helpers import BIN, env
from tests.integration.test_web import HARBOUR, serving

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str]]:
    folder = tmp_path_factory.mktemp("cli-server")
    with serving(folder) as url:
        yield folder, url


def cli(folder: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(BIN / "assistant"), *args],
        cwd=folder,
        env=env(ASSISTANT_INDEX_DIR=str(folder / "index")),
        input=stdin,
        capture_output=True,
        text=True,
        timeout=300,
    )


def through(url: str) -> str:
    return f"through the assistant server at {url}"


def test_the_server_tells_the_cli_where_it_listens(folder):
    where, url = folder
    info = json.loads((where / "index" / "server.json").read_text())
    assert info["url"] == url and isinstance(info["pid"], int)


def test_ask_goes_through_the_server(folder):
    where, url = folder
    r = cli(where, "ask", "who claimed the SDF deal?")
    assert r.returncode == 0, r.stderr
    assert (
        r.stderr.strip()
        == f"{through(url)} (pid {json.loads((where / 'index' / 'server.json').read_text())['pid']})"
    )
    assert r.stdout.startswith("Russian sources [1].")
    assert "[1] \u201cAccording to Russian sources" in r.stdout


def test_ask_json_is_the_servers_answer_contract_with_verbatim_quotes(folder):
    where, url = folder
    r = cli(where, "ask", "how many vehicles were destroyed?", "--json")
    assert r.returncode == 0, r.stderr
    answer = json.loads(r.stdout)
    assert answer["short_answer"] == "36 vehicles" and not answer["abstained"]
    for c in answer["citations"]:
        text = requests.get(f"{url}/api/articles/{c['article_id']}", timeout=30).json()["text"]
        assert text[c["start"] : c["end"]] == c["quote"]


def test_errors_through_the_server_are_the_clis_own(folder):
    where, _ = folder
    r = cli(where, "ask", "   ", "--json")
    assert r.returncode == 1
    assert set(json.loads(r.stdout)) == {"error", "help"}
    r = cli(where, "index", "remove", "no-such-id")
    assert r.returncode == 1 and "error: no article with id 'no-such-id'" in r.stderr


def test_ingest_list_ask_and_remove_through_the_server(folder):
    where, url = folder
    (where / "harbour.md").write_text(HARBOUR)
    r = cli(where, "ingest", "harbour.md", "missing.md")
    assert r.returncode == 1  # one file failed
    assert r.stderr.splitlines()[0].startswith(through(url))
    assert "error: missing.md: no such file or folder" in r.stderr  # named as it was given
    (line,) = [x for x in r.stdout.splitlines() if x.startswith("added")]
    assert line.endswith("Harbour bridge reopens after repairs  (harbour.md)")
    assert r.stdout.strip().endswith("1 added, 0 unchanged, 1 failed")
    article_id = line.split()[1]

    again = json.loads(cli(where, "ingest", "harbour.md", "--json").stdout)
    assert (again["added"], again["unchanged"]) == (0, 1)  # unchanged stays a no-op

    listed = json.loads(cli(where, "index", "list", "--json").stdout)
    assert article_id in {a["id"] for a in listed}
    status = json.loads(cli(where, "index", "status", "--json").stdout)
    assert status["server"] == url and status["articles"] == len(listed)

    r = cli(where, "ask", "how many steel cables were replaced?")
    assert "412" in r.stdout.split("\n\n")[0], r.stdout

    r = cli(where, "index", "edit", article_id, "--source", "Harbour Times", "--published", "")
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == (
        f"{article_id}  ----------  Harbour bridge reopens after repairs  (Harbour Times)"
    )
    r = cli(where, "ask", "how many steel cables were replaced?", "--json")
    assert json.loads(r.stdout)["citations"][0]["source"] == "Harbour Times"

    r = cli(where, "index", "remove", article_id)
    assert r.returncode == 0 and r.stdout.strip() == f"removed {article_id}"
    listed = json.loads(cli(where, "index", "list", "--json").stdout)
    assert article_id not in {a["id"] for a in listed}


def test_chat_through_the_server_keeps_the_conversation(folder):
    where, url = folder
    r = cli(where, "chat", stdin="how many vehicles were destroyed?\nwho claimed the SDF deal?\n")
    assert r.returncode == 0, r.stderr
    assert r.stderr.startswith(through(url))
    assert "36 vehicles" in r.stdout and "Russian sources [1]." in r.stdout


def test_ingest_by_path_is_refused_to_other_machines(folder):
    """The server reads the named files itself, so only a client on its own machine may ask
    (here the check is seen from the inside: a request that claims another address)."""
    from fastapi.testclient import TestClient

    from assistant.chat import Assistant
    from assistant.config import Settings
    from assistant.server import create_app
    from tests.conftest import FakeEmbedder

    where, _ = folder
    app = create_app(
        Assistant(settings=Settings(index_dir=where / "other-index"), embedder=FakeEmbedder())
    )
    with TestClient(app, client=("203.0.113.9", 5000)) as client:
        r = client.post("/api/ingest", json={"paths": [str(where / "harbour.md")]})
    assert r.status_code == 403 and "POST /api/articles" in r.json()["help"]


def test_a_server_with_a_token_tells_the_cli_to_send_it(tmp_path: Path):
    with serving(tmp_path, ASSISTANT_API_TOKEN="s3cret") as url:
        r = cli(tmp_path, "index", "list")
        assert r.returncode == 1 and r.stderr.startswith(through(url))
        assert "missing or wrong API token" in r.stderr and "ASSISTANT_API_TOKEN" in r.stderr
        e = env(ASSISTANT_INDEX_DIR=str(tmp_path / "index"), ASSISTANT_API_TOKEN="s3cret")
        ok = subprocess.run(
            [str(BIN / "assistant"), "index", "list"],
            cwd=tmp_path,
            env=e,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert ok.returncode == 0 and "Russian airstrikes" in ok.stdout, ok.stderr


def test_a_stopped_server_leaves_the_index_to_the_cli(tmp_path: Path):
    with serving(tmp_path) as url:
        info = json.loads((tmp_path / "index" / "server.json").read_text())
        assert cli(tmp_path, "index", "status").stderr.startswith(through(url))
    assert not (tmp_path / "index" / "server.json").exists()
    r = cli(tmp_path, "index", "status", "--json")
    assert r.returncode == 0 and r.stderr == "" and json.loads(r.stdout)["articles"] >= 1
    # a server killed without cleaning up leaves its file: the CLI sees the process is gone
    (tmp_path / "index" / "server.json").write_text(json.dumps(info))
    r = cli(tmp_path, "index", "status", "--json")
    assert r.returncode == 0 and r.stderr == "" and json.loads(r.stdout)["articles"] >= 1
