"""The Gradio page. It holds no logic: it calls the same Assistant as the CLI and the HTTP API.

Layout: the conversation and the article library in tabs on the left, the article panel on the
right. Each [n] in an answer is a link `#cite/<article>/<start>/<end>`; a click on one (caught
by the panel's own script) opens the article in the panel with that sentence marked and
scrolled into view. Named endpoints for `gradio_client`: /ask, /articles, /article.
"""

from __future__ import annotations

import atexit
import functools
import html
import shutil
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import gradio as gr
from fastapi import FastAPI

from assistant import render, uploads
from assistant.chat import Assistant
from assistant.errors import AssistantError
from assistant.ingest.pipeline import FileResult
from assistant.types import Article

EXAMPLES = ["How many vehicles were destroyed?", "Who claimed the SDF deal?"]
STREAM_DELAY = 0.03  # seconds between streamed pieces of an answer
T = TypeVar("T")

CSS = """
#article .article-body { white-space: pre-wrap; overflow-y: auto; position: relative;
  line-height: 1.55; max-height: calc(1.55em * 24); padding: 0 .5em 0 0; }
#article mark.cited { background: #ffe58a; color: #000; padding: 0 .1em; border-radius: 3px; }
#article .article-meta { color: var(--body-text-color-subdued); margin-bottom: .6em; }
#article .placeholder { color: var(--body-text-color-subdued); }
#chat a.cite { color: var(--link-text-color); text-decoration: none; font-weight: 600;
  cursor: pointer; }
#chat .abstained { border-left: 3px solid #d97706; padding-left: .6em; }
#chat .filtered { color: var(--body-text-color-subdued); }
#chat blockquote .context { color: var(--body-text-color-subdued); }
#chat table.claims, #chat table.speakers, #chat table.compare, #chat table.timeline {
  border-collapse: collapse; margin: .3em 0; font-size: .95em; }
#chat table th, #chat table td { border: 1px solid var(--border-color-primary);
  padding: .25em .5em; vertical-align: top; text-align: left; }
#chat .verdict { margin: 0 0 .3em; }
"""


def theme():
    """Gradio's default look, with the bold face of its own font: the semibold file Gradio
    ships holds 55 glyphs, so bold titles fell back to another font letter by letter."""
    return gr.themes.Default(
        font=(
            gr.themes.LocalFont("Source Sans Pro", weights=(400, 700)),
            "ui-sans-serif",
            "system-ui",
            "sans-serif",
        )
    )


# Runs once the panel is on the page: catches clicks on citation links anywhere (capture phase,
# before the chat's own link handling) and sends them to Python as the panel's click event;
# after Python sets a new article, scrolls the marked sentence to the upper third of the panel,
# on a line boundary: the panel is a whole number of lines high, so its top line is never cut
# in half, scrolled to the end included.
PANEL_JS = r"""
window.__assistantOpen = (data) => trigger('click', data);
if (!window.__assistantCites) {
  window.__assistantCites = true;
  document.addEventListener('click', (ev) => {
    const a = ev.target instanceof Element ? ev.target.closest('a.cite') : null;
    const m = a && (a.getAttribute('href') || '').match(/^#cite\/([\w-]+)\/(\d+)\/(\d+)$/);
    if (!m) return;
    ev.preventDefault();
    ev.stopPropagation();
    window.__assistantOpen({article_id: m[1], start: Number(m[2]), end: Number(m[3])});
  }, true);
}
watch('value', () => {
  const body = element.querySelector('.article-body');
  const mark = element.querySelector('mark.cited');
  if (body && mark) {
    const line = parseFloat(getComputedStyle(body).lineHeight);
    const top = Math.max(0, mark.offsetTop - body.clientHeight / 3);
    body.scrollTop = Math.round(top / line) * line;
    mark.scrollIntoView({block: 'nearest'});
  }
});
"""

PANEL_EMPTY = (
    '<div class="placeholder">Click a citation number such as <b>[1]</b> in an answer, or an '
    "article in the library, to read it here.</div>"
)


# -- rendering ------------------------------------------------------------------------------
def render_article(article: Article, start: int | None = None, end: int | None = None) -> str:
    """The article for the panel: title, source, date, then its text with the cited span
    marked (offsets out of range mark nothing)."""
    text = article.text
    meta = " \u00b7 ".join(
        html.escape(x)
        for x in (article.source, article.published, f"{len(text):,} characters")
        if x
    )
    if start is not None and end is not None and 0 <= start < end <= len(text):
        body = (
            html.escape(text[:start])
            + f'<mark class="cited" data-start="{start}" data-end="{end}">'
            + f"{html.escape(text[start:end])}</mark>"
            + html.escape(text[end:])
        )
    else:
        body = html.escape(text)
    return (
        f'<div class="article-view" data-article="{html.escape(article.id)}">'
        f'<h3 class="article-title">{html.escape(article.title)}</h3>'
        f'<div class="article-meta">{meta} \u00b7 <code>{html.escape(article.id)}</code></div>'
        f'<div class="article-body">{body}</div></div>'
    )


def error_text(e: AssistantError) -> str:
    return f"**Error:** {html.escape(e.message)}" + (f" ({html.escape(e.help)})" if e.help else "")


def library_rows(articles: list[dict]) -> list[list]:
    return [
        [a["title"], a["source"] or "", a["published"] or "", f"{a['chars'] or 0:,} chars", a["id"]]
        for a in articles
    ]


def result_line(r: FileResult) -> str:
    """One file's outcome for the library tab."""
    name = html.escape(Path(r.path).name)
    if r.status == "failed":
        return f"- \u2717 **{name}**: {html.escape(r.message or '')}"
    if r.status == "copy":
        return f"- \u2713 copy: **{name}** {html.escape((r.message or '').split(': ', 1)[-1])}"
    return f"- \u2713 {r.status}: **{html.escape(r.title or name)}** ({name})"


def _friendly(fn: Callable[..., T]) -> Callable[..., T]:
    """API endpoints: an AssistantError reaches the client as a gr.Error with its help."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> T:
        try:
            return fn(*args, **kwargs)
        except AssistantError as e:
            raise gr.Error(str(e)) from e

    return wrapper


# -- the page -------------------------------------------------------------------------------
def build(assistant: Assistant) -> gr.Blocks:
    exports = Path(tempfile.mkdtemp(prefix="assistant-export-"))
    atexit.register(shutil.rmtree, exports, ignore_errors=True)

    def library() -> str:
        status = assistant.status()
        n = status["articles"]
        return f"{n} article{'s' * (n != 1)} indexed ({status['chunks']} chunks, {status['store']} store)"

    def refresh(sources: list[str] | None, chosen: list[str] | None):
        """Everything that shows the library, after a change or on load."""
        articles = assistant.articles()
        names = sorted({a["source"] for a in articles if a["source"]})
        options = [(f"{a['title']} ({a['published'] or 'no date'})", a["id"]) for a in articles]
        ids = {a["id"] for a in articles}
        return (
            library(),
            library_rows(articles),
            gr.Dropdown(choices=names, value=[s for s in sources or [] if s in names]),
            gr.Dropdown(choices=options, value=[i for i in chosen or [] if i in ids]),
            gr.Dropdown(choices=options, value=None),
        )

    def respond(
        message: str,
        chat: list[dict],
        turns: list[dict],
        sources: list[str] | None,
        date_from: str,
        date_to: str,
        chosen: list[str] | None,
        request: gr.Request,
    ):
        question = (message or "").strip()
        if not question:
            yield gr.skip(), gr.skip(), gr.skip(), gr.skip()
            return
        chat = [*chat, {"role": "user", "content": html.escape(question)}]
        yield "", [*chat, {"role": "assistant", "content": "\u2026"}], gr.skip(), gr.skip()
        filters = {
            "sources": sources or None,
            "published_from": (date_from or "").strip() or None,
            "published_to": (date_to or "").strip() or None,
            "article_ids": chosen or None,
        }
        filters = {k: v for k, v in filters.items() if v} or None
        history = []
        for t in turns:
            history += [
                {"role": "user", "content": t["question"]},
                {"role": "assistant", "content": t["answer"]["answer"]},
            ]
        shown, answer = "", None
        try:  # the draft streams in (the model's words, or the extractive answer in pieces),
            # then the verified answer replaces it
            for kind, value in assistant.ask_stream(question, history=history, filters=filters):
                if kind == "answer":
                    answer = value
                    continue
                if kind == "notice":
                    shown += f"({value})\n\n"
                for piece in render.pieces(value) if kind == "delta" else [""]:
                    shown += piece
                    yield (
                        "",
                        [*chat, {"role": "assistant", "content": html.escape(shown)}],
                        gr.skip(),
                        gr.skip(),
                    )
                    time.sleep(STREAM_DELAY)
        except AssistantError as e:
            yield "", [*chat, {"role": "assistant", "content": error_text(e)}], turns, gr.skip()
            return
        assert answer is not None  # ask_stream always ends with the answer
        turns = [*turns, {"question": question, "answer": answer.to_dict(), "filters": filters}]
        folder = exports / (getattr(request, "session_hash", None) or uuid.uuid4().hex)
        folder.mkdir(exist_ok=True)
        export = folder / "conversation.md"
        export.write_text(render.markdown(turns), encoding="utf-8")
        final = [*chat, {"role": "assistant", "content": render.html(turns[-1]["answer"], filters)}]
        yield "", final, turns, gr.DownloadButton(value=str(export), interactive=True)

    def open_citation(evt: gr.EventData) -> str:
        data = getattr(evt, "_data", None) or {}
        try:
            article = assistant.article(str(data.get("article_id", "")))
            start, end = int(data.get("start", -1)), int(data.get("end", -1))
        except AssistantError as e:
            return f'<div class="placeholder">{error_text(e)}</div>'
        except (TypeError, ValueError):
            return PANEL_EMPTY
        return render_article(article, start, end)

    def open_row(evt: gr.SelectData) -> str:
        row = evt.row_value or []
        try:
            return render_article(assistant.article(str(row[-1]))) if row else PANEL_EMPTY
        except AssistantError as e:
            return f'<div class="placeholder">{error_text(e)}</div>'

    def add_files(
        files: list[str] | None,
        source: str,
        published: str,
        progress=gr.Progress(),  # noqa: B008
    ) -> str:
        """Index each uploaded file on its own, so one bad file only fails itself; a source
        or date given applies to every file (what the files say otherwise)."""
        lines = []
        files = files or []
        meta = {"source": source.strip() or None, "published": published.strip() or None}
        for i, path in enumerate(files):
            name = Path(path).name
            progress((i, len(files)), desc=f"indexing {name}")
            try:
                report = uploads.ingest_uploads(assistant, [(Path(path), name)], **meta)
            except AssistantError as e:
                return error_text(e)
            lines += map(result_line, report.results)
        return "\n".join(lines)

    def reindex(article_id: str | None) -> str:
        if not article_id:
            return "Choose an article to re-index."
        try:
            return result_line(assistant.reindex(article_id))
        except AssistantError as e:
            return error_text(e)

    def remove(article_id: str | None) -> tuple[str, Any]:
        if not article_id:
            return "Choose an article to remove.", gr.skip()
        try:
            title = assistant.article(article_id).title
            assistant.remove(article_id)
        except AssistantError as e:
            return error_text(e), gr.skip()
        return f"Removed **{html.escape(title)}**.", PANEL_EMPTY

    def details(article_id: str | None) -> tuple[str, str, str]:
        """The chosen article's title, source and date, to edit."""
        try:
            a = assistant.article(article_id) if article_id else None
        except AssistantError:
            a = None
        return (a.title, a.source or "", a.published or "") if a else ("", "", "")

    def save(article_id: str | None, title: str, source: str, published: str) -> str:
        if not article_id:
            return "Choose an article to edit."
        try:
            a = assistant.edit(article_id, title=title, source=source, published=published)
        except AssistantError as e:
            return error_text(e)
        where = ", ".join(x for x in (a.source, a.published) if x) or "no source or date"
        return f"Saved **{html.escape(a.title)}** ({html.escape(where)})."

    def pick_example(evt: gr.SelectData) -> str:
        return evt.value["text"]

    def clear():
        return [], [], gr.DownloadButton(value=None, interactive=False), PANEL_EMPTY

    with gr.Blocks(
        title="News assistant", analytics_enabled=False, delete_cache=(3600, 3600)
    ) as page:
        turns = gr.State([])
        gr.Markdown(
            "## News assistant\nAnswers come only from the indexed articles, each with the "
            "sentence it rests on. Click a number such as [1] to read that sentence in its article."
        )
        status = gr.Markdown(library(), elem_id="status")
        with gr.Row(equal_height=False):
            with gr.Column(scale=3), gr.Tabs():
                with gr.Tab("Ask", id="ask"):
                    # above the conversation: opened, the filters stay in view (1400x900)
                    with gr.Accordion("Filters", open=False, elem_id="filters"):
                        with gr.Row():
                            sources = gr.Dropdown(
                                label="Sources", multiselect=True, elem_id="filter-sources"
                            )
                            chosen = gr.Dropdown(
                                label="Only these articles",
                                multiselect=True,
                                elem_id="filter-articles",
                            )
                        with gr.Row():
                            date_from = _day("Published from", "filter-from")
                            date_to = _day("Published to", "filter-to")
                    chatbot = gr.Chatbot(
                        label="Conversation",
                        show_label=False,  # a floating label covered the scrolled messages
                        height=520,
                        sanitize_html=True,
                        elem_id="chat",
                        buttons=["copy", "copy_all"],
                        examples=[{"text": q} for q in EXAMPLES],
                        placeholder="Ask about the articles, or pick an example.",
                        feedback_options=None,
                    )
                    with gr.Row():
                        box = gr.Textbox(
                            placeholder="Ask a question about the articles",
                            show_label=False,
                            scale=8,
                            elem_id="question",
                            autofocus=True,
                        )
                        send = gr.Button("Ask", variant="primary", scale=1, elem_id="ask")
                    with gr.Row():
                        export = gr.DownloadButton(
                            "Export conversation (.md)",
                            interactive=False,
                            size="sm",
                            elem_id="export",
                        )
                        reset = gr.Button("New conversation", size="sm", elem_id="reset")
                with gr.Tab("Library", id="library") as library_tab:
                    with gr.Row():
                        upload_source = gr.Textbox(
                            label="Source of the files added (optional)",
                            placeholder="what the files say",
                            elem_id="upload-source",
                        )
                        upload_date = gr.Textbox(
                            label="Published (optional)",
                            placeholder="YYYY-MM-DD",
                            elem_id="upload-published",
                        )
                    upload = gr.File(
                        label="Add articles: .txt .md .html .pdf .docx (several at once)",
                        file_count="multiple",
                        elem_id="upload",
                    )
                    upload_result = gr.Markdown(elem_id="upload-result")
                    table = gr.Dataframe(
                        headers=["Title", "Source", "Published", "Size", "Id"],
                        interactive=False,
                        wrap=True,
                        column_widths=["38%", "18%", "14%", "13%", "17%"],
                        elem_id="library",
                        label="Indexed articles (click a row to read it)",
                    )
                    with gr.Row():
                        to_remove = gr.Dropdown(
                            label="Article to edit, re-index or remove",
                            elem_id="remove-choice",
                            scale=4,
                        )
                        reindex_btn = gr.Button("Re-index", scale=1, elem_id="reindex")
                        remove_btn = gr.Button("Remove", variant="stop", scale=1)
                        refresh_btn = gr.Button("Refresh", scale=1)
                    with gr.Row(equal_height=True):
                        edit_title = gr.Textbox(label="Title", scale=4, elem_id="edit-title")
                        edit_source = gr.Textbox(label="Source", scale=2, elem_id="edit-source")
                        edit_date = gr.Textbox(
                            label="Published",
                            placeholder="YYYY-MM-DD",
                            scale=2,
                            elem_id="edit-published",
                        )
                        save_btn = gr.Button("Save details", scale=1, elem_id="save-details")
            with gr.Column(scale=2):
                panel = gr.HTML(
                    PANEL_EMPTY,
                    elem_id="article",
                    js_on_load=PANEL_JS,
                    container=True,
                    padding=True,
                    label="Article",
                )

        ask_inputs = [box, chatbot, turns, sources, date_from, date_to, chosen]
        ask_outputs = [box, chatbot, turns, export]
        shown = [status, table, sources, chosen, to_remove]
        private = {"api_visibility": "private"}
        heavy = {"concurrency_id": "assistant", **private}
        box.submit(respond, ask_inputs, ask_outputs, **heavy)
        send.click(respond, ask_inputs, ask_outputs, **heavy)
        chatbot.example_select(pick_example, None, box, **private, queue=False).then(
            respond, ask_inputs, ask_outputs, **heavy
        )
        reset.click(clear, None, [chatbot, turns, export, panel], **private, queue=False)
        chatbot.clear(clear, None, [chatbot, turns, export, panel], **private, queue=False)
        panel.click(open_citation, None, panel, **private)
        table.select(open_row, None, panel, **private)
        upload.upload(add_files, [upload, upload_source, upload_date], upload_result, **heavy).then(
            refresh, [sources, chosen], shown, **private
        ).then(lambda: None, None, upload, **private)
        remove_btn.click(remove, to_remove, [upload_result, panel], **private).then(
            refresh, [sources, chosen], shown, **private
        )
        reindex_btn.click(reindex, to_remove, upload_result, **heavy).then(
            refresh, [sources, chosen], shown, **private
        )
        editing = [edit_title, edit_source, edit_date]
        to_remove.change(details, to_remove, editing, show_progress="hidden", **private)
        save_btn.click(save, [to_remove, *editing], upload_result, **heavy).then(
            refresh, [sources, chosen], shown, **private
        )
        for event in (refresh_btn.click, library_tab.select, page.load):
            event(refresh, [sources, chosen], shown, **private)

        @_friendly
        def ask(
            question: str,
            history: list[dict] | None = None,
            filters: dict | None = None,
        ) -> dict:
            """Answer a question about the articles: the answer contract (see the README).
            history: earlier turns [{"role", "content"}]; filters: {"sources",
            "published_from", "published_to", "article_ids"}."""
            return assistant.ask(question, history=history or None, filters=filters).to_dict()

        @_friendly
        def articles() -> list[dict]:
            """Metadata of every indexed article (no text)."""
            return [{k: v for k, v in a.items() if k != "path"} for a in assistant.articles()]

        @_friendly
        def article(article_id: str) -> dict:
            """One article: metadata and the text citation offsets point into."""
            a = assistant.article(article_id)
            return {**{k: v for k, v in a.meta().items() if k != "path"}, "text": a.text}

        gr.api(ask, api_name="ask", concurrency_id="assistant")
        gr.api(articles, api_name="articles")
        gr.api(article, api_name="article")
    return page


def _day(label: str, elem_id: str) -> gr.DateTime:
    return gr.DateTime(
        label=label,
        include_time=False,
        type="string",
        info="YYYY-MM-DD, or pick a day",
        elem_id=elem_id,
    )


def mount(app: FastAPI, assistant: Assistant) -> FastAPI:
    """`app` (the HTTP API) with the page at /, behind the login when one is set."""
    settings = assistant.settings
    page = build(assistant)
    page.queue(max_size=settings.queue_size, default_concurrency_limit=settings.concurrency)
    login = settings.login.get_secret_value().split(":", 1) if settings.login else None
    return gr.mount_gradio_app(
        app,
        page,
        path="/",
        auth=tuple(login) if login else None,
        auth_message="Log in to the news assistant." if login else None,
        allowed_paths=[],  # Gradio serves only files it made or was handed, nothing else
        max_file_size=int(settings.max_file_mb * 1024 * 1024),
        footer_links=["api"],
        run_history=False,
        mcp_server=False,
        ssr_mode=False,
        show_error=True,
        css=CSS,
        theme=theme(),
    )
