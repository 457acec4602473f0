"""Prompts are versioned files in prompts/ (shipped as `assistant.prompts`): front matter
(id, version, variables), then a `## system` and a `## user` section. Placeholders are checked
against the declared variables when a prompt is loaded, and every answer records the prompt's
id and hash."""

from __future__ import annotations

import hashlib
import re
import string
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from assistant import bundled
from assistant.errors import AssistantError

_FRONT = re.compile(r"\A---\n(?P<head>.*?)\n---\n(?P<body>.*)\Z", re.S)
_SECTION = re.compile(r"^## (system|user)\s*$", re.M)


@dataclass(frozen=True)
class Prompt:
    id: str
    version: int
    variables: frozenset[str]
    system: str
    user: str
    sha256: str  # of the file's bytes

    @property
    def ref(self) -> dict:
        """What an answer records: {"id": "answer/v1", "sha256": first 16 hex digits}."""
        return {"id": f"{self.id}/v{self.version}", "sha256": self.sha256[:16]}

    def messages(self, **values: str) -> list[dict[str, str]]:
        if set(values) != self.variables:
            raise AssistantError(
                f"prompt {self.id}: given {sorted(values)}, declared {sorted(self.variables)}"
            )
        return [
            {"role": "system", "content": self.system.format(**values)},
            {"role": "user", "content": self.user.format(**values)},
        ]


def parse(text: str, where: str = "prompt") -> Prompt:
    m = _FRONT.match(text.replace("\r\n", "\n"))
    if not m:
        raise AssistantError(f"{where}: no front matter", help="start it with --- id/version ---")
    head = dict(
        (k.strip(), v.strip())
        for k, _, v in (line.partition(":") for line in m["head"].splitlines())
        if k.strip()
    )
    try:
        pid, version = head["id"], int(head["version"])
        declared = frozenset(
            v.strip() for v in head["variables"].strip("[] ").split(",") if v.strip()
        )
    except (KeyError, ValueError) as e:
        raise AssistantError(f"{where}: front matter needs id, version and variables") from e
    parts = _SECTION.split(m["body"])
    sections = {parts[i]: parts[i + 1].strip("\n") for i in range(1, len(parts) - 1, 2)}
    if set(sections) != {"system", "user"}:
        raise AssistantError(f"{where}: needs one '## system' and one '## user' section")
    used: set[str] = set()
    for name, body in sections.items():
        try:
            fields = [f for _, f, _, _ in string.Formatter().parse(body) if f is not None]
        except ValueError as e:
            raise AssistantError(f"{where}: bad placeholder in {name}: {e}") from e
        for f in fields:
            if not f.isidentifier():
                raise AssistantError(f"{where}: bad placeholder {{{f}}} in {name}")
        used |= set(fields)
    if used != declared:
        raise AssistantError(
            f"{where}: placeholders {sorted(used)} differ from declared variables {sorted(declared)}"
        )
    sha = hashlib.sha256(text.encode()).hexdigest()
    return Prompt(pid, version, declared, sections["system"], sections["user"], sha)


@cache
def load(name: str, folder: Path | None = None) -> Prompt:
    """NAME.md of `folder` (default: the prompts the package carries), checked."""
    path = (folder or bundled.prompts_dir()) / f"{name}.md"
    if not path.is_file():
        raise AssistantError(f"{path}: no such prompt file")
    prompt = parse(path.read_text(encoding="utf-8"), str(path))
    if prompt.id != name:
        raise AssistantError(f"{path}: id {prompt.id!r} differs from the file name")
    return prompt
