"""Uploads kept under the index folder: an edited re-upload replaces its article, a failed one
keeps the good file, re-index reads the file again."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant import Assistant, AssistantError, uploads


def story(folder: Path, text: str, name: str = "story.md") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(f"---\ntitle: Bridge\n---\n{text}\n")
    return path


def test_an_edited_reupload_replaces_its_article(fake_assistant: Assistant, tmp_path: Path):
    first = uploads.ingest_uploads(
        fake_assistant, [(story(tmp_path / "a", "The mayor opened the bridge."), "story.md")]
    )
    assert [r.status for r in first.results] == ["added"] and first.results[0].path == "story.md"
    kept = uploads.folder(fake_assistant) / "story.md"
    assert "opened the bridge" in kept.read_text()

    edited = story(tmp_path / "b", "The mayor closed the bridge on Friday.")
    second = uploads.ingest_uploads(fake_assistant, [(edited, "story.md")])
    assert [r.status for r in second.results] == ["replaced"]
    assert [a["id"] for a in fake_assistant.articles()] == [second.results[0].article_id]
    assert edited.exists()  # copied, not moved, unless asked

    # a bad file of the same name fails alone and leaves the good one in place
    empty = tmp_path / "c" / "story.md"
    empty.parent.mkdir()
    empty.write_text("")
    bad = uploads.ingest_uploads(fake_assistant, [(empty, "story.md")], move=True)
    assert bad.results[0].status == "failed" and "story.md" in bad.results[0].message
    assert str(uploads.folder(fake_assistant)) not in bad.results[0].message
    assert "closed the bridge" in kept.read_text()
    assert [p.name for p in uploads.folder(fake_assistant).iterdir()] == ["story.md"]
    assert fake_assistant.reindex(second.results[0].article_id).status == "unchanged"


def test_reindex_reads_the_file_again_and_says_when_it_is_gone(
    fake_assistant: Assistant, tmp_path: Path
):
    path = story(tmp_path, "The mayor opened the bridge.")
    old = fake_assistant.ingest([path]).results[0].article_id
    path.write_text("---\ntitle: Bridge\n---\nThe mayor opened two bridges.\n")
    r = fake_assistant.reindex(old)
    assert r.status == "replaced" and r.article_id != old
    assert [a["id"] for a in fake_assistant.articles()] == [r.article_id]
    path.unlink()
    with pytest.raises(AssistantError, match="no longer at") as e:
        fake_assistant.reindex(r.article_id)
    assert e.value.status == 404
    with pytest.raises(AssistantError) as e:
        fake_assistant.reindex("no-such-id")
    assert e.value.status == 404


def test_remove_deletes_the_kept_upload_and_a_name_twice_keeps_the_later(
    fake_assistant: Assistant, tmp_path: Path
):
    one = story(tmp_path / "1", "The mayor opened the bridge.")
    two = story(tmp_path / "2", "The council voted for a tunnel.")
    report = uploads.ingest_uploads(fake_assistant, [(one, "story.md"), (two, "story.md")])
    assert [r.status for r in report.results] == ["failed", "added"]
    assert "same name" in report.results[0].message
    assert "tunnel" in (uploads.folder(fake_assistant) / "story.md").read_text()
    fake_assistant.remove(report.results[1].article_id)
    assert fake_assistant.articles() == []
    assert list(uploads.folder(fake_assistant).iterdir()) == []
