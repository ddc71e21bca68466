"""PDF and plain-text readers, on the real corpora plus a few small files written here."""
from __future__ import annotations

import json
import re
import time
from functools import lru_cache
from pathlib import Path

import pypdf
import pytest

from ruleassist.errors import ParseError
from ruleassist.readers import Parsed
from ruleassist.readers.pdf import PdfReader
from ruleassist.readers.text import TextReader

SHARED = Path(__file__).resolve().parents[2] / "shared"
EU = SHARED / "corpora/eu/pdf"
MLIT = SHARED / "corpora/jp/mlit-drone-pdf"
DRAFT = SHARED / "eval/comments/dev-draft-iso-cd-39712-1.pdf"
CSRD, CBAM = EU / "CELEX_32022L2464_EN_TXT.pdf", EU / "CELEX_32023R0956_EN_TXT.pdf"

if not DRAFT.exists():
    pytest.skip("shared corpora not mounted", allow_module_level=True)

ALL_PDFS = [DRAFT, CSRD, CBAM, *sorted(MLIT.glob("*.pdf"))]
SECONDS: dict[Path, float] = {}


@lru_cache(maxsize=None)
def read(path: Path) -> Parsed:
    start = time.perf_counter()
    parsed = PdfReader().read(path)
    SECONDS[path] = time.perf_counter() - start
    return parsed


def by_address(path: Path) -> dict:
    return {p.address: p for p in read(path).provisions}


def last_page(p) -> int:
    m = re.fullmatch(r"pp\. (\d+)-(\d+)", p.note)
    return int(m[2]) if m else p.page


# -- every PDF -------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ALL_PDFS, ids=lambda p: p.name)
def test_every_provision_is_citable_with_page_and_lines(path):
    parsed = read(path)
    addresses = [p.address for p in parsed.provisions]
    assert parsed.provisions and len(set(addresses)) == len(addresses)
    for p in parsed.provisions:
        assert p.page and p.page >= 1
        assert p.line_start is not None and p.line_end is not None
        assert p.doc_id == parsed.document.doc_id and p.source == str(path)


def test_all_pdfs_read_well_under_a_minute():
    for path in ALL_PDFS:
        read(path)
    assert sum(SECONDS.values()) < 45, SECONDS


# -- EU Official Journal ---------------------------------------------------------------------------


def test_cbam_document_and_article_35():
    doc = read(CBAM).document
    assert (doc.doc_id, doc.title, doc.kind, doc.jurisdiction) == (
        "eu:32023R0956", "Regulation (EU) 2023/956", "regulation", "EU")
    assert doc.version == "2023-05-16" and doc.lang == "en" and doc.format == "pdf"
    a35 = by_address(CBAM)["a35"]
    assert (a35.heading, a35.caption, a35.level, a35.page) == ("Article 35", "Reporting obligation", "article", 36)
    assert a35.path == ("Chapter X",)
    assert a35.text.startswith("1. Each importer") and "CBAM report" in a35.text
    assert a35.citation == "Regulation (EU) 2023/956, Article 35"


def test_cbam_recitals_articles_and_annexes_are_all_there():
    got = by_address(CBAM)
    assert [a for a in got if a.startswith("r")] == [f"r{n}" for n in range(1, 83)]
    assert [a for a in got if a.startswith("a") and a[1:].isdigit()] == [f"a{n}" for n in range(1, 37)]
    assert [a for a in got if a.startswith("annex")] == [f"annex-{n}" for n in ("I", "II", "III", "IV", "V", "VI")]
    # Footnotes are numbered like recitals; none may start a recital of its own.
    assert not any(got[f"r{n}"].text.startswith(f"({n}) OJ ") for n in range(1, 83))
    assert "HAVE ADOPTED THIS REGULATION" in got["preamble"].text


def test_csrd_inserted_articles_stay_inside_the_amending_article():
    got = by_address(CSRD)
    doc = read(CSRD).document
    assert (doc.doc_id, doc.title, doc.kind, doc.version) == (
        "eu:32022L2464", "Directive (EU) 2022/2464", "directive", "2022-12-16")
    assert [a for a in got if a.startswith("a")] == [f"a{n}" for n in range(1, 9)]
    assert "Article 19a" in got["a1"].text and "Article 29b" in got["a1"].text


@pytest.mark.parametrize("page_no", [3, 28, 48, 64])
def test_csrd_sentence_maps_back_to_its_page(page_no):
    page_text = pypdf.PdfReader(CSRD).pages[page_no - 1].extract_text()
    sentence = next(line.strip() for line in page_text.split("\n")[3:] if len(line.strip()) > 70)
    holders = [p for p in read(CSRD).provisions if sentence in p.text]
    assert holders, sentence
    assert any(p.page <= page_no <= last_page(p) for p in holders)


def test_running_header_is_not_provision_text():
    assert not any("Official Journal of the European Union L" in p.text for p in read(CBAM).provisions)


# -- ISO/IEC draft ---------------------------------------------------------------------------------


def test_iso_draft_clause_tree():
    parsed = read(DRAFT)
    doc = parsed.document
    assert (doc.doc_id, doc.title, doc.kind, doc.jurisdiction, doc.version) == (
        "intl:ISO-CD-39712-1", "ISO/CD 39712-1", "standard_draft", "INTL", "2026-10-15")
    assert [p.address for p in parsed.provisions] == [
        "preamble", "c1", "c2", "c3", "c3.1", "c3.2", "c3.3", "c4", "c4.1", "c5", "c5.1", "c5.2", "c5.3",
        "c5.5", "c6", "c6.1", "c6.2", "c7", "c7.1", "c7.2", "c8", "c8.1", "annex-A"]
    got = by_address(DRAFT)
    c52 = got["c5.2"]
    assert (c52.heading, c52.caption, c52.level) == ("5.2", "Response to a traffic accident", "clause")
    assert got["c5.2"].path == ("5", "5.2") and got["c5.2"].page == 2
    assert (got["annex-A"].heading, got["annex-A"].caption) == ("Annex A", "Example of a route risk assessment")


def test_iso_draft_keeps_printed_line_numbers():
    got = by_address(DRAFT)
    gold = json.loads(DRAFT.with_suffix(".gold.json").read_text(encoding="utf-8"))
    for item in gold["technical"] + gold["editorial"]:
        address = "annex-A" if item["clause"] == "Annex A" else f"c{item['clause']}"
        first, last = item["lines"]
        p = got[address]
        assert p.line_start <= first and last <= p.line_end, (address, item["lines"], p.line_start, p.line_end)
    assert (got["c5.1"].line_start, got["c5.1"].line_end) == (32, 34)
    assert (got["c5.2"].line_start, got["c5.2"].line_end) == (35, 40)     # numbering runs on across pages
    # The margin numbers are gone from the text; the body starts with words.
    assert got["c5.1"].text.splitlines() == [
        "One remote monitoring operator shall supervise no more than ten vehicles simultaneously.",
        "The remote monitoring operator need not be informed of the training content for the route."]


# -- other PDFs: one provision per page --------------------------------------------------------------


def test_japanese_mlit_guideline_reads_as_japanese_pages():
    path = MLIT / "mlit-2022-06-06-art132-3-guideline.pdf"
    parsed = read(path)
    doc = parsed.document
    assert (doc.doc_id, doc.kind, doc.jurisdiction, doc.lang) == (
        "file:mlit-2022-06-06-art132-3-guideline", "guideline", "JP", "ja")
    assert "運用ガイドライン" in doc.title
    assert [p.address for p in parsed.provisions] == ["page-1", "page-2", "page-3", "page-4"]
    first = parsed.provisions[0]
    assert (first.heading, first.level, first.page, first.lang) == ("p. 1", "page", 1, "ja")
    assert "無人航空機" in first.text and "- 1 -" not in first.text   # page number left out


def test_page_and_line_numbers_for_pdfs_without_margin_numbers():
    path = MLIT / "mlit-2022-06-06-art132-3-guideline.pdf"
    page3 = [line.strip() for line in pypdf.PdfReader(path).pages[2].extract_text().split("\n") if line.strip()]
    p3 = by_address(path)["page-3"]
    assert p3.page == 3 and p3.line_start == 2          # line 1 is the printed page number
    assert p3.line_end == len(page3)
    assert p3.text.splitlines()[0] == page3[1]


def test_english_mlit_pdf_is_a_japanese_guideline_in_english():
    doc = read(MLIT / "mlit-uav-flight-manual-en.pdf").document
    assert (doc.jurisdiction, doc.lang, doc.title) == ("JP", "en", "Unmanned Aircraft Flight Manual")


# -- bad input ---------------------------------------------------------------------------------------


def _copy_with(tmp_path: Path, name: str, **encrypt) -> Path:
    writer = pypdf.PdfWriter(clone_from=DRAFT)
    writer.encrypt(algorithm="RC4-128", **encrypt)    # AES would need the 'cryptography' package
    out = tmp_path / name
    writer.write(out)
    return out


def test_password_protected_pdf_says_remove_the_password(tmp_path):
    path = _copy_with(tmp_path, "locked.pdf", user_password="secret", owner_password="owner")
    with pytest.raises(ParseError, match="password-protected PDF: remove the password and retry"):
        PdfReader().read(path)


def test_pdf_with_only_an_owner_password_still_reads(tmp_path):
    path = _copy_with(tmp_path, "restricted.pdf", user_password="", owner_password="owner")
    assert PdfReader().read(path).document.doc_id == "intl:ISO-CD-39712-1"


def test_pdf_without_text_layer_says_run_ocr(tmp_path):
    writer = pypdf.PdfWriter()
    writer.add_blank_page(595, 842)
    writer.add_blank_page(595, 842)
    path = tmp_path / "scan.pdf"
    writer.write(path)
    with pytest.raises(ParseError, match=r"no text layer \(scanned image\?\): run OCR first, e\.g\. ocrmypdf"):
        PdfReader().read(path)


@pytest.mark.parametrize("content, why", [
    (b"<html><body>Not found</body></html>", "no %PDF header"),
    (DRAFT.read_bytes()[:3000], "truncated"),
    (b"%PDF-1.7\n" + b"garbage " * 200 + b"\n%%EOF\n", "not a readable PDF"),
])
def test_not_a_readable_pdf(tmp_path, content, why):
    path = tmp_path / "broken.pdf"
    path.write_bytes(content)
    with pytest.raises(ParseError, match="not a readable PDF") as err:
        PdfReader().read(path)
    assert why in str(err.value) and err.value.path == path


def test_pdf_reader_accepts_pdfs_by_name_or_header(tmp_path):
    sniffed = tmp_path / "download"
    sniffed.write_bytes(b"%PDF-1.4\n")
    assert PdfReader().accepts(CBAM) and PdfReader().accepts(sniffed)
    assert not PdfReader().accepts(DRAFT.with_suffix(".gold.json"))


# -- plain text and Markdown ---------------------------------------------------------------------------


def test_markdown_splits_on_headings_with_slug_addresses(tmp_path):
    path = tmp_path / "notes.md"
    path.write_text("Draft notes.\n\n# Drone rules\n\nIntro.\n\n## Scope\n\nAll drones.\n```\n# code\n```\n\n"
                    "## Scope\n\nAgain.\n", encoding="utf-8")
    parsed = TextReader().read(path)
    doc = parsed.document
    assert (doc.doc_id, doc.title, doc.kind) == ("file:notes", "Drone rules", "other")
    got = {p.address: p for p in parsed.provisions}
    assert list(got) == ["preamble", "s-drone-rules", "s-scope", "s-scope-2"]
    assert got["s-scope"].path == ("Drone rules", "Scope") and "# code" in got["s-scope"].text
    assert (got["s-scope"].line_start, got["s-scope"].line_end) == (7, 12)


def test_text_without_headings_splits_into_paragraphs(tmp_path):
    path = tmp_path / "memo.txt"
    path.write_text("無人航空機の飛行について。\n二行目。\n\n\n第二段落。\n", encoding="utf-8")
    parsed = TextReader().read(path)
    assert (parsed.document.jurisdiction, parsed.document.lang) == ("JP", "ja")
    assert [(p.address, p.line_start, p.line_end) for p in parsed.provisions] == [("para-1", 1, 2), ("para-2", 5, 5)]


def test_text_reader_takes_only_txt_and_md():
    reader = TextReader()
    assert reader.accepts(Path("a.txt")) and reader.accepts(Path("b.MD"))
    assert not reader.accepts(Path("c.docx")) and not reader.accepts(Path("d.pdf"))
