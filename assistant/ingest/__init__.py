"""Files in, articles and chunks out: load -> clean text + metadata -> sentences -> chunks."""

from __future__ import annotations

import hashlib
from pathlib import Path

from assistant.ingest.chunk import TITLE_TOKENS, CountTokens, fit_sentences, make_chunks
from assistant.ingest.sentences import split_sentences
from assistant.types import Article, Chunk, Document


def article_id(doc: Document, title: str) -> str:
    """Stable id from the article's content: same text and metadata, same id."""
    h = hashlib.sha256()
    for part in (title, doc.source or "", doc.published or "", doc.url or "", doc.text):
        h.update(part.encode("utf-8"))
        h.update(b"\0")
    return h.hexdigest()[:16]


def to_article(doc: Document, path: Path) -> Article:
    title = doc.title or path.stem.replace("_", " ").replace("-", " ").strip() or "Untitled"
    return Article(
        id=article_id(doc, title),
        title=title,
        text=doc.text,
        source=doc.source,
        published=doc.published,
        url=doc.url,
        path=str(path.resolve()),
        format=doc.format,
    )


def title_prefix(title: str, count: CountTokens) -> str:
    """The part of the title (at most TITLE_TOKENS word pieces) prefixed to each chunk."""
    words = title.split()
    counts = count(words)
    kept, total = [], 0
    for w, n in zip(words, counts):
        if total + n > TITLE_TOKENS:
            break
        kept.append(w)
        total += n
    return " ".join(kept)


def chunk_article(
    article: Article, count: CountTokens, chunk_tokens: int, overlap: int
) -> tuple[list[Chunk], list[str]]:
    """Split once into sentences, then window them so title + window fits `chunk_tokens`.

    Returns the chunks and the texts to embed for them (title prefix, newline, chunk text).
    """
    prefix = title_prefix(article.title, count)
    budget = chunk_tokens - (count([prefix])[0] if prefix else 0)
    sentences, counts = fit_sentences(article.text, split_sentences(article.text), count, budget)
    chunks = make_chunks(article.id, article.text, sentences, counts, budget, overlap)
    return chunks, [f"{prefix}\n{c.text}" if prefix else c.text for c in chunks]
