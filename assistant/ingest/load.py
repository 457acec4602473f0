"""Read one article file (txt, md, html, pdf, docx) into clean text plus metadata.

The returned text is what gets stored and what citation offsets point into, so cleaning is
deliberately light: newlines normalised, control characters blanked, long blank runs
collapsed. Every failure becomes an `AssistantError` naming the file and the reason; no
parser traceback reaches the user.
"""

from __future__ import annotations

import io
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, ClassVar

from assistant.errors import AssistantError
from assistant.ingest import meta
from assistant.types import Document

SUPPORTED = {".txt", ".md", ".markdown", ".html", ".htm", ".pdf", ".docx"}
_FORMATS = {
    ".txt": "txt",
    ".md": "md",
    ".markdown": "md",
    ".html": "html",
    ".htm": "html",
    ".pdf": "pdf",
    ".docx": "docx",
}

# utf-32 before utf-16: the UTF-32-LE mark starts with the UTF-16-LE one.
_BOMS = (
    (b"\xef\xbb\xbf", "utf-8-sig"),
    (b"\xff\xfe\x00\x00", "utf-32"),
    (b"\x00\x00\xfe\xff", "utf-32"),
    (b"\xff\xfe", "utf-16"),
    (b"\xfe\xff", "utf-16"),
)
_ASCII = bytes(range(128))
# Files that are not text whatever their name says: (leading bytes, what they are).
_MAGIC = (
    (b"%PDF-", "a PDF"),
    (b"PK\x03\x04", "a ZIP archive (a .docx?)"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"\x7fELF", "a program"),
    (b"\x1f\x8b", "gzip-compressed"),
    (b"\xd0\xcf\x11\xe0", "an old Office file (.doc?)"),
)
# A .docx is a ZIP; what it inflates to is capped so a small file cannot take all memory.
DOCX_MAX_XML = 32 * 1024 * 1024  # its XML parts together (a long article is well under 1 MB)
DOCX_MAX_TOTAL = 256 * 1024 * 1024  # everything, images included
DOCX_MAX_PARTS = 5000
PDF_MAX_PAGES = 5000


def _cp1252_table() -> dict[int, str]:
    """cp1252 differs from latin-1 only in 0x80-0x9f; map those code points to cp1252."""
    table = {}
    for b in range(0x80, 0xA0):
        try:
            table[b] = bytes([b]).decode("cp1252")
        except UnicodeDecodeError:
            pass  # 0x81, 0x8d, 0x8f, 0x90, 0x9d are undefined: they keep their latin-1 value
    return table


_CP1252 = _cp1252_table()
_DECLARED_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([\w.:-]+)""", re.IGNORECASE)

_LINE_BREAKS = re.compile("\r\n?|[\x0b\x0c\x85\u2028\u2029]")
_CONTROL = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x9f]")
_BLANK_RUN = re.compile(r"\n(?:[ \t]*\n){2,}")
_MD_HEADING = re.compile(r"^#{1,6}[ \t]+", re.MULTILINE)
_MD_H1 = re.compile(r"^#[ \t]+(.+?)[ \t#]*$", re.MULTILINE)
# Site chrome outside the article; headers and footers inside it may hold byline and date.
_PRUNE = ["//nav", "//header[not(ancestor::article)]", "//footer[not(ancestor::article)]"]
_GENERIC_TITLES = {"untitled", "untitled document", "document", "none"}


def load_document(path: Path, max_bytes: int) -> Document:
    """Read one file and return its clean text and metadata, or raise `AssistantError`."""
    path = Path(path)
    fmt = _check_file(path, max_bytes)
    data = _read(path, max_bytes)
    name = str(path)  # as given: every message names a file the same way
    if fmt == "pdf":
        fields, text = _pdf(data, name)
    elif fmt == "docx":
        fields, text = _docx(data, name)
    else:
        decoded = clean_text(decode_text(data, name, html=fmt == "html"))
        for magic, what in _MAGIC:  # decodable as some 8-bit text, but not text
            if data.startswith(magic):
                raise AssistantError(
                    f"{name}: the file is {what}, not .{path.suffix.lower().lstrip('.')} text",
                    "give it the extension of what it is, or save the article as text",
                    status=415,
                )
        if fmt == "html":
            fields, text = _html(decoded, name)
        elif fmt == "md":
            fields, text = _markdown(decoded)
        else:
            fields, text = _plain(decoded)
    text = clean_text(text)
    if not text:
        hint = " (a scanned PDF? run OCR on it first)" if fmt == "pdf" else ""
        raise AssistantError(f"{name}: no extractable text{hint}")
    title = fields.get("title")
    if not title or title.strip().lower() in _GENERIC_TITLES:
        title = _title_from_stem(path)
    return Document(
        text=text,
        title=" ".join(title.split()),
        source=fields.get("source") or None,
        published=meta.parse_date(fields.get("published") or "") or None,
        url=fields.get("url") or None,
        format=fmt,
    )


def _check_file(path: Path, max_bytes: int) -> str:
    """Refuse what cannot be loaded before reading a byte of it; return the format."""
    if not path.exists():
        if path.is_symlink():
            raise AssistantError(
                f"{path}: broken symbolic link (its target is missing, or it loops)",
                "point it at an article file",
            )
        raise AssistantError(f"{path}: no such file", "check the path")
    if not path.is_file():
        what = "a directory" if path.is_dir() else "not a regular file"
        raise AssistantError(f"{path}: {what}", "pass the path of one article file")
    ext = path.suffix.lower()
    if ext not in SUPPORTED:
        raise AssistantError(
            f"{path}: unsupported file type '{ext or '(none)'}'; "
            f"supported: {', '.join(sorted(SUPPORTED))}",
            "convert it to one of the supported formats",
            status=415,
        )
    size = path.stat().st_size
    if size > max_bytes:
        raise AssistantError(
            f"{path}: file is {_human(size)}, over the {_human(max_bytes)} limit",
            "split the file or raise ASSISTANT_MAX_FILE_MB",
            status=413,
        )
    if size == 0:
        raise AssistantError(f"{path}: file is empty")
    return _FORMATS[ext]


def _read(path: Path, max_bytes: int) -> bytes:
    try:
        with path.open("rb") as f:
            data = f.read(max_bytes + 1)  # a file that grew since stat() is still capped
    except OSError as e:
        raise AssistantError(f"{path}: cannot read file ({e.strerror or e})") from None
    if len(data) > max_bytes:
        raise AssistantError(
            f"{path}: file is over the {_human(max_bytes)} limit",
            "split the file or raise ASSISTANT_MAX_FILE_MB",
            status=413,
        )
    if not data:
        raise AssistantError(f"{path}: file is empty")
    return data


def _human(n: int) -> str:
    if n < 1024:
        return f"{n} bytes"
    if n < 1024 * 1024:
        return f"{n / 1024:.1f} KB"
    return f"{n / (1024 * 1024):.1f} MB"


def _title_from_stem(path: Path) -> str:
    return " ".join(re.sub(r"[_-]+", " ", path.stem).split()) or path.name


def decode_text(data: bytes, name: str, *, html: bool = False) -> str:
    """Decode the bytes of a text file.

    Order: byte-order mark, strict UTF-8, a charset the HTML declares, cp1252 when non-ASCII
    bytes are rare (English news with a stray '£'; detectors misread these as cp932), then
    charset_normalizer's best guess. NUL bytes mean binary unless the guess is UTF-16/32.
    """
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(encoding)
            except UnicodeDecodeError:
                raise _binary(name) from None
    if b"\x00" in data:
        guess = _guess(data)
        if guess is not None and guess[0].startswith(("utf_16", "utf_32")):
            return guess[1]
        raise _binary(name)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    if html:
        declared = _declared(data)
        if declared is not None:
            return declared
    if len(data.translate(None, _ASCII)) < 0.05 * len(data):
        return data.decode("latin-1").translate(_CP1252)
    guess = _guess(data)
    if guess is None:
        raise _binary(name)
    return guess[1]


def _binary(name: str) -> AssistantError:
    return AssistantError(
        f"{name}: binary content or unknown text encoding", "save the article as UTF-8 text"
    )


def _guess(data: bytes) -> tuple[str, str] | None:
    """charset_normalizer's best (encoding, text), or None."""
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None:
        return None
    return best.encoding, str(best)


def _declared(data: bytes) -> str | None:
    """Decode with the charset a <meta> tag declares, if it is known and fits the bytes."""
    import codecs

    m = _DECLARED_CHARSET.search(data[:4096])
    if not m:
        return None
    try:
        encoding = codecs.lookup(m.group(1).decode("ascii")).name
    except (LookupError, UnicodeDecodeError):
        return None
    if encoding.startswith(("utf-16", "utf-32")):  # a page that can declare it is not UTF-16
        return None
    if encoding in ("iso8859-1", "ascii"):  # browsers read both as cp1252 (WHATWG)
        return data.decode("latin-1").translate(_CP1252)
    try:
        return data.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return None


def clean_text(text: str) -> str:
    """Normalise newlines to \\n, blank other control characters, collapse 3+ newlines to 2."""
    text = _LINE_BREAKS.sub("\n", text)
    text = _CONTROL.sub(" ", text)
    return _BLANK_RUN.sub("\n\n", text).strip()


def _with_inferred(fields: dict[str, str], body: str) -> tuple[dict[str, str], str]:
    """Front-matter fields win; what `meta.infer` finds in the first lines fills the gaps."""
    inferred, rest = meta.infer(body)
    declared = fields.get("title")
    if declared and "published" not in inferred and inferred.get("title") != declared:
        rest = body  # the line infer took for a headline lost to a declared title: keep it
    return {**inferred, **fields}, rest


def _plain(text: str) -> tuple[dict[str, str], str]:
    fields, body = meta.split_front_matter(text)
    return _with_inferred(fields, body)


def _markdown(text: str) -> tuple[dict[str, str], str]:
    fields, body = meta.split_front_matter(text)
    h1 = _MD_H1.search(body)
    if h1 and not fields.get("title"):
        fields["title"] = h1.group(1)
        if not body[: h1.start()].strip():  # the heading opens the article: it is the title
            body = body[h1.end() :]
    return _with_inferred(fields, _MD_HEADING.sub("", body))


def _html(html: str, name: str) -> tuple[dict[str, str], str]:
    """Main text via trafilatura; a plain tag-stripping pass when it finds nothing."""
    import trafilatura

    try:
        result: Any = trafilatura.bare_extraction(
            html,
            with_metadata=True,
            include_comments=False,
            include_tables=True,
            prune_xpath=_PRUNE,  # its baseline for short pages would keep menus otherwise
        )
    except Exception:
        result = None
    found: dict[str, Any] = {}
    if result is not None:
        found = result.as_dict() if hasattr(result, "as_dict") else dict(result)
    text = found.get("text") or ""
    fallback_title = None
    if text.strip():
        # trafilatura separates blocks by one newline; whitespace inside HTML text is layout
        text = "\n\n".join(" ".join(line.split()) for line in text.split("\n") if line.strip())
    else:
        try:
            fallback_title, text = _strip_tags(html)
        except Exception as e:
            raise AssistantError(f"{name}: cannot read HTML ({_reason(e)})") from None
    fields = {
        "title": found.get("title") or fallback_title or "",
        "source": found.get("sitename") or found.get("hostname") or "",
        "published": meta.parse_date(found.get("date") or "") or "",
        "url": found.get("url") or "",
    }
    first, _, rest = text.strip().partition("\n\n")
    if rest and " ".join(first.split()) == " ".join(fields["title"].split()):
        text = rest  # the headline repeated as the first block: it is the title, as for txt/md
    return {k: v.strip() for k, v in fields.items() if v and v.strip()}, text


class _TextParser(HTMLParser):
    """Streaming tag stripper: no tree, so nesting depth cannot hurt it."""

    SKIP: ClassVar[set[str]] = {"script", "style", "nav", "header", "footer", "head", "noscript"}
    BLOCK: ClassVar[set[str]] = {"p", "div", "br", "hr", "li", "dd", "dt", "tr", "pre", "main"}
    BLOCK |= {"h1", "h2", "h3", "h4", "h5", "h6", "table", "section", "article", "blockquote"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.paragraphs: list[str] = []
        self.title = ""
        self._buffer: list[str] = []
        self._skip = 0
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "title":
            self._in_title = True
        elif tag in self.SKIP:
            self._skip += 1
        elif tag in self.BLOCK:
            self._flush()

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False
        elif tag in self.SKIP:
            self._skip = max(0, self._skip - 1)
        elif tag in self.BLOCK:
            self._flush()

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data
        elif not self._skip:
            self._buffer.append(data)

    def _flush(self) -> None:
        paragraph = " ".join("".join(self._buffer).split())
        if paragraph:
            self.paragraphs.append(paragraph)
        self._buffer = []

    def close(self) -> None:
        super().close()
        self._flush()


def _strip_tags(html: str) -> tuple[str, str]:
    parser = _TextParser()
    parser.feed(html)
    parser.close()
    return " ".join(parser.title.split()), "\n\n".join(parser.paragraphs)


def _pdf(data: bytes, name: str) -> tuple[dict[str, str], str]:
    import logging

    from pypdf import PdfReader

    logging.getLogger("pypdf").setLevel(logging.ERROR)  # a broken file gets our one-line error

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise AssistantError(
                f"{name}: PDF is password-protected", "save an unprotected copy and ingest that"
            )
        if len(reader.pages) > PDF_MAX_PAGES:
            raise AssistantError(
                f"{name}: PDF has {len(reader.pages):,} pages, over {PDF_MAX_PAGES:,}",
                "split it into its articles",
            )
        pages = [page.extract_text() or "" for page in reader.pages]
        info = reader.metadata
    except AssistantError:
        raise
    except Exception as e:
        raise AssistantError(
            f"{name}: cannot read PDF ({_reason(e)})", "the file may be corrupt or truncated"
        ) from None
    fields: dict[str, str] = {}
    if info is not None:
        fields["title"] = str(info.title or "").strip()
        try:
            created = info.creation_date
        except Exception:
            created = None
        if created is not None:
            fields["published"] = created.date().isoformat()
    return fields, "\n\n".join(pages)


# python-docx's own template carries this creation time; it says nothing about the article.
_DOCX_TEMPLATE_CREATED = "2013-12-23T23:15:00"


def _docx(data: bytes, name: str) -> tuple[dict[str, str], str]:
    import docx
    from docx.table import Table

    _check_zip(data, name)
    try:
        document = docx.Document(io.BytesIO(data))
        blocks: list[str] = []
        for block in document.iter_inner_content():
            if isinstance(block, Table):
                blocks.extend(_table_rows(block))
            elif block.text.strip():
                blocks.append(block.text)
        props = document.core_properties
        title, created = props.title, props.created
    except Exception as e:
        raise AssistantError(
            f"{name}: cannot read DOCX ({_reason(e)})", "the file may be corrupt or not a .docx"
        ) from None
    fields = {"title": (title or "").strip()}
    if created is not None and not created.isoformat().startswith(_DOCX_TEMPLATE_CREATED):
        fields["published"] = created.date().isoformat()
    return fields, "\n\n".join(blocks)


def _check_zip(data: bytes, name: str) -> None:
    """Refuse a .docx whose parts would inflate past the caps (a zip bomb), by the sizes its
    directory declares; reading a part stops at its declared size, so they cannot lie."""
    import zipfile

    try:
        infos = zipfile.ZipFile(io.BytesIO(data)).infolist()
    except Exception as e:
        raise AssistantError(
            f"{name}: cannot read DOCX ({_reason(e)})", "the file may be corrupt or not a .docx"
        ) from None
    xml = sum(i.file_size for i in infos if i.filename.lower().endswith((".xml", ".rels")))
    total = sum(i.file_size for i in infos)
    if len(infos) > DOCX_MAX_PARTS or xml > DOCX_MAX_XML or total > DOCX_MAX_TOTAL:
        raise AssistantError(
            f"{name}: DOCX inflates to {_human(total)} in {len(infos):,} parts, over the limits "
            f"({_human(DOCX_MAX_XML)} of XML, {_human(DOCX_MAX_TOTAL)} in all): a zip bomb?",
            "save the article as a plain .docx or as text",
        )


def _table_rows(table: Any) -> list[str]:
    rows = []
    for row in table.rows:
        cells: list[str] = []
        for cell in row.cells:
            text = " ".join(cell.text.split())
            if text and (not cells or cells[-1] != text):  # merged cells repeat their text
                cells.append(text)
        if cells:
            rows.append(" | ".join(cells))
    return rows


def _reason(e: BaseException) -> str:
    """The first line of an exception, short enough for a one-line error message."""
    lines = str(e).strip().splitlines()
    text = lines[0] if lines else type(e).__name__
    return text if len(text) <= 120 else text[:117] + "..."
