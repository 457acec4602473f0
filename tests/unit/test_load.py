"""Loading one file of each format into clean text plus metadata, and every way it can fail."""

from __future__ import annotations

import io
import shutil
import zipfile
from pathlib import Path

import pytest

from assistant.errors import AssistantError
from assistant.ingest import load as load_module
from assistant.ingest.load import SUPPORTED, clean_text, decode_text, load_document

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
SPORT_199 = Path("/work/shared/corpora/bbc-news/sport/199.txt")
MB = 1024 * 1024

RUSSIAN = (
    "Президент России заявил в четверг, что переговоры с соседними странами будут "
    "продолжены в следующем месяце. Министр иностранных дел подтвердил эти планы."
)
JAPANESE = (
    "東京の株式市場では木曜日、日経平均株価が大幅に上昇しました。"
    "投資家は企業の決算発表に注目しています。"
)


def write(tmp_path: Path, name: str, data: bytes | str) -> Path:
    path = tmp_path / name
    if isinstance(data, str):
        path.write_text(data, encoding="utf-8", newline="")
    else:
        path.write_bytes(data)
    return path


def load_error(path: Path, max_bytes: int = MB) -> AssistantError:
    with pytest.raises(AssistantError) as info:
        load_document(path, max_bytes)
    message = info.value.message
    assert "\n" not in message, "error messages are one line"
    assert "Traceback" not in message
    # every message names the file as it was given (the CLI's path), the same way everywhere;
    # the assertions below compare what follows the folder
    assert message.startswith(f"{path}: ")
    info.value.message = message.replace(f"{path.parent}/", "", 1)
    return info.value


# --- plain text -----------------------------------------------------------------------------


def test_supported_extensions() -> None:
    assert {".txt", ".md", ".markdown", ".html", ".htm", ".pdf", ".docx"} == SUPPORTED


def test_txt_bbc_layout(tmp_path: Path) -> None:
    path = shutil.copy(FIXTURES / "bbc_style.txt", tmp_path / "harbour.txt")
    doc = load_document(Path(path), MB)
    assert doc.title == "Harbour town wins coastal award"
    assert doc.text.startswith("A small harbour town has been named")
    assert "£2m restoration" in doc.text
    assert (doc.source, doc.published, doc.url, doc.format) == (None, None, None, "txt")


def test_txt_seed_with_dateline_header() -> None:
    doc = load_document(FIXTURES / "seed_raw.txt", MB)
    assert doc.title == "Russian airstrikes hit Daesh convoy, killing 80 terrorists fleeing Raqqah"
    assert doc.source == "Iran Press TV"
    assert doc.published == "2017-06-01"
    assert doc.text.startswith("Russian jets have destroyed three large convoys")
    assert doc.format == "txt"


def test_txt_front_matter_wins_and_inference_fills_gaps(tmp_path: Path) -> None:
    text = (
        "---\ntitle: Declared title\nurl: https://example.org/x\n---\n"
        "Some headline words here\n\nThe Daily Example\n\nJune 3, 2018\n\nBody text starts here.\n"
    )
    doc = load_document(write(tmp_path, "a.txt", text), MB)
    assert doc.title == "Declared title"
    assert doc.source == "The Daily Example"
    assert doc.published == "2018-06-03"
    assert doc.url == "https://example.org/x"
    assert doc.text == "Body text starts here."


def test_txt_declared_title_keeps_a_different_first_line(tmp_path: Path) -> None:
    text = "---\ntitle: Declared title\n---\nA standfirst line in the body\n\nBody text.\n"
    doc = load_document(write(tmp_path, "a.txt", text), MB)
    assert doc.title == "Declared title"
    assert doc.text == "A standfirst line in the body\n\nBody text."


def test_txt_declared_title_drops_the_repeated_headline(tmp_path: Path) -> None:
    text = "---\ntitle: Same headline in both places\n---\nSame headline in both places\n\nBody.\n"
    doc = load_document(write(tmp_path, "a.txt", text), MB)
    assert doc.text == "Body."


def test_title_falls_back_to_file_stem(tmp_path: Path) -> None:
    doc = load_document(write(tmp_path, "my_great-article.txt", "only a sentence here."), MB)
    assert doc.title == "my great article"
    assert doc.text == "only a sentence here."


# --- normalisation --------------------------------------------------------------------------


def test_clean_text_newlines_controls_and_blank_runs() -> None:
    raw = "a\r\nb\rc\x0cd\u2028e\tf\x00g\x07h\x1bi\n\n\n\nj\n \n\t\n\nk"
    assert clean_text(raw) == "a\nb\nc\nd\ne\tf g h i\n\nj\n\nk"


def test_load_normalises_text(tmp_path: Path) -> None:
    data = b"First line of text.\r\n\r\n\r\n\r\nSecond\tline\x01here.\r\n"
    doc = load_document(write(tmp_path, "n.txt", data), MB)
    assert doc.text == "First line of text.\n\nSecond\tline here."


# --- decoding -------------------------------------------------------------------------------


@pytest.mark.skipif(not SPORT_199.exists(), reason="BBC corpus not available")
def test_bbc_sport_199_single_latin1_pound_byte(tmp_path: Path) -> None:
    data = SPORT_199.read_bytes()
    assert b"\xa3" in data
    doc = load_document(Path(shutil.copy(SPORT_199, tmp_path / "199.txt")), MB)
    assert doc.title == "Chelsea sack Mutu"
    assert "£15.8m" in doc.text


def test_rare_latin1_byte_is_cp1252_not_a_detector_guess() -> None:
    english = "Chelsea sack striker\n\nThe club paid a fee of \xa315.8m for the player. " * 3
    data = (english + "The rest of the article is plain ASCII text. " * 20).encode("latin-1")
    assert decode_text(data, "x.txt").count("£15.8m") == 3


def test_cp1252_smart_quotes_and_undefined_byte() -> None:
    data = b"He said \x93no\x94 \x96 twice" + b" plain ascii words" * 10 + b" odd \x81 byte"
    text = decode_text(data, "x.txt")
    assert text.startswith("He said “no” – twice")
    assert text.endswith("odd \x81 byte")  # undefined in cp1252: kept as latin-1
    assert clean_text(text).endswith("odd   byte")


def test_cp1251_russian() -> None:
    assert decode_text(RUSSIAN.encode("cp1251"), "ru.txt") == RUSSIAN


def test_shift_jis_japanese() -> None:
    assert decode_text(JAPANESE.encode("shift_jis"), "ja.txt") == JAPANESE


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16", "utf-16-be", "utf-32", "utf-32-be"])
def test_byte_order_marks(encoding: str) -> None:
    text = "Headline £ – “quoted” " + RUSSIAN
    data = text.encode(encoding)
    if encoding.endswith("-be"):
        data = "\ufeff".encode(encoding) + data  # explicit BOM for the -be codecs
    assert decode_text(data, "x.txt") == text


def test_utf16_without_bom_is_not_mistaken_for_binary() -> None:
    text = "The market rose today as investors cheered results. " * 5
    assert decode_text(text.encode("utf-16-le"), "x.txt") == text


def test_load_utf16_file(tmp_path: Path) -> None:
    body = "Markets rally on upbeat results\n\nShares rose sharply on Tuesday.\n"
    doc = load_document(write(tmp_path, "u16.txt", body.encode("utf-16")), MB)
    assert doc.title == "Markets rally on upbeat results"
    assert doc.text == "Shares rose sharply on Tuesday."


def test_html_declared_charset_is_used(tmp_path: Path) -> None:
    html = (
        '<html><head><meta charset="windows-1251"><title>Новости</title></head>'
        f"<body><article><p>{RUSSIAN}</p><p>{RUSSIAN}</p></article></body></html>"
    )
    doc = load_document(write(tmp_path, "ru.html", html.encode("cp1251")), MB)
    assert RUSSIAN in doc.text


def test_html_declared_latin1_is_read_as_cp1252() -> None:
    html = '<meta charset="iso-8859-1"><p>' + "“déjà vu” à l'été " * 20 + "</p>"
    assert decode_text(html.encode("cp1252"), "x.html", html=True) == html


def test_html_declared_utf16_is_ignored() -> None:
    html = '<meta charset="utf-16"><p>Un café crème, s’il vous plaît, for the whole team.</p>'
    assert decode_text(html.encode("cp1252"), "x.html", html=True) == html


def test_nul_bytes_in_text_file_are_binary(tmp_path: Path) -> None:
    path = write(tmp_path, "image.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    error = load_error(path)
    assert error.message == "image.txt: binary content or unknown text encoding"
    assert error.status == 400


def test_undecodable_bytes_without_nul_are_binary(tmp_path: Path) -> None:
    data = bytes((i * 97 + 31) % 255 + 1 for i in range(4000))  # no NUL, mostly non-ASCII
    error = load_error(write(tmp_path, "noise.md", data))
    assert "binary content or unknown text encoding" in error.message


# --- markdown -------------------------------------------------------------------------------


def test_markdown_front_matter() -> None:
    doc = load_document(FIXTURES / "front_matter.md", MB)
    assert doc.title == "Council approves new cycle lanes"
    assert doc.source == "Example Gazette"
    assert doc.published == "2021-03-04"
    assert doc.url == "https://example.org/cycle-lanes"
    assert doc.format == "md"
    assert doc.text.startswith("The city council voted on Tuesday")
    assert "\n\nReaction\n\n" in doc.text  # heading marks stripped, heading text kept
    assert "#" not in doc.text


def test_markdown_title_from_first_h1(tmp_path: Path) -> None:
    text = "# Budget passes   #\n\nMPs approved the budget.\n\n# Second heading\n\nMore.\n"
    doc = load_document(write(tmp_path, "b.markdown", text), MB)
    assert doc.title == "Budget passes"
    assert doc.text == "MPs approved the budget.\n\nSecond heading\n\nMore."
    assert doc.format == "md"


def test_markdown_h1_below_intro_keeps_intro(tmp_path: Path) -> None:
    text = "Intro paragraph that says something.\n\n# The real heading\n\nBody.\n"
    doc = load_document(write(tmp_path, "c.md", text), MB)
    assert doc.title == "The real heading"
    assert doc.text == "Intro paragraph that says something.\n\nThe real heading\n\nBody."


def test_markdown_hashtag_is_not_a_heading(tmp_path: Path) -> None:
    doc = load_document(write(tmp_path, "tag_post.md", "#news is trending today.\n"), MB)
    assert doc.title == "tag post"
    assert doc.text == "#news is trending today."


# --- html -----------------------------------------------------------------------------------


def test_html_main_text_and_metadata() -> None:
    doc = load_document(FIXTURES / "article.html", MB)
    assert doc.title == "Rail strike called off after late talks"
    assert doc.source == "Example Times"
    assert doc.published == "2019-11-05"
    assert doc.url == "https://news.example.com/rail-strike"
    assert doc.format == "html"
    assert doc.text.startswith("A national rail strike planned for Friday")
    paragraphs = doc.text.split("\n\n")
    assert len(paragraphs) == 3
    assert paragraphs[1].startswith("The union said the offer of a 4% pay rise")
    for junk in ("SCRIPT", "HEADER", "NAV", "FOOTER", "font-family"):
        assert junk not in doc.text


def test_htm_extension(tmp_path: Path) -> None:
    path = Path(shutil.copy(FIXTURES / "article.html", tmp_path / "page.htm"))
    assert load_document(path, MB).format == "html"


def _fallback_page() -> str:
    return (
        "<html><head><title>Fallback page</title><style>p {}</style></head><body>"
        "<nav>NAV</nav><header>HEADER</header><div>First &amp; only <b>block</b></div>"
        "<script>SCRIPT</script><p>Second\n   block.</p><footer>FOOTER</footer></body></html>"
    )


@pytest.mark.parametrize("outcome", [None, RecursionError("maximum recursion depth exceeded")])
def test_html_fallback_when_trafilatura_gives_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, outcome: object
) -> None:
    import trafilatura

    def fake(*args: object, **kwargs: object) -> object:
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome

    monkeypatch.setattr(trafilatura, "bare_extraction", fake)
    doc = load_document(write(tmp_path, "f.html", _fallback_page()), MB)
    assert doc.title == "Fallback page"
    assert doc.text == "First & only block\n\nSecond block."


def test_html_short_page_still_loads(tmp_path: Path) -> None:
    doc = load_document(write(tmp_path, "s.html", _fallback_page()), MB)
    assert "First & only block" in doc.text
    assert "NAV" not in doc.text and "SCRIPT" not in doc.text


def test_deeply_nested_html_does_not_crash(tmp_path: Path) -> None:
    depth = 5000
    html = (
        "<html><body>"
        + "<div><span>" * depth
        + "<p>Deep text survives the nesting.</p>"
        + "</span></div>" * depth
        + "</body></html>"
    )
    doc = load_document(write(tmp_path, "deep.html", html), MB)
    assert "Deep text survives the nesting." in doc.text


def test_html_without_text(tmp_path: Path) -> None:
    path = write(tmp_path, "blank.html", "<html><head><title>x</title></head><body> </body></html>")
    assert load_error(path).message == "blank.html: no extractable text"


# --- pdf ------------------------------------------------------------------------------------


def make_pdf(path: Path, pages: list[str], title: str | None = None, **canvas_kw: object) -> Path:
    from reportlab.pdfgen import canvas

    c = canvas.Canvas(str(path), invariant=1, **canvas_kw)
    if title:
        c.setTitle(title)
    for page in pages:
        if page:
            c.drawString(72, 720, page)
        else:
            c.rect(100, 100, 200, 200, fill=1)  # a drawing, no text: what a scan looks like
        c.showPage()
    c.save()
    return path


def test_pdf_pages_and_metadata(tmp_path: Path) -> None:
    path = make_pdf(tmp_path / "p.pdf", ["Page one text.", "Page two text."], title="PDF Title")
    doc = load_document(path, MB)
    assert doc.text == "Page one text.\n\nPage two text."
    assert doc.title == "PDF Title"
    assert doc.published == "2000-01-01"  # reportlab's invariant creation date
    assert doc.format == "pdf"


def test_pdf_untitled_falls_back_to_stem(tmp_path: Path) -> None:
    doc = load_document(make_pdf(tmp_path / "annual-report.pdf", ["Some text."]), MB)
    assert doc.title == "annual report"  # reportlab writes "untitled"


def test_pdf_without_text_is_reported_as_scanned(tmp_path: Path) -> None:
    error = load_error(make_pdf(tmp_path / "scan.pdf", ["", ""]))
    assert error.message.startswith("scan.pdf: no extractable text")
    assert "scanned" in error.message


def test_pdf_encrypted_with_empty_password_loads(tmp_path: Path) -> None:
    from reportlab.lib.pdfencrypt import StandardEncryption

    enc = StandardEncryption("", ownerPassword="owner", strength=128)
    doc = load_document(make_pdf(tmp_path / "e.pdf", ["Open secret."], encrypt=enc), MB)
    assert doc.text == "Open secret."


def test_pdf_with_user_password_is_refused(tmp_path: Path) -> None:
    from reportlab.lib.pdfencrypt import StandardEncryption

    enc = StandardEncryption("user", ownerPassword="owner")
    error = load_error(make_pdf(tmp_path / "locked.pdf", ["Hidden."], encrypt=enc))
    assert error.message == "locked.pdf: PDF is password-protected"


@pytest.mark.parametrize("data", [b"%PDF-1.4 garbage", b"not a pdf at all", b"%PDF-1.7\n%\xe2\xe3"])
def test_corrupt_pdf(tmp_path: Path, data: bytes) -> None:
    error = load_error(write(tmp_path, "bad.pdf", data))
    assert error.message.startswith("bad.pdf: cannot read PDF (")
    assert error.status == 400


def test_truncated_pdf_never_leaks_a_traceback(tmp_path: Path) -> None:
    full = make_pdf(tmp_path / "full.pdf", ["Page one text.", "Page two text."]).read_bytes()
    for cut in (len(full) // 4, len(full) // 2, len(full) - 20):
        path = write(tmp_path, f"cut{cut}.pdf", full[:cut])
        try:
            load_document(path, MB)
        except AssistantError as e:
            assert e.message.startswith(f"{path}: ")


# --- docx -----------------------------------------------------------------------------------


def make_docx(path: Path, *, title: str | None = None, created: object = None) -> Path:
    import datetime as dt

    import docx

    d = docx.Document()
    d.add_heading("Heading in the body", level=1)
    d.add_paragraph("First paragraph of the article.")
    d.add_paragraph("")
    d.add_paragraph("   ")
    d.add_paragraph("Second paragraph.")
    table = d.add_table(rows=2, cols=2)
    for r, row in enumerate(table.rows):
        for c, cell in enumerate(row.cells):
            cell.text = f"r{r}c{c}"
    d.add_paragraph("After the table.")
    d.core_properties.author = "Jane Reporter"
    if title:
        d.core_properties.title = title
    if created is not None:
        assert isinstance(created, dt.datetime)
        d.core_properties.created = created
    d.save(str(path))
    return path


def test_docx_paragraphs_and_metadata(tmp_path: Path) -> None:
    import datetime as dt

    path = make_docx(tmp_path / "d.docx", title="Docx Title", created=dt.datetime(2019, 4, 2, 8))
    doc = load_document(path, MB)
    assert doc.text == (
        "Heading in the body\n\nFirst paragraph of the article.\n\nSecond paragraph."
        "\n\nr0c0 | r0c1\n\nr1c0 | r1c1\n\nAfter the table."
    )
    assert doc.title == "Docx Title"
    assert doc.published == "2019-04-02"
    assert doc.source is None  # the author is a person, not the outlet
    assert doc.format == "docx"


def test_docx_template_defaults_are_not_metadata(tmp_path: Path) -> None:
    doc = load_document(make_docx(tmp_path / "plain_doc.docx"), MB)
    assert doc.title == "plain doc"
    assert doc.published is None  # python-docx's template creation date is ignored


def test_docx_without_text(tmp_path: Path) -> None:
    import docx

    path = tmp_path / "empty.docx"
    docx.Document().save(str(path))
    assert load_error(path).message == "empty.docx: no extractable text"


def _zip(entries: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, data in entries.items():
            z.writestr(name, data)
    return buf.getvalue()


@pytest.mark.parametrize(
    "data",
    [
        b"definitely not a zip file",
        b"PK\x03\x04" + b"\x00" * 40,
        _zip({"hello.txt": b"a zip, but no Word document in it"}),
    ],
)
def test_corrupt_docx(tmp_path: Path, data: bytes) -> None:
    error = load_error(write(tmp_path, "bad.docx", data))
    assert error.message.startswith("bad.docx: cannot read DOCX (")


def test_truncated_docx(tmp_path: Path) -> None:
    full = make_docx(tmp_path / "full.docx").read_bytes()
    error = load_error(write(tmp_path, "cut.docx", full[: len(full) // 2]))
    assert error.message.startswith("cut.docx: cannot read DOCX (")


# --- file-level errors ----------------------------------------------------------------------


def test_missing_path(tmp_path: Path) -> None:
    path = tmp_path / "nope.txt"
    error = load_error(path)
    assert error.message == "nope.txt: no such file"
    assert error.status == 400


def test_directory_is_not_a_file(tmp_path: Path) -> None:
    folder = tmp_path / "folder.txt"
    folder.mkdir()
    assert load_error(folder).message == "folder.txt: a directory"


def test_unsupported_extension(tmp_path: Path) -> None:
    error = load_error(write(tmp_path, "sheet.xlsx", b"data"))
    assert error.status == 415
    assert error.message.startswith("sheet.xlsx: unsupported file type '.xlsx'; supported: ")
    for ext in SUPPORTED:
        assert ext in error.message
    assert "(none)" in load_error(write(tmp_path, "README", b"data")).message


def test_extension_is_case_insensitive(tmp_path: Path) -> None:
    assert load_document(write(tmp_path, "UPPER.TXT", "Some text."), MB).format == "txt"


def test_file_over_the_limit(tmp_path: Path) -> None:
    path = write(tmp_path, "big.txt", b"x" * 3000)
    error = load_error(path, max_bytes=2048)
    assert error.status == 413
    assert error.message == "big.txt: file is 2.9 KB, over the 2.0 KB limit"
    assert load_document(path, 3000).text == "x" * 3000  # exactly at the limit is fine


def test_size_limit_applies_to_every_format(tmp_path: Path) -> None:
    path = make_pdf(tmp_path / "p.pdf", ["text"])
    assert load_error(path, max_bytes=100).status == 413


@pytest.mark.parametrize("name", ["e.txt", "e.md", "e.html", "e.pdf", "e.docx"])
def test_empty_file(tmp_path: Path, name: str) -> None:
    assert load_error(write(tmp_path, name, b"")).message == f"{name}: file is empty"


@pytest.mark.parametrize("content", [" \n\t\n  ", "---\ntitle: Only metadata\n---\n"])
def test_text_without_content(tmp_path: Path, content: str) -> None:
    assert load_error(write(tmp_path, "w.txt", content)).message == "w.txt: no extractable text"


def test_unreadable_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path, "locked.txt", "text")

    def deny(*args: object, **kwargs: object) -> object:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(Path, "open", deny)
    assert load_error(path).message == "locked.txt: cannot read file (Permission denied)"


def test_module_does_not_touch_the_network_or_models() -> None:
    # The loader stays cheap to import: heavy parsers are imported only when a format needs them.
    source = Path(load_module.__file__).read_text(encoding="utf-8")
    header = source.split("\ndef ", 1)[0]
    for heavy in ("import trafilatura", "import pypdf", "import docx", "charset_normalizer"):
        assert heavy not in header
