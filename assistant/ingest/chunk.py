"""Chunks: windows of whole sentences sized so the embedder reads every word piece.

Token counts come from the embedder's own WordPiece tokenizer. BERT pre-tokenizes on
whitespace and punctuation, so the count of a text is the sum of the counts of its
whitespace-separated words: a window's size is the sum of its sentences' sizes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from assistant.types import Chunk, Sentence

CountTokens = Callable[[Sequence[str]], list[int]]
TITLE_TOKENS = 32  # at most this much of the title is prefixed to each chunk for embedding


def fit_sentences(
    text: str, sentences: Sequence[Sentence], count: CountTokens, budget: int
) -> tuple[list[Sentence], list[int]]:
    """Split any sentence longer than `budget` word pieces at word boundaries.

    Returns the sentences (pieces in place of over-long ones) and their token counts.
    """
    counts = count([text[s.start : s.end] for s in sentences])
    out: list[Sentence] = []
    out_counts: list[int] = []
    for sent, n in zip(sentences, counts, strict=True):
        if n <= budget:
            out.append(sent)
            out_counts.append(n)
            continue
        for piece, m in _split_long(text, sent, count, budget):
            out.append(piece)
            out_counts.append(m)
    return out, out_counts


def _split_long(
    text: str, sent: Sentence, count: CountTokens, budget: int
) -> list[tuple[Sentence, int]]:
    words: list[tuple[int, int]] = []
    pos = sent.start
    for word in text[sent.start : sent.end].split():
        start = text.index(word, pos)
        words.append((start, start + len(word)))
        pos = start + len(word)
    counts = count([text[a:b] for a, b in words])
    pieces: list[tuple[Sentence, int]] = []
    first, total = 0, 0
    for i, n in enumerate(counts):
        if n > budget:  # one "word" longer than the budget (a URL, a run of symbols): cut it
            if total:
                pieces.append((Sentence(words[first][0], words[i - 1][1]), total))
            pieces.extend(_cut_word(text, words[i], count, budget))
            first, total = i + 1, 0
            continue
        if total + n > budget:
            pieces.append((Sentence(words[first][0], words[i - 1][1]), total))
            first, total = i, 0
        total += n
    if total:
        pieces.append((Sentence(words[first][0], words[-1][1]), total))
    return pieces


def _cut_word(
    text: str, span: tuple[int, int], count: CountTokens, budget: int
) -> list[tuple[Sentence, int]]:
    pieces: list[tuple[Sentence, int]] = []
    start, end = span
    step = max(1, budget)  # a word piece covers at least one character
    for a in range(start, end, step):
        b = min(end, a + step)
        pieces.append((Sentence(a, b), count([text[a:b]])[0]))
    return pieces


def make_chunks(
    article_id: str,
    text: str,
    sentences: Sequence[Sentence],
    counts: Sequence[int],
    budget: int,
    overlap: int,
) -> list[Chunk]:
    """Greedy windows of consecutive sentences whose token counts sum to at most `budget`.

    Neighbouring windows share `overlap` sentences when that still leaves room to advance.
    """
    chunks: list[Chunk] = []
    i = 0
    while i < len(sentences):
        j, total = i, 0
        while j < len(sentences) and total + counts[j] <= budget:
            total += counts[j]
            j += 1
        j = max(j, i + 1)  # fit_sentences guarantees one sentence always fits
        window = tuple(sentences[i:j])
        chunks.append(
            Chunk(article_id, len(chunks), window, text[window[0].start : window[-1].end])
        )
        if j >= len(sentences):
            break
        i = max(j - overlap, i + 1)
    return chunks
