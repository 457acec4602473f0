"""The conversation stage: a question checked and cleaned, and a follow-up made to stand alone
without a model ('and on May 25?' after 'how many vehicles were destroyed?'), or a model's
rewrite of it checked for plausibility (prompts/condense.md is what the model is asked)."""

from __future__ import annotations

import re
from collections.abc import Sequence

from assistant.errors import AssistantError
from assistant.text import terms

History = Sequence[dict | tuple]  # earlier turns: {"role", "content"} or (question, answer)
MAX_QUESTION_CHARS = 2000
_FOLLOW_UP = re.compile(r"^\s*(and|what about|how about|also|but)\b[\s,]*", re.I)
_PRONOUN = re.compile(r"\b(it|they|them|he|she|this|that|these|those|there|its|their)\b", re.I)
_MARKERS = re.compile(r"\s*\[\d+(?:\]\s*\[\d+)*\]")


def clean(question: str) -> str:
    if not isinstance(question, str):
        raise AssistantError("the question must be text")
    # lone surrogates ("\ud800" is valid JSON) break the tokenizer
    question = question.encode("utf-8", "replace").decode("utf-8")
    q = re.sub(r"[\x00-\x08\x0b-\x1f\x7f]", " ", question)
    q = " ".join(q.split())
    if not q:
        raise AssistantError("the question is empty", help="type a question about the articles")
    if len(q) > MAX_QUESTION_CHARS:
        raise AssistantError(
            f"the question is too long ({len(q):,} characters)",
            help=f"ask in at most {MAX_QUESTION_CHARS:,} characters",
        )
    return q


def conversation(history: History, turns: int = 6, chars: int = 400) -> str:
    """The last turns as 'user: ...' / 'assistant: ...' lines, markers and quotes left out."""
    lines = []
    for turn in history:
        if isinstance(turn, dict):
            role, content = turn.get("role"), turn.get("content")
            pairs = [(role, content)]
        elif isinstance(turn, (tuple, list)):
            pairs = list(zip(("user", "assistant"), turn))
        else:
            continue
        for role, content in pairs:
            if role in ("user", "assistant") and isinstance(content, str) and content.strip():
                text = _MARKERS.sub("", content.split("\n\n")[0])
                lines.append(f"{role}: {' '.join(text.split())[:chars]}")
    return "\n".join(lines[-turns:])


_PREFIX = re.compile(r"^(?:stand-?alone question|rewritten question|question)\s*:\s*", re.I)
_QUESTION_START = re.compile(
    r"^(?:who|whom|whose|what|which|when|where|why|how|is|are|was|were|do|does|did|has|have|"
    r"had|can|could|will|would|should|in|on|at|according)\b",
    re.I,
)


def rewritten(text: str, asked: str, history: History, rule: str) -> str | None:
    """The model's rewrite if it is one plausible question about the conversation, else None
    (a small model may answer instead, ramble, echo the prompt or the follow-up itself)."""
    line = next((x.strip() for x in text.strip().splitlines() if x.strip()), "")
    line = _PREFIX.sub("", line).strip(" *\"'“”`")
    if not (3 <= len(line) <= MAX_QUESTION_CHARS // 4) or "[" in line or "<" in line:
        return None
    if not (line.endswith("?") or _QUESTION_START.match(line)):
        return None
    known = set(terms(asked)) | {t for turn in user_turns(history) for t in terms(turn)}
    if not set(terms(line)) & known:
        return None
    if rule != asked and set(terms(line)) <= set(terms(asked)):
        return None  # a follow-up by the rule's reckoning, and the model added nothing to it
    return clean(line)


def user_turns(history: History) -> list[str]:
    """The user's earlier questions, oldest first."""
    out = []
    for turn in history:
        if isinstance(turn, dict):
            if turn.get("role") == "user" and isinstance(turn.get("content"), str):
                out.append(turn["content"])
        elif isinstance(turn, (tuple, list)) and turn and isinstance(turn[0], str):
            out.append(turn[0])
    return out


# words that say nothing of their own in a follow-up (beyond the stopwords `terms` drops)
_GENERIC = frozenset(["happen", "say", "said", "mean", "go", "come"])
_ENTITY = re.compile(r"\b(?:[A-Z][\w'-]*(?:\s+[A-Z][\w'-]*)*|\d[\d,.:/-]*\w*)")
_ASKING = re.compile(
    r"^\s*(?:(?:how\s+(?:many|much|long|far|often|old)|who(?:m|se)?|what|which|when|where|why"
    r"|how)\b\s*)?(?:(?:is|are|was|were|did|does|do|has|have|had)\b\s*)?",
    re.IGNORECASE,
)


def condense(question: str, history: History) -> str:
    """Make a follow-up stand alone without a model: 'and on May 25?' after 'how many vehicles
    were destroyed?' becomes 'how many vehicles were destroyed on May 25?'."""
    previous = user_turns(history)
    if not previous:
        return question
    words = question.split()
    follow_up = _FOLLOW_UP.match(question)
    if not follow_up and not (len(words) <= 6 and _PRONOUN.search(question)):
        return question
    last = condense(previous[-1], [{"role": "user", "content": t} for t in previous[:-1]])
    if follow_up:
        rest = question[follow_up.end() :].strip().rstrip("?")
        return f"{last.rstrip(' ?')} {rest}?" if rest else last
    # Carried over: the earlier question's names and numbers; its other words too only when
    # the follow-up says nothing of its own ('where did it happen?'). Never its asking words:
    # the follow-up's own kind of question ('who ...') must not be overruled ('how many ...').
    topic = _ASKING.sub("", last.rstrip(" ?"), count=1).strip()
    own = [t for t in terms(question) if t not in _GENERIC]
    carried = topic if not own else " ".join(_ENTITY.findall(topic))
    return f"{question.rstrip(' ?')} ({carried})?" if carried else question
