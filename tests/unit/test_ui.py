"""What the page renders (answers, the article panel, the Markdown export) and its endpoints."""

from __future__ import annotations

import re

from assistant import Assistant
from assistant.types import Answer, Article, Citation
from assistant.ui import build, describe_filters, export_markdown, render_article, render_markdown
from tests.conftest import SEEDS

TEXT = "First sentence. The <b>cited</b> one & more. Last one."
START = TEXT.index("The")
END = TEXT.index("more.") + len("more.")
ARTICLE = Article("a1b2", "Title <i>x</i>", TEXT, "Src & Co", "2020-01-02")
CITATION = Citation(
    1, "a1b2", ARTICLE.title, ARTICLE.source, "2020-01-02", TEXT[START:END], START, END
)
ANSWER = Answer("what?", "The cited one [1].", "cited", False, [CITATION])


def test_each_citation_number_links_to_its_sentence():
    md = render_markdown(ANSWER)
    href = f'href="#cite/a1b2/{START}/{END}"'
    assert md.count(f'<a class="cite" {href}') == 2  # in the answer and on the quote
    assert "**cited**" in md
    assert '<blockquote class="citation"' in md
    assert "&lt;b&gt;cited&lt;/b&gt;" in md and "<b>cited</b>" not in md  # article text escaped
    assert "Title &lt;i&gt;x&lt;/i&gt;" in md and "Src &amp; Co, 2020-01-02" in md


def test_notes_say_how_the_answer_was_made():
    assert '<small class="note">' not in render_markdown(ANSWER)
    generative = Answer(
        "what?",
        "The cited one [1].",
        None,
        False,
        [CITATION],
        mode="generative",
        model="gemma",
        removed=[{"text": "x", "reason": "y"}],
        standalone_question="what is <cited>?",
    )
    md = render_markdown(generative)
    assert (
        "Phrased by gemma; every sentence checked against its quotes, 1 unsupported "
        "sentence removed" in md
    )
    assert "Understood as: what is &lt;cited&gt;?" in md
    fallback = Answer("what?", "The cited one [1].", None, False, [CITATION], notice="Too slow")
    assert '<small class="note">Too slow</small>' in render_markdown(fallback)


def test_markers_without_a_citation_stay_text():
    answer = Answer("q", "Something [2].", None, False, [CITATION])
    assert "Something [2]." in render_markdown(answer)


def test_an_abstention_is_visible_and_names_the_filters():
    answer = Answer("q", "I could not find this in the articles.", None, True, [])
    md = render_markdown(answer, {"sources": ["A", "B"], "published_from": "2020-01-01"})
    assert 'class="abstained"' in md and "The assistant abstained" in md
    assert "Searched only: source A or B; from 2020-01-01." in md
    assert describe_filters({"article_ids": ["x"]}) == "1 chosen article"
    assert describe_filters(None) == ""


def test_the_panel_marks_the_cited_span_and_escapes_the_rest():
    html = render_article(ARTICLE, START, END)
    marked = re.search(r'<mark class="cited"[^>]*>(.*?)</mark>', html).group(1)
    assert marked == "The &lt;b&gt;cited&lt;/b&gt; one &amp; more."
    assert "Src &amp; Co \u00b7 2020-01-02" in html and "<code>a1b2</code>" in html
    assert "<mark" not in render_article(ARTICLE, 5, 500)  # offsets out of range mark nothing
    assert "<mark" not in render_article(ARTICLE)


def test_the_export_is_markdown_with_quotes_and_where_they_come_from():
    turns = [
        {"question": "what?", "answer": ANSWER.to_dict(), "filters": None},
        {
            "question": "who?",
            "answer": Answer(
                "who?", "I could not find this in the articles.", abstained=True
            ).to_dict(),
            "filters": {"sources": ["Src & Co"]},
        },
    ]
    md = export_markdown(turns)
    assert md.startswith("# Conversation with the news assistant")
    assert "## what?\n\nThe cited one [1]." in md
    assert f"> [1] \u201c{TEXT[START:END]}\u201d" in md
    assert f"(article `a1b2`, characters {START}-{END})" in md
    assert "_Searched only: source Src & Co._" in md and "_(abstained)_" in md


def test_the_named_endpoints_answer_with_the_contract(fake_assistant: Assistant):
    fake_assistant.ingest([SEEDS])
    page = build(fake_assistant)
    public = {fn.api_name: fn for fn in page.fns.values() if fn.api_visibility == "public"}
    assert set(public) == {"ask", "articles", "article"}
    answer = public["ask"].fn("how many vehicles were destroyed?")
    assert answer["short_answer"] == "36 vehicles"
    (meta,) = public["articles"].fn()
    assert "path" not in meta
    assert public["article"].fn(meta["id"])["text"].startswith("Russian jets")
