"""What the page renders (answers, the article panel, the Markdown export) and its endpoints."""

from __future__ import annotations

import re

from assistant import Assistant
from assistant.ui import build, render_article
from tests.conftest import SEEDS
from tests.unit.test_render import ARTICLE, END, START


def test_the_panel_marks_the_cited_span_and_escapes_the_rest():
    html = render_article(ARTICLE, START, END)
    marked = re.search(r'<mark class="cited"[^>]*>(.*?)</mark>', html).group(1)
    assert marked == "The &lt;b&gt;cited&lt;/b&gt; one &amp; more."
    assert "Src &amp; Co \u00b7 2020-01-02" in html and "<code>a1b2</code>" in html
    assert "<mark" not in render_article(ARTICLE, 5, 500)  # offsets out of range mark nothing
    assert "<mark" not in render_article(ARTICLE)


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


def test_the_upload_list_says_which_article_a_copy_repeats():
    from assistant.ingest.pipeline import FileResult
    from assistant.ui import result_line

    copy = FileResult(
        "b.txt", "copy", "abc", "b", message="b.txt: the same text as 'a' (abc), indexed once"
    )
    line = result_line(copy)
    assert (
        line.startswith("- \u2713 copy: **b.txt**")
        and "the same text as &#x27;a&#x27; (abc)" in line
    )
