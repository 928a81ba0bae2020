"""Document import: what is imported, what is skipped and why."""

from pathlib import Path

from workbench.chunking import chunk_text
from workbench.demo import corpus_dir
from workbench.docs import import_paths


def _write(folder: Path, name: str, data: bytes) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def test_folder_import_recurses_and_reports_every_skip(tmp_path, store, project, settings):
    src = tmp_path / "src"
    _write(src, "a.md", b"# Title A\n\nThe first document. It has text.\n")
    _write(src, "sub/b.txt", "Caf\u00e9 cr\u00e8me, na\u00efve fa\u00e7ade.\n".encode("utf-8"))
    _write(src, "sub/deeper/c.rst", b"Third\n=====\n\nSome restructured text.\n")
    _write(src, "empty.txt", b"   \n\n")
    _write(src, "blob.txt", bytes(range(256)) * 4)
    _write(src, "image.png", b"\x89PNG\r\n\x1a\n")
    _write(src, "latin1.txt", "Le caf\u00e9 est tr\u00e8s bon \u00e0 Paris, et la ville est belle pour les touristes.\n".encode("latin-1"))
    report = import_paths(store, project.id, [src, tmp_path / "missing"], settings)
    imported = sorted(Path(d.path).name for d in report.imported)
    skipped = {Path(p).name: why for p, why in report.skipped}
    assert imported == ["a.md", "b.txt", "c.rst", "latin1.txt"]
    assert "empty" in skipped["empty.txt"]
    assert "binary" in skipped["blob.txt"]
    assert "unsupported" in skipped["image.png"]
    assert "no such file" in skipped["missing"]
    latin = next(d for d in report.imported if d.path.endswith("latin1.txt"))
    text = store.document(latin.id).text
    assert "café est très bon à Paris" in text and latin.encoding in ("cp1252", "latin-1")
    assert latin.language == "fr"


def test_same_content_is_not_imported_twice(tmp_path, store, project, settings):
    a = _write(tmp_path, "a.txt", b"Same words here. Twice over.")
    b = _write(tmp_path, "copy.txt", b"Same words here. Twice over.")
    first = import_paths(store, project.id, [a], settings)
    second = import_paths(store, project.id, [b], settings)
    assert len(first.imported) == 1 and second.imported == []
    assert "already imported" in second.skipped[0][1]
    assert store.project_stats(project.id).documents == 1


def test_oversized_and_undecodable_files_are_skipped_with_a_hint(tmp_path, store, project, settings):
    from dataclasses import replace

    small = replace(settings, max_document_bytes=100)
    big = _write(tmp_path, "big.txt", b"word " * 100)
    # bytes that are invalid UTF-8 and decode to C1 controls in Latin-1 (0x81 is undefined in cp1252)
    odd = _write(tmp_path, "odd.txt", b"abc \x81\x8d\x8f\x90\x9d def " * 5)
    report = import_paths(store, project.id, [big, odd], small)
    reasons = dict(report.skipped)
    assert "WORKBENCH_MAX_DOCUMENT_BYTES" in reasons[str(big)]
    assert "undecodable" in reasons[str(odd)] or "binary" in reasons[str(odd)]
    assert store.table_counts()["documents"] == 0


def test_chunks_carry_exact_offsets_and_are_deterministic():
    text = (corpus_dir() / "bonds.md").read_text()
    first = chunk_text(text, size=400, overlap=80)
    assert first == chunk_text(text, size=400, overlap=80)
    assert len(first) > 3
    for chunk in first:
        assert text[chunk.start:chunk.end] == chunk.text
        assert len(chunk.text) <= 400
    # consecutive chunks overlap or touch, and the whole text is covered
    for a, b in zip(first, first[1:], strict=False):
        assert b.start <= a.end + 2 and b.start > a.start
    assert first[0].start == 0 and first[-1].end == len(text.rstrip())


def test_chunk_size_is_configurable():
    text = "Sentence number one. " * 200
    assert len(chunk_text(text, 200, 0)) > len(chunk_text(text, 1000, 0))


# -- documents as users have them (issue 16 part 6): real files the tests write -------------

PAGES = [
    "Bonds are loans to an issuer. The coupon is the interest payment a bond makes each year. "
    "A bond with a face value of 1,000 dollars and a coupon rate of 5 percent pays 50 dollars.",
    "A zero-coupon bond pays no interest at all. It is sold at a discount to its face value, "
    "and the investor's return is the difference between the price and the face value.",
    "Bond prices move in the opposite direction to interest rates. When rates rise, the price "
    "of an existing bond falls, because new bonds pay more.",
]


def _pdf(path: Path, pages: list[str]) -> Path:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_font("helvetica", size=12)
    for text in pages:
        pdf.add_page()
        pdf.multi_cell(0, 8, text)
    pdf.output(str(path))
    return path


def _scanned_pdf(path: Path) -> Path:
    """A PDF whose only page is a picture (what a scanner makes): no text layer."""
    from fpdf import FPDF
    from PIL import Image, ImageDraw

    image = path.with_suffix(".png")
    picture = Image.new("RGB", (400, 100), "white")
    ImageDraw.Draw(picture).text((10, 40), "Bonds are loans to an issuer.", fill="black")
    picture.save(image)
    pdf = FPDF()
    pdf.add_page()
    pdf.image(str(image), x=10, y=10, w=180)
    pdf.output(str(path))
    image.unlink()
    return path


def _words(text: str) -> str:
    return " ".join(text.split())


def test_a_pdf_is_imported_page_by_page(tmp_path, store, project, settings):
    report = import_paths(store, project.id, [_pdf(tmp_path / "bonds.pdf", PAGES[:2])], settings)
    assert report.skipped == [] and len(report.imported) == 1
    doc = store.document(report.imported[0].id)
    assert doc.encoding == "pdf" and doc.title.startswith("Bonds are loans")
    assert _words(PAGES[0]) in _words(doc.text) and _words(PAGES[1]) in _words(doc.text)
    # ~350 characters in all: one chunk (default size 1200), from both pages
    (chunk,) = store.document_chunks(doc.id)
    assert (chunk.page_start, chunk.page_end, chunk.pages) == (1, 2, "pp. 1-2")


def test_each_pdf_chunk_names_the_pages_it_spans(tmp_path, store, project, settings):
    from dataclasses import replace

    small = replace(settings, chunk_size=200, chunk_overlap=0)
    report = import_paths(store, project.id, [_pdf(tmp_path / "three.pdf", PAGES)], small)
    doc = store.document(report.imported[0].id)
    # where each page starts in the stored text, found from the sentences written on it
    starts = [doc.text.index(" ".join(page.split()[:3])) for page in PAGES]
    assert starts == sorted(starts)

    def page_at(offset: int) -> int:
        return max(i + 1 for i, s in enumerate(starts) if s <= offset)

    chunks = store.document_chunks(doc.id)
    assert len(chunks) >= 3
    for chunk in chunks:
        assert (chunk.page_start, chunk.page_end) == (page_at(chunk.start), page_at(chunk.end - 1))
    assert {c.page_start for c in chunks} == {1, 2, 3}


def test_a_scanned_pdf_is_skipped_with_that_reason(tmp_path, store, project, settings):
    report = import_paths(store, project.id, [_scanned_pdf(tmp_path / "scan.pdf")], settings)
    assert report.imported == []
    ((path, reason),) = report.skipped
    assert path.endswith("scan.pdf")
    assert reason.startswith("scanned PDF: no page has a text layer") and "OCR" in reason


def test_word_powerpoint_excel_and_html_files_become_markdown(tmp_path, store, project, settings):
    import docx
    import openpyxl
    from pptx import Presentation

    folder = tmp_path / "files"
    folder.mkdir()

    word = docx.Document()
    word.add_heading("Bond basics", level=1)
    word.add_paragraph("A zero-coupon bond pays no interest at all.")
    word.save(folder / "basics.docx")

    deck = Presentation()
    for title, body in [("Coupons", "The coupon is the interest payment."),
                        ("Prices", "Bond prices fall when rates rise.")]:
        slide = deck.slides.add_slide(deck.slide_layouts[1])
        slide.shapes.title.text = title
        slide.placeholders[1].text = body
    deck.save(folder / "deck.pptx")

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Rates"
    for row in [("bond", "coupon rate"), ("Treasury 2030", "4.5%"), ("Corporate 2028", "6%")]:
        sheet.append(row)
    book.save(folder / "rates.xlsx")

    (folder / "page.html").write_text(
        "<html><head><title>Bond glossary</title><script>var tracking = 1;</script></head>"
        "<body><h2>Maturity</h2><p>The date on which the <b>face value</b> is repaid.</p>"
        "</body></html>", encoding="utf-8")

    report = import_paths(store, project.id, [folder], settings)
    assert report.skipped == []
    docs = {Path(d.path).name: store.document(d.id) for d in report.imported}
    assert sorted(docs) == ["basics.docx", "deck.pptx", "page.html", "rates.xlsx"]

    assert docs["basics.docx"].text == "# Bond basics\n\nA zero-coupon bond pays no interest at all."
    assert docs["basics.docx"].encoding == "docx"

    # one page per slide: each slide's text starts where its page starts
    deck_text = docs["deck.pptx"].text
    assert deck_text == ("# Coupons\nThe coupon is the interest payment.\n\n"
                         "# Prices\nBond prices fall when rates rise.")
    (chunk,) = store.document_chunks(docs["deck.pptx"].id)
    assert chunk.pages == "pp. 1-2"

    rates = docs["rates.xlsx"].text
    assert rates.startswith("## Rates\n| bond | coupon rate |")
    assert "| Treasury 2030 | 4.5% |" in rates and "| Corporate 2028 | 6% |" in rates

    html = docs["page.html"]
    assert html.title == "Bond glossary"
    assert html.text == "## Maturity\n\nThe date on which the **face value** is repaid."
    assert "tracking" not in html.text
    # formats without pages give chunks without pages
    for name in ("basics.docx", "rates.xlsx", "page.html"):
        assert all(c.pages is None for c in store.document_chunks(docs[name].id))


def test_slides_longer_than_a_chunk_keep_their_slide_numbers(tmp_path, store, project, settings):
    from dataclasses import replace

    from pptx import Presentation

    deck = Presentation()
    for page in PAGES:
        slide = deck.slides.add_slide(deck.slide_layouts[1])
        slide.shapes.title.text = page.split(".")[0]
        slide.placeholders[1].text = page
    deck.save(tmp_path / "long.pptx")
    small = replace(settings, chunk_size=150, chunk_overlap=0)
    report = import_paths(store, project.id, [tmp_path / "long.pptx"], small)
    doc = store.document(report.imported[0].id)
    for chunk in store.document_chunks(doc.id):
        # the slide a chunk starts on is the last slide title before it (or inside it)
        titles = [doc.text.index("# " + page.split(".")[0]) for page in PAGES]
        assert chunk.page_start == max(i + 1 for i, t in enumerate(titles) if t <= chunk.start)
        assert chunk.page_end == max(i + 1 for i, t in enumerate(titles) if t < chunk.end)


def test_broken_and_empty_office_files_are_skipped_with_clear_reasons(
    tmp_path, store, project, settings
):
    import sys

    garbage = bytes((i * 37 + 11) % 256 for i in range(4000))
    for name in ("junk.pdf", "junk.docx", "junk.pptx", "junk.xlsx"):
        _write(tmp_path / "files", name, garbage)
    _write(tmp_path / "files", "empty.pdf", b"")
    _write(tmp_path / "files", "blank.docx", b"  \n ")
    _write(tmp_path / "files", "fake.xlsx", b"PK\x03\x04 not really a zip")
    from fpdf import FPDF
    from fpdf.enums import EncryptionMethod

    locked = FPDF()
    locked.set_font("helvetica", size=12)
    locked.add_page()
    locked.multi_cell(0, 8, PAGES[0])
    locked.set_encryption(owner_password="owner", user_password="user",
                          encryption_method=EncryptionMethod.RC4)
    locked.output(str(tmp_path / "files" / "locked.pdf"))
    report = import_paths(store, project.id, [tmp_path / "files"], settings)
    assert report.imported == []
    reasons = {Path(p).name: why for p, why in report.skipped}
    assert reasons["junk.pdf"].startswith("not a readable PDF")
    assert reasons["junk.docx"] == "not a readable Word file (BadZipFile: File is not a zip file)"
    assert reasons["junk.pptx"].startswith("not a readable PowerPoint file (BadZipFile")
    assert reasons["junk.xlsx"].startswith("not a readable Excel file (BadZipFile")
    assert reasons["fake.xlsx"].startswith("not a readable Excel file (BadZipFile")
    assert reasons["empty.pdf"] == "empty file" and reasons["blank.docx"] == "empty file"
    assert reasons["locked.pdf"].startswith("password-protected PDF: save a copy without")
    assert store.table_counts()["documents"] == 0
    # the conversion ran in a child process: this one never imported markitdown
    assert "markitdown" not in sys.modules and "onnxruntime" not in sys.modules


def test_the_cli_imports_a_pdf_and_says_what_it_skipped(tmp_path, cli, store):
    store.create_project("docs")
    (tmp_path / "files").mkdir()
    _pdf(tmp_path / "files" / "bonds.pdf", PAGES[:1])
    _scanned_pdf(tmp_path / "files" / "scan.pdf")
    out = cli("docs", "import", "--project", "docs", str(tmp_path / "files"))
    assert out.returncode == 0, out.stderr
    assert f"imported  {tmp_path / 'files' / 'bonds.pdf'}  (1 chunks, pdf, en)" in out.stdout
    assert f"skipped   {tmp_path / 'files' / 'scan.pdf'}: scanned PDF: no page has a text layer" in out.stdout
    assert "1 imported, 1 skipped." in out.stdout


async def test_the_documents_screen_imports_a_pdf_and_shows_its_pages(tmp_path, settings, store):
    import sys

    from screens.app import WorkbenchApp
    from screens.documents import DocumentsScreen, DocumentViewScreen

    project = store.create_project("docs")
    folder = tmp_path / "files"
    folder.mkdir()
    _pdf(folder / "bonds.pdf", PAGES[:2])
    _scanned_pdf(folder / "scan.pdf")
    app = WorkbenchApp(settings)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        app.open_project_screen("documents", project)
        await pilot.pause()
        assert isinstance(app.screen, DocumentsScreen)
        await pilot.press("i")
        for ch in str(folder):
            await pilot.press(ch)
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        report = str(app.screen.query_one("#import-report").render())
        assert report.startswith("1 imported, 1 skipped.")
        assert "scanned PDF: no page has a text layer" in report
        await pilot.press("enter")
        assert isinstance(app.screen, DocumentViewScreen)
        table = app.screen.query_one("#chunks")
        assert [str(c) for c in table.get_row_at(0)] == ["0", f"0-{app.screen.chunks[0].end}",
                                                         "pp. 1-2"]
    # the screen's import converted in a child process: the TUI never loaded markitdown
    assert "markitdown" not in sys.modules and "onnxruntime" not in sys.modules
