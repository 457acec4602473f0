"""The package's own data (assistant.bundled): where the prompts and seeds are, and the one
seeding step that `serve`, `ask` and `chat` share."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from assistant import Assistant, Settings, bundled
from tests.conftest import FakeEmbedder


def test_the_bundled_folders_hold_the_prompts_and_the_seeds():
    assert (bundled.prompts_dir() / "answer.md").is_file()
    assert (bundled.seeds_dir() / "russian-airstrikes-daesh-convoy-raqqah.md").is_file()
    assert Settings().seeds_dir == bundled.seeds_dir()


def test_an_empty_seeds_dir_turns_seeding_off(monkeypatch: pytest.MonkeyPatch):
    assert Settings(seeds_dir="").seeds_dir is None
    monkeypatch.setenv("ASSISTANT_SEEDS_DIR", "")
    assert Settings().seeds_dir is None


def test_an_empty_index_gets_the_seeds_once(
    fake_assistant: Assistant, capsys: pytest.CaptureFixture
):
    fake_assistant.seed_if_empty(say)
    assert fake_assistant.status()["articles"] == 1
    assert capsys.readouterr().err == "indexed seeds: 1 articles\n"
    fake_assistant.seed_if_empty(say)  # it has articles now
    assert capsys.readouterr().err == ""


def test_seeds_dir_names_another_folder_or_none(tmp_path: Path, capsys: pytest.CaptureFixture):
    def assistant(name: str, seeds_dir: str | Path) -> Assistant:
        settings = Settings(
            index_dir=tmp_path / name, collection=f"t{os.getpid()}", seeds_dir=seeds_dir
        )
        return Assistant(settings=settings, embedder=FakeEmbedder())

    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "story.md").write_text("---\ntitle: Story\n---\nThe mayor opened the bridge.\n")
    a = assistant("a", mine)
    a.seed_if_empty(say)
    assert [x["title"] for x in a.articles()] == ["Story"]
    b = assistant("b", "")
    b.seed_if_empty(say)
    assert b.status()["articles"] == 0 and capsys.readouterr().err.count("indexed seeds") == 1


def say(line: str) -> None:
    print(line, file=sys.stderr)
