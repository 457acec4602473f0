"""The Gradio chat page. It holds no logic: it calls the same Assistant as the CLI and API."""

from __future__ import annotations

import html

import gradio as gr

from assistant.chat import Assistant
from assistant.errors import AssistantError
from assistant.types import Answer

EXAMPLES = ["How many vehicles were destroyed?", "Who claimed the SDF deal?"]


def render_markdown(answer: Answer) -> str:
    """The answer, then each citation: the quoted sentence with title, source and date."""
    if answer.abstained:
        return (
            f"_{html.escape(answer.answer)}_\n\n"
            "<small>The assistant abstained: no sentence in the articles supports an answer.</small>"
        )
    text = html.escape(answer.answer)
    if answer.short_answer:  # the short answer stands out where the answer states it
        short = html.escape(answer.short_answer)
        text = text.replace(short, f"**{short}**", 1) if short in text else f"**{short}**\n\n{text}"
    parts = [text]
    for c in answer.citations:
        where = ", ".join(html.escape(x) for x in (c.source, c.published) if x)
        parts.append(
            f'<blockquote class="citation" data-n="{c.n}" data-article="{c.article_id}" '
            f'data-start="{c.start}" data-end="{c.end}"><b>[{c.n}]</b> '
            f"\u201c{html.escape(c.quote)}\u201d<br><small><i>{html.escape(c.title)}</i>"
            + (f" \u2014 {where}" if where else "")
            + "</small></blockquote>"
        )
    return "\n\n".join(parts)


def build(assistant: Assistant) -> gr.Blocks:
    def library() -> str:
        status = assistant.status()
        n = status["articles"]
        return f"{n} article{'s' * (n != 1)} indexed ({status['chunks']} chunks, {status['store']} store)"

    def respond(message: str, history: list[dict]):
        history = list(history or [])
        try:
            text = render_markdown(assistant.ask(message, history=history))
        except AssistantError as e:
            text = f"**Error:** {html.escape(e.message)}" + (
                f" ({html.escape(e.help)})" if e.help else ""
            )
        history += [{"role": "user", "content": message}, {"role": "assistant", "content": text}]
        return "", history

    with gr.Blocks(title="News assistant") as page:
        gr.Markdown(
            "## News assistant\nAnswers come only from the indexed articles, each with the sentence it rests on."
        )
        status = gr.Markdown(library())
        chatbot = gr.Chatbot(label="Conversation", height=520, sanitize_html=True, elem_id="chat")
        with gr.Row():
            box = gr.Textbox(
                placeholder="Ask a question about the articles",
                show_label=False,
                scale=8,
                elem_id="question",
                autofocus=True,
            )
            send = gr.Button("Ask", variant="primary", scale=1)
        gr.Examples(EXAMPLES, inputs=box)
        box.submit(respond, [box, chatbot], [box, chatbot], api_name="ask")
        send.click(respond, [box, chatbot], [box, chatbot], api_name=False)
        page.load(library, None, status, api_name=False)
    return page
