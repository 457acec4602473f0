"""Uploaded files kept where ingest can find them again: `<index dir>/uploads/<file name>`.

An upload is ingested from that stable path, so uploading an edited file of the same name
replaces the article it gave before (instead of adding a second one), and "re-index" can read
any article's file again. A failed upload never replaces a good earlier file of the same name.
"""

from __future__ import annotations

import os
import shutil
import threading
import uuid
from collections.abc import Sequence
from pathlib import Path

from assistant.chat import Assistant
from assistant.errors import AssistantError
from assistant.ingest.pipeline import FileResult, IngestReport

_lock = threading.Lock()  # one batch of uploads at a time moves files in this process


def folder(assistant: Assistant) -> Path:
    return (assistant.settings.index_dir / "uploads").resolve()


def ingest_uploads(
    assistant: Assistant,
    files: Sequence[tuple[Path, str]],
    move: bool = False,
    source: str | None = None,
    published: str | None = None,
) -> IngestReport:
    """Ingest uploaded files given as (where it is now, the name the user gave it), in one
    batch. Each is kept as `uploads/<name>`; a file whose ingest fails is not kept and the
    earlier file of that name (if any) is put back. Results come back in the order given, with
    `path` set to the name. The same name twice in one batch: the later one wins."""
    names = [name for _, name in files]
    later = {name: i for i, name in enumerate(names)}
    results: list[FileResult | None] = [None] * len(files)
    for i, name in enumerate(names):
        if later[name] != i:
            results[i] = FileResult(
                name,
                "failed",
                message=f"{name}: a later file in this upload has the same name and replaces it",
            )
    with _lock:
        home = folder(assistant)
        home.mkdir(parents=True, exist_ok=True)
        kept: dict[Path, tuple[int, Path | None]] = {}  # target -> (index, earlier file)
        for i, (src, name) in enumerate(files):
            if results[i] is not None:
                continue
            target = home / name
            backup = None
            if target.exists():
                backup = home / f".{name}.{uuid.uuid4().hex[:8]}.prev"
                os.replace(target, backup)
            tmp = home / f".{name}.{uuid.uuid4().hex[:8]}.part"
            (shutil.move if move else shutil.copyfile)(src, tmp)
            os.replace(tmp, target)
            kept[target] = (i, backup)
        try:
            report = (
                assistant.ingest(list(kept), source=source, published=published)
                if kept
                else IngestReport()
            )
        except BaseException:
            for target, (_, backup) in kept.items():
                _restore(target, backup)
            raise
        by_path = {Path(r.path): r for r in report.results}
        for target, (i, backup) in kept.items():
            r = by_path.get(target) or FileResult(str(target), "failed", message="not ingested")
            if r.status == "failed":
                _restore(target, backup)
            elif backup is not None:
                backup.unlink(missing_ok=True)
            r.message = r.message and r.message.replace(str(target), target.name)
            r.path = target.name
            results[i] = r
    return IngestReport([r for r in results if r is not None])


def _restore(target: Path, backup: Path | None) -> None:
    if backup is not None:
        os.replace(backup, target)
    else:
        target.unlink(missing_ok=True)


def reindex(assistant: Assistant, article_id: str) -> FileResult:
    """Read an article's file again: a changed file replaces the article, an unchanged one
    changes nothing. Raises `AssistantError` (404) for an unknown id, or when the file is gone."""
    article = assistant.article(article_id)
    path = Path(article.path) if article.path else None
    if path is None or not path.is_file():
        raise AssistantError(
            f"the file of {article.title!r} is no longer at {article.path}",
            help="upload it again, or remove the article",
            status=404,
        )
    return assistant.ingest([path]).results[0]


def remove(assistant: Assistant, article_id: str) -> None:
    """Remove an article, and its kept upload when it came from one."""
    path = assistant.article(article_id).path
    assistant.remove(article_id)
    if path and Path(path).parent == folder(assistant):
        Path(path).unlink(missing_ok=True)
