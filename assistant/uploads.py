"""Uploaded files kept where ingest can find them again: `<index dir>/uploads/<file name>`.

An upload is ingested from that stable path, so uploading an edited file of the same name
replaces the article it gave before (instead of adding a second one), and "re-index" can read
any article's file again (`Assistant.reindex`); `Assistant.remove` deletes an article's kept
file with it. A failed upload never replaces a good earlier file of the same name.
"""

from __future__ import annotations

import os
import shutil
import threading
import uuid
from collections.abc import Sequence
from pathlib import Path

from assistant.chat import Assistant
from assistant.ingest.pipeline import FileResult, IngestReport

_lock = threading.Lock()  # one batch of uploads at a time moves files in this process


def folder(assistant: Assistant) -> Path:
    return assistant.settings.uploads_dir


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
