"""The web page in a real browser: Debian's chromium driven by Playwright (no browser download).

One `assistant serve` for the module, started on a loopback port with an empty index (it indexes
seeds/ itself). The tests run in order and share its library: ask, open a citation, upload,
ask about the upload, filter, export, remove.
"""

from __future__ import annotations

import json
import os
import subprocess
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from assistant.config import REPO_ROOT
from tests.integration.helpers import BIN, env, free_port, stop, wait_http

pytestmark = pytest.mark.integration

CHROMIUM = Path("/usr/bin/chromium")
SHOTS = REPO_ROOT / "test-output" / "screenshots"
HARBOUR = """---
title: Harbour bridge reopens after repairs
source: Coastal Herald
published: 2023-03-14
---
The harbour bridge reopened on Tuesday after eight months of repairs.

Engineers replaced 412 steel cables during the closure, the city's transport office said.

The repairs cost 63 million euros, paid jointly by the city and the regional government.
"""


@contextmanager
def serving(folder: Path, **settings: str) -> Iterator[str]:
    """`assistant serve` on a loopback port, run from `folder`, with its index, Gradio's cache
    and its log there; `settings` are extra ASSISTANT_* variables. Yields the base URL."""
    port = free_port()
    log = folder / "server.log"
    with log.open("w") as err:
        proc = subprocess.Popen(
            [str(BIN / "assistant"), "serve", "--port", str(port)],
            cwd=folder,
            env=env(
                ASSISTANT_INDEX_DIR=str(folder / "index"),
                GRADIO_TEMP_DIR=str(folder / "gradio"),
                **settings,
            ),
            stdout=subprocess.DEVNULL,
            stderr=err,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        try:
            wait_http(f"{url}/healthz", proc, timeout=180)
        except (RuntimeError, TimeoutError) as e:
            raise RuntimeError(f"{e}\n{log.read_text()}") from e
        yield url
    finally:
        stop(proc)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with serving(tmp_path_factory.mktemp("web")) as url:
        yield url


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


@pytest.fixture
def page(server: str, browser):
    context = browser.new_context(viewport={"width": 1300, "height": 950}, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(60_000)
    page.goto(server)
    page.wait_for_selector("#question textarea")
    SHOTS.mkdir(parents=True, exist_ok=True)
    yield page
    context.close()


def ask(page, question: str) -> None:
    box = page.locator("#question textarea")
    box.fill(question)
    box.press("Enter")


def answers(page, n: int) -> None:
    """Wait until the chat holds `n` finished answers (cited or abstained)."""
    page.wait_for_function(
        "n => document.querySelectorAll("
        "'#chat blockquote.citation:first-of-type, #chat .abstained').length >= n",
        arg=n,
    )


def open_citation(page, n: int = -1) -> str:
    """Click the last answer's [1] (or the nth link) and return the panel's marked sentence
    once it is scrolled into view of the panel."""
    link = page.locator("#chat a.cite").nth(n)
    article, start, end = link.get_attribute("href").split("/")[1:]
    link.click()
    # the panel may still show the previous citation: wait for this one's article and span
    mark = page.locator(
        f'#article .article-view[data-article="{article}"] '
        f'mark.cited[data-start="{start}"][data-end="{end}"]'
    )
    mark.wait_for()
    page.wait_for_function(
        """() => {
          const m = document.querySelector('#article mark.cited').getBoundingClientRect();
          const b = document.querySelector('#article .article-body').getBoundingClientRect();
          return m.top >= b.top && m.bottom <= b.bottom && m.top < window.innerHeight;
        }"""
    )
    return mark.inner_text()


def fonts_of(page, selector: str) -> set[str]:
    """The fonts Chromium drew the first `selector` element's text with (DevTools)."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("DOM.enable")
    cdp.send("CSS.enable")
    root = cdp.send("DOM.getDocument")["root"]["nodeId"]
    node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": selector})["nodeId"]
    assert node, selector
    return {
        f["familyName"] for f in cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
    }


def panel_scroll(page) -> tuple[float, float]:
    """The article panel's scroll offset and its line height, in pixels."""
    return tuple(
        page.evaluate(
            """() => { const b = document.querySelector('#article .article-body');
                       return [b.scrollTop, parseFloat(getComputedStyle(b).lineHeight)]; }"""
        )
    )


def test_the_page_answers_with_cited_sentences_and_opens_them(page):
    assert "1 article indexed" in page.locator("#status").inner_text()
    ask(page, "how many vehicles were destroyed?")
    answers(page, 1)
    quote = page.locator("#chat blockquote.citation").first
    assert "36 vehicles, eight fuel trucks, and 17 pickups" in quote.inner_text()
    assert "Russian airstrikes hit Daesh convoy" in quote.inner_text()
    assert "Iran Press TV" in quote.inner_text() and "2017-06-01" in quote.inner_text()
    assert "36 vehicles" in page.locator("#chat strong").first.inner_text()
    # the answer's "on Monday" comes from the sentence before: shown with the quote
    assert "on Monday" in quote.locator(".context").inner_text()
    page.screenshot(path=str(SHOTS / "seed-vehicles.png"), full_page=True)

    marked = open_citation(page, 0)
    assert marked.startswith("The airstrikes also destroyed 36 vehicles")
    panel = page.locator("#article").inner_text()
    assert "Russian airstrikes hit Daesh convoy" in panel
    assert "Iran Press TV" in panel and "2017-06-01" in panel
    page.screenshot(path=str(SHOTS / "citation-opened.png"), full_page=True)

    ask(page, "who claimed the SDF deal?")
    answers(page, 2)
    last = page.locator("#chat blockquote.citation").last.inner_text()
    assert "According to Russian sources" in last
    assert open_citation(page).startswith("According to Russian sources")
    # the panel scrolled to the sentence by whole lines: its top line is not cut in half
    top, line = panel_scroll(page)
    assert top > 0 and abs(top - round(top / line) * line) < 1.5, (top, line)
    # bold text is drawn in the page's own font, every letter (Gradio's semibold file is a
    # 55-glyph subset: titles were drawn half in DejaVu Sans)
    for bold in ("#article .article-title", "#chat strong"):
        assert fonts_of(page, bold) == {"Source Sans 3"}, bold
    page.screenshot(path=str(SHOTS / "seed-sdf.png"), full_page=True)

    ask(page, "who won the 2018 football world cup?")
    answers(page, 3)
    note = page.locator("#chat .abstained").last.inner_text()
    assert "I could not find this" in note and "The assistant abstained" in note
    # scrolled messages are not covered by a floating "Conversation" label
    covering = page.locator("#chat").evaluate(
        """c => { const m = c.querySelector('.bubble-wrap').getBoundingClientRect();
                  return [...c.querySelectorAll('label, [data-testid=block-label]')]
                    .map(l => [l.innerText, l.getBoundingClientRect()])
                    .filter(([, r]) => r.width > 0 && r.height > 0 && r.bottom > m.top
                            && r.top < m.bottom && r.right > m.left && r.left < m.right)
                    .map(([t]) => t); }"""
    )
    assert covering == [], covering
    page.screenshot(path=str(SHOTS / "abstained.png"), full_page=True)

    with page.expect_download() as download:
        page.locator("#export").click()
    exported = Path(download.value.path()).read_text()
    assert download.value.suggested_filename == "conversation.md"
    assert "## how many vehicles were destroyed?" in exported
    assert "> [1] (According to a Thursday statement" in exported  # the quote's context
    assert "\u201cThe airstrikes also destroyed 36 vehicles" in exported
    assert "## who won the 2018 football world cup?" in exported and "_(abstained)_" in exported


def test_an_example_question_is_asked_on_an_empty_chat(page):
    page.get_by_text("Who claimed the SDF deal?").click()
    answers(page, 1)
    assert "Russian sources" in page.locator("#chat").inner_text()


def test_upload_articles_then_ask_about_one(page, tmp_path: Path):
    good, bad = tmp_path / "harbour.md", tmp_path / "tool.exe"
    good.write_text(HARBOUR)
    bad.write_bytes(b"MZ\x00\x00binary")
    page.get_by_role("tab", name="Library").click()
    page.locator("#upload input[type=file]").set_input_files([str(good), str(bad)])
    result = page.locator("#upload-result")
    page.wait_for_function(
        "document.querySelector('#upload-result').innerText.includes('tool.exe:')"
    )
    assert "added: Harbour bridge reopens after repairs (harbour.md)" in result.inner_text()
    assert "unsupported file type '.exe'" in result.inner_text()
    page.wait_for_function("document.querySelector('#status').innerText.includes('2 articles')")
    table = page.locator("#library").inner_text()
    assert "Harbour bridge reopens after repairs" in table and "Coastal Herald" in table
    assert "2023-03-14" in table
    assert fonts_of(page, "#upload-result strong") == {"Source Sans 3"}
    page.screenshot(path=str(SHOTS / "library-upload.png"), full_page=True)

    page.get_by_role("tab", name="Ask").click()
    ask(page, "how many steel cables were replaced?")
    answers(page, 1)
    assert "412 steel cables" in page.locator("#chat blockquote.citation").last.inner_text()
    # the cables were replaced "during the closure": the reopening's Tuesday is not their date
    assert "Tuesday" not in page.locator("#chat").inner_text()
    assert open_citation(page).startswith("Engineers replaced 412 steel cables")
    assert "Coastal Herald" in page.locator("#article .article-meta").inner_text()
    page.screenshot(path=str(SHOTS / "uploaded-article-answer.png"), full_page=True)


def open_filters(page) -> None:
    """Open the Filters and wait until the page load has filled their choices."""
    page.locator("#filters").get_by_text("Filters").click()
    page.wait_for_function(
        "() => ['#filter-sources', '#filter-articles'].every(id => { const e ="
        " document.querySelector(id); return e && !/processing|pending/i.test(e.innerText) })"
    )


def test_opened_filters_are_in_view_on_a_laptop_screen(page):
    """At 1400x900 the opened filters show whole without scrolling (they once opened below the
    fold, under the conversation)."""
    page.set_viewport_size({"width": 1400, "height": 900})
    open_filters(page)
    for field in ("#filter-sources", "#filter-articles", "#filter-from", "#filter-to"):
        box = page.locator(field).bounding_box()
        assert box is not None and box["y"] >= 0 and box["y"] + box["height"] <= 900, field
    assert page.evaluate("window.scrollY") == 0
    page.screenshot(path=str(SHOTS / "filters-open-1400x900.png"))


def test_filters_limit_the_articles_an_answer_comes_from(page):
    open_filters(page)
    page.locator("#filter-sources input").click()
    page.get_by_role("option", name="Coastal Herald").click()
    page.keyboard.press("Escape")
    ask(page, "how many vehicles were destroyed?")  # only the seed article says
    answers(page, 1)
    chat = page.locator("#chat").inner_text()
    assert "The assistant abstained" in chat and "Searched only: source Coastal Herald" in chat
    ask(page, "how much did the repairs cost?")
    answers(page, 2)
    assert "63 million euros" in page.locator("#chat blockquote.citation").last.inner_text()
    page.screenshot(path=str(SHOTS / "filtered.png"), full_page=True)
    # a date range the harbour story (published 2023-03-14) falls outside
    page.locator("#filter-from input").fill("2024-01-01")
    page.locator("#filter-from input").press("Enter")
    ask(page, "how much did the repairs cost?")
    answers(page, 3)
    chat = page.locator("#chat").inner_text()
    assert "Searched only: source Coastal Herald; from 2024-01-01" in chat
    assert page.locator("#chat .abstained").count() == 2
    page.screenshot(path=str(SHOTS / "filtered-by-date.png"), full_page=True)


def test_an_edited_upload_replaces_its_article_and_reindex_reads_it_again(page, tmp_path: Path):
    edited = tmp_path / "harbour.md"
    edited.write_text(HARBOUR.replace("412 steel cables", "420 steel cables"))
    page.get_by_role("tab", name="Library").click()
    page.locator("#upload input[type=file]").set_input_files([str(edited)])
    page.wait_for_function(
        "document.querySelector('#upload-result').innerText.includes('replaced:')"
    )
    assert (
        "replaced: Harbour bridge reopens after repairs (harbour.md)"
        in page.locator("#upload-result").inner_text()
    )
    page.wait_for_function("document.querySelector('#status').innerText.includes('2 articles')")

    page.locator("#remove-choice input").click()
    page.get_by_role("option", name="Harbour bridge reopens after repairs (2023-03-14)").click()
    page.get_by_role("button", name="Re-index").click()
    page.wait_for_function(
        "document.querySelector('#upload-result').innerText.includes('unchanged:')"
    )
    page.get_by_role("tab", name="Ask").click()
    ask(page, "how many steel cables were replaced?")
    answers(page, 1)
    assert "420 steel cables" in page.locator("#chat blockquote.citation").last.inner_text()


def test_edit_an_articles_source_and_date_in_the_library(page):
    page.get_by_role("tab", name="Library").click()
    page.locator("#remove-choice input").click()
    page.get_by_role("option", name="Harbour bridge reopens after repairs (2023-03-14)").click()
    page.wait_for_function(
        "document.querySelector('#edit-source textarea, #edit-source input').value"
        " === 'Coastal Herald'"
    )
    assert page.locator("#edit-title input, #edit-title textarea").input_value() == (
        "Harbour bridge reopens after repairs"
    )
    page.locator("#edit-source input, #edit-source textarea").fill("Harbour Times")
    page.locator("#edit-published input, #edit-published textarea").fill("2023-03-15")
    page.get_by_role("button", name="Save details").click()
    page.wait_for_function("document.querySelector('#upload-result').innerText.includes('Saved')")
    assert "Saved Harbour bridge reopens after repairs (Harbour Times, 2023-03-15)" in (
        page.locator("#upload-result").inner_text()
    )
    page.wait_for_function("document.querySelector('#library').innerText.includes('Harbour Times')")
    assert "2023-03-15" in page.locator("#library").inner_text()
    page.screenshot(path=str(SHOTS / "library-edited.png"), full_page=True)

    page.get_by_role("tab", name="Ask").click()
    ask(page, "how many steel cables were replaced?")
    answers(page, 1)
    quote = page.locator("#chat blockquote.citation").last.inner_text()
    assert "steel cables" in quote and "Harbour Times, 2023-03-15" in quote


def test_remove_an_article_from_the_library(page):
    page.get_by_role("tab", name="Library").click()
    page.locator("#remove-choice input").click()
    page.get_by_role("option", name="Harbour bridge reopens after repairs (2023-03-15)").click()
    page.get_by_role("button", name="Remove").click()
    page.wait_for_function("document.querySelector('#status').innerText.includes('1 article ')")
    assert "Removed Harbour bridge" in page.locator("#upload-result").inner_text()
    assert "Harbour bridge" not in page.locator("#library").inner_text()


def test_the_upload_form_sets_the_source_and_date_files_lack(page, tmp_path: Path):
    story = tmp_path / "unison.txt"
    story.write_text("Unison backs strike\n\nDave Prentis, general secretary of Unison, spoke.\n")
    page.get_by_role("tab", name="Library").click()
    page.locator("#upload-source textarea, #upload-source input").fill("BBC News")
    page.locator("#upload-published textarea, #upload-published input").fill("2005-03-01")
    page.locator("#upload input[type=file]").set_input_files([str(story)])
    page.wait_for_function("document.querySelector('#upload-result').innerText.includes('added')")
    page.wait_for_function("document.querySelector('#library').innerText.includes('BBC News')")
    table = page.locator("#library").inner_text()  # the other article is Iran Press TV, 2017
    assert "Unison backs strike" in table and "2005-03-01" in table
    page.screenshot(path=str(SHOTS / "library-upload-with-source.png"), full_page=True)


def test_sources_that_differ_are_shown_side_by_side_each_cited(page, tmp_path: Path):
    seed = (REPO_ROOT / "seeds" / "russian-airstrikes-daesh-convoy-raqqah.md").read_text()
    _, _, body = seed.split("---", 2)
    variant = tmp_path / "ledger.md"
    variant.write_text(
        "---\ntitle: Jets hit Daesh convoys fleeing Raqqah\nsource: Northern Ledger\n"
        "published: 2017-06-02\n---\n"
        + body.replace("killing 80 militants", "killing 60 militants")
    )
    page.get_by_role("tab", name="Library").click()
    page.locator("#upload input[type=file]").set_input_files([str(variant)])
    page.wait_for_function("document.querySelector('#upload-result').innerText.includes('added')")
    page.get_by_role("tab", name="Ask").click()
    ask(page, "How many militants were killed?")
    answers(page, 1)
    table = page.locator("#chat table.claims").last
    rows = table.locator("tbody tr")
    assert rows.count() == 2
    assert "The sources differ" in page.locator("#chat .verdict").last.inner_text()
    text = table.inner_text()
    assert "80 militants" in text and "Iran Press TV" in text
    assert "60 militants" in text and "Northern Ledger" in text
    page.screenshot(path=str(SHOTS / "sources-differ.png"), full_page=True)
    for i in range(2):  # each row's citation opens its own article, at the sentence it quotes
        row = rows.nth(i)
        value = row.locator("td").first.inner_text()
        row.locator("a.cite").first.click()
        mark = page.locator("#article mark.cited")
        mark.wait_for()
        page.wait_for_function(
            "v => document.querySelector('#article mark.cited').innerText.includes(v)",
            arg=value.split()[0],
        )
        outlet = "Northern Ledger" if value.startswith("60") else "Iran Press TV"
        assert outlet in page.locator("#article .article-meta").inner_text()
