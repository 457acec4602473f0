"""Every way an answer is shown, in one place: each front end renders the answer contract
(`Answer.to_dict()`, or the same JSON from a server) with one of these.

- `terminal`: the command line (quotes wrapped, offsets shown);
- `plain`: text-only clients (the OpenAI-style /v1 endpoint);
- `html`: the web page (each [n] a link that opens the article at its sentence);
- `markdown`: a conversation exported from the web page.
"""

from __future__ import annotations

import html as _html
import re
import textwrap
from collections.abc import Iterator
from datetime import UTC, datetime


def pieces(text: str, words: int = 3) -> Iterator[str]:
    """`text` in small pieces for streaming; joined, they give `text` back exactly."""
    tokens = re.findall(r"\S+\s*|\s+", text)
    for i in range(0, len(tokens), words):
        yield "".join(tokens[i : i + words])


def where(c: dict) -> str:
    """'Press TV, 2017-06-01': a citation's, claim's or event's source and date, those it has."""
    return ", ".join(x for x in (c["source"], c["published"]) if x)


def quote(c: dict) -> str:
    """'[1] (the sentence before) “the quote”': the context, when the answer draws on it."""
    before = f"({c['context']['text']}) " if c.get("context") else ""
    return f"[{c['n']}] {before}\u201c{c['quote']}\u201d"


def describe_filters(filters: dict | None) -> str:
    """'source Daily Planet; from 2020-01-01; 2 chosen articles', or '' when none."""
    if not filters:
        return ""
    parts = []
    if filters.get("sources"):
        parts.append("source " + " or ".join(filters["sources"]))
    if filters.get("published_from"):
        parts.append(f"from {filters['published_from']}")
    if filters.get("published_to"):
        parts.append(f"to {filters['published_to']}")
    if filters.get("article_ids"):
        n = len(filters["article_ids"])
        parts.append(f"{n} chosen article{'s' * (n != 1)}")
    return "; ".join(parts)


def terminal(answer: dict) -> str:
    """For a terminal: how a follow-up was understood (when it was rewritten), the text, then
    each cited quote with where it comes from."""
    lines = [answer["answer"]]
    if answer.get("standalone_question"):
        lines.insert(0, f"Understood as: {answer['standalone_question']}")
    for c in answer["citations"]:
        at = where(c)
        lines += [
            "",
            textwrap.fill(quote(c), width=100, subsequent_indent="    "),
            f"    {c['title']}"
            + (f" ({at})" if at else "")
            + f"  [article {c['article_id']}, chars {c['start']}-{c['end']}]",
        ]
    if answer.get("mode") == "generative":
        lines += ["", f"(written by {answer['model']}; every sentence checked against its quotes)"]
    if answer.get("removed"):
        lines += [
            f"(removed {len(answer['removed'])} unsupported sentence(s) of the model's answer)"
        ]
    return "\n".join(lines)


def plain(answer: dict) -> str:
    """The answer with its quotes below, for clients that only show text (OpenAI clients)."""
    lines = [answer["answer"]]
    if answer["citations"]:
        lines.append("")
    for c in answer["citations"]:
        at = where(c)
        lines.append(f"{quote(c)} \u2014 {c['title']}" + (f" ({at})" if at else ""))
    return "\n".join(lines)


def cite_href(article_id: str, start: int, end: int) -> str:
    return f"#cite/{article_id}/{start}/{end}"


def html(answer: dict, filters: dict | None = None) -> str:
    """For the web page: the answer with each [n] a link to its sentence, then each citation:
    the quoted sentence with title, source and date. An abstention says so visibly."""
    esc = _html.escape
    only = describe_filters(filters)
    scope = f'\n\n<small class="filtered">Searched only: {esc(only)}.</small>' if only else ""
    notes = [answer["notice"]] if answer.get("notice") else []
    if answer.get("standalone_question"):
        notes.append(f"Understood as: {answer['standalone_question']}")
    if answer.get("mode") == "generative":
        dropped = len(answer.get("removed") or [])
        notes.append(
            f"Phrased by {answer.get('model') or 'a language model'}; every sentence checked "
            "against its quotes"
            + (f", {dropped} unsupported sentence{'s' * (dropped != 1)} removed" if dropped else "")
        )
    scope += "".join(f'\n\n<small class="note">{esc(n)}</small>' for n in notes)
    if answer["abstained"]:
        return (
            f'<div class="abstained"><i>{esc(answer["answer"])}</i><br><small>'
            "The assistant abstained: no sentence in the articles supports an answer. Try "
            "other words, widen the filters, or add articles in the Library tab.</small></div>"
            + scope
        )
    links = {
        c["n"]: f'<a class="cite" href="{cite_href(c["article_id"], c["start"], c["end"])}" '
        f'title="Open the article at this sentence">[{c["n"]}]</a>'
        for c in answer["citations"]
    }
    if answer.get("layout"):  # across articles: a table
        text = _html_table(answer, links)
    else:
        text = esc(answer["answer"])
        if answer.get("short_answer"):  # the short answer stands out where the answer states it
            short = esc(answer["short_answer"])
            text = (
                text.replace(short, f"**{short}**", 1)
                if short in text
                else f"**{short}**\n\n{text}"
            )
        text = _linked(text, links)
    parts = [text]
    for c in answer["citations"]:
        at = esc(where(c))
        context = (
            '<span class="context" title="the sentence before, which the answer draws on">'
            f"{esc(c['context']['text'])}</span> "
            if c.get("context")
            else ""
        )
        parts.append(
            f'<blockquote class="citation" data-n="{c["n"]}" data-article="{c["article_id"]}" '
            f'data-start="{c["start"]}" data-end="{c["end"]}">{links[c["n"]]} {context}'
            f"\u201c{esc(c['quote'])}\u201d<br><small><i>{esc(c['title'])}</i>"
            + (f" \u2014 {at}" if at else "")
            + "</small></blockquote>"
        )
    return "\n\n".join(parts) + scope


def rows(answer: dict) -> tuple[list[str], list[list[str]]] | None:
    """An answer laid out across articles as a table: (header, rows), each row's last cell its
    citation markers ('[1][2]'); None for an answer of one piece. Claims that agree, and
    comparison parts told alike by two articles, share a row; a column empty in every row is
    left out."""
    layout = answer.get("layout")
    if not layout:
        return None
    header, body = _rows(answer, layout)
    keep = [i for i in range(len(header)) if i == len(header) - 1 or any(r[i] for r in body)]
    return [header[i] for i in keep], [[r[i] for i in keep] for r in body]  # no empty column


def _rows(answer: dict, layout: str) -> tuple[list[str], list[list[str]]]:

    def marks(numbers: list[int]) -> str:
        return "".join(f"[{n}]" for n in numbers)

    if layout == "timeline":
        return ["When", "As written", "What happened", "Source", ""], [
            [
                (e["label"] or "undated")
                + (" (dated otherwise elsewhere)" if e.get("group") else ""),
                e["words"] or "",
                e["text"],
                where(e) or e["title"],
                marks(e["citations"]),
            ]
            for e in answer["timeline"]
        ]
    groups: dict[int, list[dict]] = {}  # claims that say the same share a row, as in the text
    for c in answer["claims"]:
        groups.setdefault(c["group"], []).append(c)

    def sources(same: list[dict]) -> list[str]:
        return [
            "; ".join(where(c) or c["title"] for c in same),
            "".join(marks(c["citations"]) for c in same),
        ]

    if layout == "compare":
        return ["Side", "What it says", "Source", ""], [
            [same[0]["label"] or same[0]["title"], same[0]["value"], *sources(same)]
            for same in groups.values()
        ]
    head = "Speaker" if layout == "speakers" else "Value"
    return [head, "Said by" if layout != "speakers" else "Quoted in", "Source", ""], [
        [
            same[0]["value"],
            "; ".join(dict.fromkeys(c["speaker"] or "" for c in same if c["speaker"]))
            if layout != "speakers"
            else "; ".join(c["title"] for c in same),
            *sources(same),
        ]
        for same in groups.values()
    ]


def verdict(answer: dict) -> str:
    """'The sources differ.' / '3 sources agree.' / '' for an answer with no such verdict."""
    if answer.get("agreement") == "differ" and answer.get("layout") == "timeline":
        n = len({e.get("group") for e in answer["timeline"] if e.get("group")})
        return f"The sources differ on when: {n} event{'s' * (n > 1)} dated otherwise."
    if answer.get("agreement") == "differ":
        n = len({c["group"] for c in answer["claims"]})
        return f"The sources differ: {n} values from {len(answer['claims'])} articles."
    if answer.get("agreement") == "agree":
        return f"{len(answer['claims'])} sources agree."
    return ""


def _linked(text: str, links: dict[int, str]) -> str:
    """Each [n] of `text` as its citation's link (a marker with no citation stays as it is)."""
    return re.sub(r"\[(\d+)\]", lambda m: links.get(int(m.group(1)), m.group(0)), text)


def _html_table(answer: dict, links: dict[int, str]) -> str:
    esc = _html.escape
    header, body = rows(answer) or ([], [])

    def cell(i: int, value: str) -> str:
        return esc(value) if i < len(header) - 1 else _linked(value, links)

    said = verdict(answer)
    return (
        (f'<p class="verdict"><b>{esc(said)}</b></p>' if said else "")
        + f'<table class="{esc(answer["layout"])}"><thead><tr>'
        + "".join(f"<th>{esc(h)}</th>" for h in header)
        + "</tr></thead><tbody>"
        + "".join(
            "<tr>" + "".join(f"<td>{cell(i, v)}</td>" for i, v in enumerate(r)) + "</tr>"
            for r in body
        )
        + "</tbody></table>"
    )


def _markdown_table(answer: dict) -> list[str]:
    header, body = rows(answer) or ([], [])

    def cell(v: str) -> str:
        return " ".join(v.split()).replace("|", "\\|")

    said = verdict(answer)
    return ([f"**{said}**", ""] if said else []) + [
        "| " + " | ".join(header) + " |",
        "|" + "---|" * len(header),
        *("| " + " | ".join(cell(v) for v in r) + " |" for r in body),
    ]


def markdown(turns: list[dict]) -> str:
    """A conversation as Markdown: each question ({"question", "answer": the contract,
    "filters"}), its answer, and the quoted sentences with where they come from."""
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = ["# Conversation with the news assistant", "", f"_Exported {now}._"]
    for t in turns:
        a = t["answer"]
        lines += ["", f"## {t['question']}", ""]
        only = describe_filters(t.get("filters"))
        if only:
            lines += [f"_Searched only: {only}._", ""]
        if a.get("layout") and not a["abstained"]:
            lines += _markdown_table(a)
        else:
            lines.append(a["answer"] + (" _(abstained)_" if a["abstained"] else ""))
        for c in a["citations"]:
            at = where(c)
            lines += [
                "",
                f"> {quote(c)}",
                f"> \u2014 *{c['title']}*"
                + (f", {at}" if at else "")
                + f" (article `{c['article_id']}`, characters {c['start']}-{c['end']})",
            ]
    return "\n".join(lines) + "\n"
