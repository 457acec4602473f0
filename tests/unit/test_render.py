"""Every way an answer is shown (assistant.render): the web page's HTML, the exported
Markdown, the text for OpenAI clients, the streamed pieces."""

from __future__ import annotations

from assistant.render import describe_filters, html, markdown, pieces, plain
from assistant.types import Answer, Article, Citation, Context

TEXT = "First sentence. The <b>cited</b> one & more. Last one."
START = TEXT.index("The")
END = TEXT.index("more.") + len("more.")
ARTICLE = Article("a1b2", "Title <i>x</i>", TEXT, "Src & Co", "2020-01-02")
CITATION = Citation(
    1, "a1b2", ARTICLE.title, ARTICLE.source, "2020-01-02", TEXT[START:END], START, END
)
ANSWER = Answer("what?", "The cited one [1].", "cited", False, [CITATION])


def test_each_citation_number_links_to_its_sentence():
    md = html(ANSWER.to_dict())
    href = f'href="#cite/a1b2/{START}/{END}"'
    assert md.count(f'<a class="cite" {href}') == 2  # in the answer and on the quote
    assert "**cited**" in md
    assert '<blockquote class="citation"' in md
    assert "&lt;b&gt;cited&lt;/b&gt;" in md and "<b>cited</b>" not in md  # article text escaped
    assert "Title &lt;i&gt;x&lt;/i&gt;" in md and "Src &amp; Co, 2020-01-02" in md


def test_notes_say_how_the_answer_was_made():
    assert '<small class="note">' not in html(ANSWER.to_dict())
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
    md = html(generative.to_dict())
    assert (
        "Phrased by gemma; every sentence checked against its quotes, 1 unsupported "
        "sentence removed" in md
    )
    assert "Understood as: what is &lt;cited&gt;?" in md
    fallback = Answer("what?", "The cited one [1].", None, False, [CITATION], notice="Too slow")
    assert '<small class="note">Too slow</small>' in html(fallback.to_dict())


def test_markers_without_a_citation_stay_text():
    answer = Answer("q", "Something [2].", None, False, [CITATION])
    assert "Something [2]." in html(answer.to_dict())


def test_an_abstention_is_visible_and_names_the_filters():
    answer = Answer("q", "I could not find this in the articles.", None, True, [])
    md = html(answer.to_dict(), {"sources": ["A", "B"], "published_from": "2020-01-01"})
    assert 'class="abstained"' in md and "The assistant abstained" in md
    assert "Searched only: source A or B; from 2020-01-01." in md
    assert describe_filters({"article_ids": ["x"]}) == "1 chosen article"
    assert describe_filters(None) == ""


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
    md = markdown(turns)
    assert md.startswith("# Conversation with the news assistant")
    assert "## what?\n\nThe cited one [1]." in md
    assert f"> [1] \u201c{TEXT[START:END]}\u201d" in md
    assert f"(article `a1b2`, characters {START}-{END})" in md
    assert "_Searched only: source Src & Co._" in md and "_(abstained)_" in md


def test_references_put_each_quote_under_the_answer():
    c = Citation(1, "abc", "Title", "Src", "2017-06-01", "A quote.", 0, 8)
    text = plain(Answer("q?", "Yes [1].", None, False, [c]).to_dict())
    assert text == "Yes [1].\n\n[1] \u201cA quote.\u201d \u2014 Title (Src, 2017-06-01)"
    c = Citation(1, "abc", "T", None, None, "Q.", 10, 12, Context("On Monday.", 0, 10))
    assert plain(Answer("q?", "x on Monday [1].", citations=[c]).to_dict()).endswith(
        "[1] (On Monday.) \u201cQ.\u201d \u2014 T"
    )
    assert plain(
        Answer("q?", "I could not find this in the articles.", abstained=True).to_dict()
    ) == ("I could not find this in the articles.")


def test_pieces_join_back():
    for text in ("", "one", "36 vehicles [1]. Also  reported:\n eight [1].", "  lead"):
        assert "".join(pieces(text)) == text
