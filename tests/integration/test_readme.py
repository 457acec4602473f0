"""The README's examples, run: each `<!-- ci:example -->` console block's commands on the seed
article with their shown output compared, and each `<!-- ci:python -->` block executed, its
`expression  # 'literal'` lines checked. So the README cannot drift from what the code does."""

from __future__ import annotations

import ast
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from assistant.config import REPO_ROOT
from tests.integration.helpers import BIN, env

pytestmark = pytest.mark.integration

README = (REPO_ROOT / "README.md").read_text()


def blocks(marker: str) -> list[str]:
    """The fenced block after each `<!-- ci:MARKER -->`."""
    return re.findall(rf"<!-- ci:{marker} -->\n```\w*\n(.*?)\n```", README, re.S)


def examples() -> list[tuple[str, str]]:
    """(command, shown output) pairs: a `$ ` line, then what it prints up to the next one."""
    pairs = []
    for block in blocks("example"):
        for part in re.split(r"^\$ ", block, flags=re.M)[1:]:
            command, _, shown = part.partition("\n")
            pairs.append((command, shown))
    return pairs


def test_the_readme_has_examples_to_run():
    assert len(examples()) >= 2 and blocks("python")


@pytest.fixture(scope="module")
def seeded_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A working folder as a newcomer's checkout has it: `seeds/` and an index of them."""
    folder = tmp_path_factory.mktemp("readme")
    (folder / "seeds").symlink_to(REPO_ROOT / "seeds")
    run(folder, [str(BIN / "assistant"), "ingest", "seeds/", "--no-progress"])
    return folder


def run(folder: Path, argv: list[str]) -> subprocess.CompletedProcess:
    r = subprocess.run(
        argv,
        cwd=folder,
        env=env(ASSISTANT_INDEX_DIR=str(folder / "index")),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert r.returncode == 0, f"{argv}: {r.stderr}"
    return r


@pytest.mark.parametrize("command, shown", examples(), ids=[c for c, _ in examples()])
def test_a_readme_example_prints_what_the_readme_shows(seeded_folder: Path, command, shown):
    argv = shlex.split(command)
    assert argv[0] == ".venv/bin/assistant"
    out = run(seeded_folder, [str(BIN / "assistant"), *argv[1:]]).stdout
    assert [x.rstrip() for x in out.rstrip("\n").splitlines()] == shown.splitlines()


def checked(code: str) -> str:
    """The block with each `expression  # <python literal>` line turned into an assert."""
    lines = []
    for line in code.splitlines():
        m = re.match(r"^(\S.*?)\s+#\s+(.+)$", line)
        try:
            expected = ast.literal_eval(m.group(2)) if m else None
        except (ValueError, SyntaxError):
            expected = None
        if m and expected is not None:
            line = f"assert ({m.group(1)}) == {expected!r}, ({m.group(1)})"
        lines.append(line)
    return "\n".join(lines)


def test_checked_turns_shown_values_into_asserts():
    assert checked("x.y   # 'a b'\nz = 1  # a comment") == (
        "assert (x.y) == 'a b', (x.y)\nz = 1  # a comment"
    )


@pytest.mark.parametrize("code", blocks("python"))
def test_a_readme_python_block_runs(tmp_path: Path, code: str):
    (tmp_path / "seeds").symlink_to(REPO_ROOT / "seeds")
    script = tmp_path / "example.py"
    script.write_text(checked(code))
    assert "assert (" in script.read_text()  # it has shown values to check
    run(tmp_path, [sys.executable, str(script)])
