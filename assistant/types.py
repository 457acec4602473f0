"""The shared vocabulary every layer passes around: articles, sentences, chunks, passages, answers."""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field


@dataclass(frozen=True)
class Document:
    """What a loader read from one file: clean text plus whatever metadata it found."""

    text: str
    title: str | None = None
    source: str | None = None
    published: str | None = None  # YYYY-MM-DD
    url: str | None = None
    format: str = "txt"


@dataclass(frozen=True)
class Sentence:
    """A sentence as a character span of its article's stored text."""

    start: int
    end: int


@dataclass(frozen=True)
class Article:
    """A stored article. `id` is derived from its content, so the same article keeps its id."""

    id: str
    title: str
    text: str
    source: str | None = None
    published: str | None = None
    url: str | None = None
    path: str | None = None
    format: str = "txt"

    @property
    def content(self) -> str:
        """The text's fingerprint: the same words in the same order give the same one, whatever
        the file's name, title, date or line breaks. A second file with it is a copy, not
        another article (nor another source)."""
        return hashlib.sha256(" ".join(self.text.split()).encode()).hexdigest()[:16]

    def meta(self) -> dict:
        d = asdict(self)
        d.pop("text")
        d["chars"] = len(self.text)
        return d


@dataclass(frozen=True)
class Chunk:
    """A window of whole sentences of one article; what gets embedded and retrieved."""

    article_id: str
    index: int
    sentences: tuple[Sentence, ...]
    text: str  # article.text[start:end]

    @property
    def id(self) -> str:
        return f"{self.article_id}:{self.index}"

    @property
    def start(self) -> int:
        return self.sentences[0].start

    @property
    def end(self) -> int:
        return self.sentences[-1].end


@dataclass(frozen=True)
class Passage:
    """A retrieved chunk with its article's metadata and its fused retrieval score."""

    chunk: Chunk
    title: str
    source: str | None
    published: str | None
    score: float
    rank: int


@dataclass(frozen=True)
class Context:
    """The sentence before a quote, when the answer takes something from it (the date of
    '... destroyed 36 vehicles' is in the sentence before): `article.text[start:end] == text`."""

    text: str
    start: int
    end: int


@dataclass(frozen=True)
class Citation:
    """A verbatim quote: `article.text[start:end] == quote`; `context`: the sentence before
    it, verbatim too, when the answer's words for this citation draw on it."""

    n: int
    article_id: str
    title: str
    source: str | None
    published: str | None
    quote: str
    start: int
    end: int
    context: Context | None = None


@dataclass(frozen=True)
class Claim:
    """What one article says, laid beside what the others say: a value ('80 militants') and
    who said it, or in a comparison the article's or the speaker's side (`label`). Claims with
    the same `group` give the same value; `citations`: the numbers of the quotes it rests on."""

    value: str
    citations: tuple[int, ...]
    article_id: str
    title: str
    source: str | None
    published: str | None
    speaker: str | None = None
    group: int = 0
    label: str | None = None


@dataclass(frozen=True)
class Event:
    """A timeline's row: when (`date` 'YYYY-MM-DD', 'YYYY-MM' or 'YYYY', placed from the
    article's publication date when the words are relative; None: undated), the words the
    article uses ('on Monday'), what happened (the quoted sentence) and its citations (one per
    article that tells it). Rows where articles tell one event with other dates share a
    `group` number (0: no other source dates it otherwise)."""

    date: str | None
    label: str
    words: str | None
    text: str
    citations: tuple[int, ...]
    article_id: str
    title: str
    source: str | None
    published: str | None
    speaker: str | None = None
    group: int = 0


@dataclass
class Answer:
    """The answer contract shared by the CLI, the Python API, the web page and the HTTP API."""

    question: str
    answer: str
    short_answer: str | None = None
    abstained: bool = False
    citations: list[Citation] = field(default_factory=list)
    support: float = 0.0  # evidence score of the answer's sentence; below min_support: abstain
    retrieved: list[str] = field(default_factory=list)  # article ids, best first (for evals)
    mode: str = "extractive"  # extractive | generative (a model phrased it; every sentence checked)
    standalone_question: str | None = None  # the follow-up rewritten to stand alone, if it was
    model: str | None = None  # the model that phrased the answer (generative mode)
    prompts: list[dict] = field(default_factory=list)  # [{"id", "sha256"}] of the prompts used
    removed: list[dict] = field(default_factory=list)  # model sentences dropped: {"text", "reason"}
    notice: str | None = None  # why a model's answer is not shown (failure, time limit, unverified)
    layout: str | None = None  # claims | speakers | compare | timeline: across articles
    agreement: str | None = None  # claims: "differ" (the sources give other values) | "agree"
    claims: list[Claim] = field(default_factory=list)  # claims, speakers, compare layouts
    timeline: list[Event] = field(default_factory=list)  # timeline layout, in date order

    def to_dict(self) -> dict:
        return {
            "question": self.question,
            "answer": self.answer,
            "short_answer": self.short_answer,
            "abstained": self.abstained,
            "citations": [asdict(c) for c in self.citations],
            "support": round(self.support, 4),
            "mode": self.mode,
            "standalone_question": self.standalone_question,
            "model": self.model,
            "prompts": self.prompts,
            "removed": self.removed,
            "notice": self.notice,
            "layout": self.layout,
            "agreement": self.agreement,
            "claims": [asdict(c) for c in self.claims],
            "timeline": [asdict(e) for e in self.timeline],
        }
