"""The web page in a real browser: Debian's chromium driven by Playwright (no browser download)."""

from __future__ import annotations

import json
import os
import subprocess
import urllib.request
from pathlib import Path

import pytest

from assistant.config import REPO_ROOT
from tests.integration.helpers import BIN, env, free_port, stop, wait_http

pytestmark = pytest.mark.integration

CHROMIUM = Path("/usr/bin/chromium")
SHOTS = REPO_ROOT / "test-output" / "screenshots"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory):
    """`assistant serve` on a loopback port with an empty index: it indexes seeds/ itself."""
    port = free_port()
    index = tmp_path_factory.mktemp("web") / "index"
    proc = subprocess.Popen(
        [str(BIN / "assistant"), "serve", "--port", str(port)],
        env=env(ASSISTANT_INDEX_DIR=str(index)),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_http(f"{url}/healthz", proc, timeout=180)
        yield url
    finally:
        stop(proc)


def test_health_and_api_answer_over_http(server: str):
    with urllib.request.urlopen(f"{server}/healthz") as r:
        health = json.load(r)
    assert health["ok"] and health["articles"] == 1
    req = urllib.request.Request(
        f"{server}/api/ask",
        data=json.dumps({"question": "who claimed the SDF deal?"}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(req) as r:
        answer = json.load(r)
    assert answer["short_answer"] == "Russian sources"


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        if os.environ.get("ASSISTANT_REQUIRE_BROWSER"):
            pytest.fail("ASSISTANT_REQUIRE_BROWSER is set but /usr/bin/chromium is missing")
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=str(CHROMIUM),
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield b
        b.close()


def ask(page, question: str) -> None:
    box = page.locator("#question textarea")
    box.fill(question)
    box.press("Enter")


def test_the_page_answers_with_cited_sentences(server: str, browser):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    page.goto(server)
    page.wait_for_selector("#question textarea", timeout=60_000)
    assert "1 article indexed" in page.content()

    ask(page, "how many vehicles were destroyed?")
    quote = page.locator("#chat blockquote.citation").first
    quote.wait_for(timeout=60_000)
    assert "36 vehicles, eight fuel trucks, and 17 pickups" in quote.inner_text()
    assert "Russian airstrikes hit Daesh convoy" in quote.inner_text()
    assert "Iran Press TV" in quote.inner_text() and "2017-06-01" in quote.inner_text()
    assert "36 vehicles" in page.locator("#chat strong").first.inner_text()
    page.screenshot(path=str(SHOTS / "seed-vehicles.png"), full_page=True)

    ask(page, "who claimed the SDF deal?")
    page.wait_for_function(
        "document.querySelectorAll('#chat blockquote.citation').length >= 2", timeout=60_000
    )
    last = page.locator("#chat blockquote.citation").last.inner_text()
    assert "According to Russian sources" in last
    page.screenshot(path=str(SHOTS / "seed-sdf.png"), full_page=True)

    ask(page, "who won the 2018 football world cup?")
    page.wait_for_function(
        "document.querySelector('#chat').innerText.includes('I could not find this')",
        timeout=60_000,
    )
    page.screenshot(path=str(SHOTS / "abstained.png"), full_page=True)
    page.close()
