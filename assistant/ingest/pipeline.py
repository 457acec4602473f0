"""Ingest a batch of paths: load, chunk, embed in batches, write, and report every file."""

from __future__ import annotations

import dataclasses
import datetime
import sys
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from assistant.config import Settings
from assistant.embedder import Embedder
from assistant.errors import AssistantError
from assistant.ingest import chunk_article, to_article
from assistant.ingest.load import SUPPORTED, load_document
from assistant.store import Store
from assistant.types import Article, Chunk

EMBED_BATCH_CHUNKS = 256  # chunks embedded and written together
CHECK_BATCH_FILES = 256  # files loaded, then checked against the store in one call


@dataclass
class FileResult:
    path: str
    status: str  # added | unchanged | replaced | copy (of article_id) | failed
    article_id: str | None = None
    title: str | None = None
    chunks: int = 0
    message: str | None = None


@dataclass
class IngestReport:
    results: list[FileResult] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(r.status == status for r in self.results)

    @property
    def failed(self) -> list[FileResult]:
        return [r for r in self.results if r.status == "failed"]

    @property
    def ok(self) -> bool:
        return not self.failed

    def to_dict(self) -> dict:
        return {
            "added": self.count("added") + self.count("replaced"),
            "unchanged": self.count("unchanged"),
            "copies": self.count("copy"),
            "failed": self.count("failed"),
            "files": [asdict(r) for r in self.results],
        }


def collect(paths: Iterable[str | Path]) -> tuple[list[Path], list[FileResult]]:
    """Expand folders (recursively, supported types; hidden and README files skipped); report missing paths
    and explicitly named files of an unsupported type."""
    files: list[Path] = []
    errors: list[FileResult] = []
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            found, refused = _expand(p)
            files += found
            errors += refused
        elif p.exists() or p.is_symlink():
            files.append(p)  # the loader explains what is wrong with it, if anything
        else:
            errors.append(FileResult(str(p), "failed", message=f"{p}: no such file or folder"))
    return list(dict.fromkeys(files)), errors


def _expand(folder: Path) -> tuple[list[Path], list[FileResult]]:
    """The article files in a folder, recursively (hidden and README files skipped; linked
    folders not followed). A link that leads out of the folder, a broken link and a special
    file (a pipe: reading it would block) are refused by name rather than read."""
    root = folder.resolve()
    files: list[Path] = []
    refused: list[FileResult] = []
    for f in sorted(folder.rglob("*")):
        if (
            f.suffix.lower() not in SUPPORTED
            or f.stem.lower() == "readme"  # a folder's own documentation
            or any(part.startswith(".") for part in f.relative_to(folder).parts)
        ):
            continue
        if f.is_symlink():
            try:
                target = f.resolve(strict=True)
            except (OSError, RuntimeError):
                refused.append(
                    _refused(f, "broken symbolic link (its target is missing, or it loops)")
                )
                continue
            if not target.is_relative_to(root):
                refused.append(_refused(f, f"symbolic link to {target}, outside {folder}"))
                continue
        if f.is_dir():
            continue
        if not f.is_file():
            refused.append(_refused(f, "not a regular file (a pipe or device?)"))
            continue
        files.append(f)
    return files, refused


def _refused(path: Path, why: str) -> FileResult:
    return FileResult(str(path), "failed", message=f"{path}: {why}")


def article_meta(source: str | None, published: str | None) -> dict[str, str]:
    """What `assistant ingest --source --published` sets on every article, checked."""
    meta: dict[str, str] = {}
    if source is not None:
        if not source.strip():
            raise AssistantError("the source is empty", help="give the outlet's name")
        meta["source"] = source.strip()
    if published is not None:
        try:
            meta["published"] = datetime.date.fromisoformat(published.strip()).isoformat()
        except ValueError:
            raise AssistantError(
                f"published {published!r} is not a date", help="use YYYY-MM-DD"
            ) from None
    return meta


def ingest(
    paths: Iterable[str | Path],
    store: Store,
    embedder: Embedder,
    settings: Settings,
    progress: bool = False,
    meta: dict[str, str] | None = None,
    on_result: Callable[[FileResult], None] | None = None,
    on_plan: Callable[[int, int], None] | None = None,
) -> IngestReport:
    """Load, chunk, embed and store `paths`; `meta` ({"source", "published"}) replaces what
    the files say of themselves. `on_plan` hears how many files were found and their bytes
    before any is read; `on_result` each file's result as soon as it is final (an added
    file: once it is committed). The progress bar counts the bytes of the files done, so it
    moves with the embedding, where the time goes."""
    files, errors = collect(paths)
    report = IngestReport(list(errors))
    sizes = {str(f): _size(f) for f in files}
    if on_plan:
        on_plan(len(files), sum(sizes.values()))
    bar = _bar(sum(sizes.values()), progress and len(files) > 1)

    heard: set[int] = set()

    def finish(result: FileResult) -> None:
        heard.add(id(result))
        bar.update(sizes.get(result.path, 0))
        if on_result:
            on_result(result)

    def flush() -> None:
        flushed = [result for *_, result in pending]
        _flush(pending, store, embedder)
        for result in flushed:
            finish(result)

    for result in errors:
        finish(result)
    pending: list[tuple[Article, list[Chunk], list[str], FileResult]] = []
    seen: set[str] = set()  # ids written or pending in this run: a second copy is unchanged
    taken: dict[str, tuple[str, str, str]] = {}  # texts written or pending: id, title, path
    copies: list[FileResult] = []  # heard at the end, once their original is known to stay
    window: list[tuple[Path, Article | FileResult]] = []
    max_bytes = int(settings.max_file_mb * 1024 * 1024)
    try:
        for lo in range(0, len(files), CHECK_BATCH_FILES):
            window = [
                (path, _load(path, max_bytes, meta)) for path in files[lo : lo + CHECK_BATCH_FILES]
            ]
            # one round trip per window instead of one per file (re-ingest is mostly this)
            ids = dict.fromkeys(a.id for _, a in window if isinstance(a, Article))
            stored = store.existing(list(ids))  # Chroma refuses a repeated id
            by_path = store.ids_for_paths(
                [a.path for _, a in window if isinstance(a, Article) and a.id in stored]
            )
            held = store.with_content(
                [a.content for _, a in window if isinstance(a, Article) and a.id not in stored]
            )
            for path, loaded in window:
                if isinstance(loaded, FileResult):
                    report.results.append(loaded)
                    finish(loaded)
                    continue
                article = loaded
                result = FileResult(str(path), "added", article.id, article.title)
                report.results.append(result)
                if article.id in stored or article.id in seen:
                    result.status = "unchanged"
                    # an earlier run that stopped between adding this version and removing
                    # the one it replaces left both: finish that replacement now
                    for old in by_path.get(article.path, []):
                        if old != article.id and store.remove(old):
                            result.status = "replaced"
                    finish(result)
                    continue
                original = held.get(article.content) or taken.get(article.content)
                # the same text in another file: counted once (in the same file, with other
                # metadata given, it replaces the article as before)
                if original and original[2] != article.path:
                    result.status, result.article_id = "copy", original[0]
                    result.message = (
                        f"{path}: the same text as {original[1]!r} ({original[0]}), indexed once"
                    )
                    _drop_others(store, article.path, original[0])  # what the file held before
                    copies.append(result)
                    continue
                seen.add(article.id)
                taken[article.content] = (article.id, article.title, article.path or "")
                chunks, texts = chunk_article(
                    article, embedder.count_tokens, settings.chunk_tokens, settings.chunk_overlap
                )
                result.chunks = len(chunks)
                pending.append((article, chunks, texts, result))
                if sum(len(c) for _, c, _, _ in pending) >= EMBED_BATCH_CHUNKS:
                    flush()
        flush()
        # a copy whose original this run replaced (its file changed) holds the only text left
        gone = set(r.article_id for r in copies) - store.existing([r.article_id for r in copies])
        for result in copies:
            if result.article_id not in gone:
                finish(result)
        if gone:
            again = ingest(
                [r.path for r in copies if r.article_id in gone],
                store,
                embedder,
                settings,
                meta=meta,
                on_result=on_result,
            )
            by_path = {r.path: r for r in again.results}
            for result in copies:
                if result.article_id in gone:
                    vars(result).update(vars(by_path[result.path]))  # heard in `again`
                    heard.add(id(result))
                    bar.update(sizes.get(result.path, 0))
    except AssistantError as e:  # the store went away: what was not written is reported failed
        for *_, result in pending:
            result.status, result.message = "failed", f"{result.path}: {e.message}"
        unwritten = {a.id for a, *_ in pending}
        for result in copies:  # a copy of what was not written is not in the index either
            if result.article_id in unwritten:
                result.status, result.message = "failed", f"{result.path}: {e.message}"
        done = {r.path for r in report.results}
        report.results += [  # load errors of the window being processed keep their message
            x for _, x in window if isinstance(x, FileResult) and x.path not in done
        ]
        done = {r.path for r in report.results}
        report.results += [
            FileResult(str(f), "failed", message=f"{f}: not ingested: {e.message}")
            for f in files
            if str(f) not in done
        ]
        for result in report.results:
            if id(result) not in heard:
                finish(result)
    finally:
        bar.close()
    return report


def _load(path: Path, max_bytes: int, meta: dict[str, str] | None) -> Article | FileResult:
    try:
        return to_article(dataclasses.replace(load_document(path, max_bytes), **(meta or {})), path)
    except AssistantError as e:
        return FileResult(str(path), "failed", message=e.message)


def _flush(pending: list, store: Store, embedder: Embedder) -> None:
    if not pending:
        return
    articles = [a for a, *_ in pending]
    chunks = [c for _, cs, _, _ in pending for c in cs]
    texts = [t for _, _, ts, _ in pending for t in ts]
    sentences = {  # every sentence once, though overlapping chunks share some
        (c.article_id, s.start): c.text[s.start - c.start : s.end - c.start]
        for c in chunks
        for s in c.sentences
    }
    vectors = embedder.embed(texts + list(sentences.values()))  # one batched pass
    store.add(articles, chunks, vectors[: len(texts)], list(sentences), vectors[len(texts) :])
    for article, _, _, result in pending:  # a changed file replaces what it held before
        if _drop_others(store, article.path, article.id):
            result.status = "replaced"
    pending.clear()


def _drop_others(store: Store, path: str | None, keep: str) -> bool:
    """Remove the articles the file at `path` held other than `keep`; True if any went."""
    old = [i for i in store.ids_for_path(path) if i != keep]
    for i in old:
        store.remove(i)
    return bool(old)


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _bar(total: int, enabled: bool):
    from tqdm import tqdm

    return tqdm(
        total=total,
        unit="B",
        unit_scale=True,
        desc="ingest",
        file=sys.stderr,
        disable=not enabled,
        dynamic_ncols=True,
    )
