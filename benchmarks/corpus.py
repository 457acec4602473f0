"""Benchmark corpora: the BBC stories where they are, and a generator that scales them up.

A generated article recombines paragraphs of two to four stories of one topic (the lead story's
opening first, then paragraphs of the others in their narrative order), varies its numbers and
the surnames after Mr/Mrs/Ms/Dr consistently, and gets a new headline spliced from two of the
stories' headlines. No generated text equals a source text or another generated one. Articles
are written one file at a time into a cache folder outside the repository (BBC-derived text is
never shipped), and reused by later runs.
"""

from __future__ import annotations

import hashlib
import json
import math
import random
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from assistant.config import REPO_ROOT
from benchmarks.seed import SEED_STORIES

BBC = REPO_ROOT.parent / "shared" / "corpora" / "bbc-news"
GENERATOR_VERSION = 1
_NUMBER = re.compile(r"(?<![\w.])(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?(?![\d])")
_MONTH = re.compile(r"\s(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)")
_SURNAME = re.compile(r"\b(?:Mr|Mrs|Ms|Dr)\s+([A-Z][a-z]{2,})\b")
_TAILS = ("says report", "as talks go on", "ahead of vote", "amid warnings", "after review")


@dataclass(frozen=True)
class Story:
    topic: str
    title: str
    paragraphs: tuple[str, ...]


@dataclass
class Corpus:
    """The files one benchmark size ingests."""

    name: str
    files: list[Path]
    originals: int
    generated: int


@dataclass
class Source:
    """Where stories come from: the BBC folder, or the built-in seed written to `folder`."""

    name: str  # "bbc" or "seed"
    files: list[Path]  # the original articles, in round-robin topic order

    def stories(self) -> list[Story]:
        out, seen = [], set()
        for f in self.files:
            text = decode(f.read_bytes())
            digest = hashlib.sha256(text.encode()).hexdigest()
            if digest not in seen:  # the BBC set holds 98 exact duplicates
                seen.add(digest)
                out.append(parse(f.parent.name, text))
        return out


def decode(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:  # bbc-news/sport/199.txt holds one cp1252 '£'
        return data.decode("cp1252", errors="replace")


def parse(topic: str, text: str) -> Story:
    title, _, body = text.strip().partition("\n")
    paragraphs = tuple(p.strip() for p in re.split(r"\n\s*\n", body) if p.strip())
    return Story(topic, title.strip(), paragraphs)


def open_source(bbc: Path | None, cache: Path) -> Source:
    """The BBC corpus when `bbc` holds it, else the built-in seed stories."""
    if bbc is not None and any(bbc.glob("*/*.txt")):
        topics = sorted(p for p in bbc.iterdir() if p.is_dir())
        return Source("bbc", _round_robin([sorted(t.glob("*.txt")) for t in topics]))
    folder = cache / "seed-originals"
    by_topic = []
    for topic, texts in SEED_STORIES.items():
        (folder / topic).mkdir(parents=True, exist_ok=True)
        files = []
        for i, text in enumerate(texts, start=1):
            f = folder / topic / f"{i:03d}.txt"
            if not f.exists() or f.read_text() != text + "\n":
                f.write_text(text + "\n")
            files.append(f)
        by_topic.append(files)
    return Source("seed", _round_robin(by_topic))


def _round_robin(groups: list[list[Path]]) -> list[Path]:
    out = []
    for i in range(max((len(g) for g in groups), default=0)):
        out += [g[i] for g in groups if i < len(g)]
    return out


def resolve(spec: str, source: Source, cache: Path) -> Corpus:
    """A size: 'bbc' (every BBC file), 'bbc:N' (N of them, all topics), or 'N' / 'Nk': N files,
    the source's originals first, then generated articles up to N."""
    spec = spec.strip().lower()
    if spec == "bbc" or spec.startswith("bbc:"):
        if source.name != "bbc":
            raise SystemExit(f"size {spec!r} needs the BBC corpus at {BBC}; use a number instead")
        n = int(spec[4:]) if spec.startswith("bbc:") else len(source.files)
        files = source.files[:n]
        return Corpus(spec, files, len(files), 0)
    n = int(float(spec[:-1]) * 1000) if spec.endswith("k") else int(spec)
    originals = source.files[:n]
    extra = generate(source, n - len(originals), cache)
    return Corpus(spec, originals + extra, len(originals), len(extra))


def generate(source: Source, n: int, cache: Path, seed: int = 0) -> list[Path]:
    """The first `n` generated articles of `source`, writing the ones not yet in the cache."""
    if n <= 0:
        return []
    folder = cache / f"generated-{source.name}-v{GENERATOR_VERSION}-s{seed}"
    manifest = folder / "manifest.json"
    have = json.loads(manifest.read_text())["count"] if manifest.exists() else 0
    if have < n:
        folder.mkdir(parents=True, exist_ok=True)
        # generation is deterministic: the first `have` come out the same and are not rewritten
        for i, (topic, text) in enumerate(articles(source.stories(), n, seed)):
            if i >= have:
                (folder / f"g{i:06d}-{topic}.txt").write_text(text)
                if i % 1000 == 999:
                    manifest.write_text(json.dumps({"count": i + 1}))
        manifest.write_text(json.dumps({"count": n}))
    return sorted(folder.glob("g*.txt"))[:n]


def articles(stories: list[Story], n: int, seed: int = 0) -> Iterator[tuple[str, str]]:
    """(topic, file text) of `n` new articles; deterministic for a seed, one at a time."""
    by_topic: dict[str, list[Story]] = {}
    for s in stories:
        if len(s.paragraphs) >= 2:
            by_topic.setdefault(s.topic, []).append(s)
    topics = sorted(t for t, group in by_topic.items() if len(group) >= 2)
    weights = [len(by_topic[t]) for t in topics]
    names = {
        t: sorted({m for s in by_topic[t] for m in _SURNAME.findall(_text(s))}) for t in topics
    }
    seen = {hashlib.sha256((_text(s) + "\n").encode()).hexdigest() for s in stories}
    for i in range(n):
        for attempt in range(100):
            rng = random.Random(f"{seed}:{i}:{attempt}")
            topic = rng.choices(topics, weights)[0]
            text = _compose(rng, by_topic[topic], names[topic])
            digest = hashlib.sha256(text.encode()).hexdigest()
            if digest not in seen:
                seen.add(digest)
                yield topic, text
                break
        else:
            raise RuntimeError(f"could not generate a new article #{i}: too few source stories")


def _text(s: Story) -> str:
    return s.title + "\n\n" + "\n\n".join(s.paragraphs)


def _compose(rng: random.Random, pool: list[Story], surnames: list[str]) -> str:
    group = rng.sample(pool, k=min(len(pool), rng.randint(2, 4)))
    lead, others = group[0], group[1:]
    target = max(3, len(lead.paragraphs) + rng.randint(-2, 2))

    # keep each paragraph's relative place in its story, so openings stay first and ends last
    def placed(body: tuple[str, ...]) -> list[tuple[float, str]]:
        return [((j + 1) / (len(body) + 1) + rng.random() * 0.05, p) for j, p in enumerate(body)]

    lead_rest = placed(lead.paragraphs[1:])
    donor = [x for story in others for x in placed(story.paragraphs)]
    keep_lead = rng.sample(lead_rest, k=min(len(lead_rest), max(1, target // 2)))
    keep_donor = rng.sample(donor, k=min(len(donor), max(1, target - 1 - len(keep_lead))))
    body = [p for _, p in sorted(keep_lead + keep_donor, key=lambda x: x[0])]
    paragraphs = [lead.paragraphs[0], *body]
    title = _headline(rng, lead.title, rng.choice(others).title)
    text = title + "\n\n" + "\n\n".join(paragraphs)
    return _vary(rng, text, surnames) + "\n"


def _headline(rng: random.Random, a: str, b: str) -> str:
    wa, wb = a.split(), b.split()
    if len(wa) >= 3 and len(wb) >= 3 and rng.random() < 0.6:
        return " ".join(wa[: math.ceil(len(wa) / 2)] + wb[len(wb) // 2 :])
    return f"{a} {rng.choice(_TAILS)}"


def _vary(rng: random.Random, text: str, surnames: list[str]) -> str:
    """Scale every number (years kept) and swap surnames, the same way throughout the text."""
    factor = rng.uniform(0.6, 1.6)

    def number(m: re.Match[str]) -> str:
        whole, frac = m.group(1), m.group(2) or ""
        value = int(whole.replace(",", ""))
        if not frac and (1900 <= value <= 2030 or _MONTH.match(text, m.end())):
            return m.group(0)  # a year or a day of the month
        scaled = float(whole.replace(",", "") + frac) * factor
        if frac:
            return f"{scaled:.{len(frac) - 1}f}"
        out = max(1, round(scaled))
        return f"{out:,}" if "," in whole else str(out)

    text = _NUMBER.sub(number, text)
    found = sorted(set(_SURNAME.findall(text)))
    if found and len(surnames) > 1:
        swap = {name: rng.choice(surnames) for name in found}
        text = re.sub(
            r"\b(" + "|".join(map(re.escape, found)) + r")\b", lambda m: swap[m.group(1)], text
        )
    return text
