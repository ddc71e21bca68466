"""PDF reader: EU Official Journal acts, ISO/IEC committee drafts and any other PDF.

How a PDF is cut into provisions depends on what it is:
- OJ act (file named CELEX_...): "preamble" (title, citations, 'Whereas:', enacting formula),
  one provision per recital ("r12"), per article ("a35") and per annex ("annex-I");
- ISO/IEC draft (a stage code such as "ISO/CD 39712-1" on page 1): "preamble" (title page) and
  one provision per clause ("c5.2.1", "annex-A");
- anything else, or an OJ/ISO file whose headings are not found: one provision per page ("page-3").
Line numbers are the printed margin numbers where a draft has them, else positions on the page;
a provision starts at the page and line of its heading. See pdflines.py for the details.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from ruleassist.errors import ParseError
from ruleassist.readers import Parsed
from ruleassist.readers._eu import make_document
from ruleassist.readers.pdflines import Line, find_clauses, read_layout
from ruleassist.records import Document, Provision

CELEX_NAME = re.compile(r"CELEX[_:-]?(\d{5}[A-Z]{1,2}\d{4})", re.IGNORECASE)
ISO_DRAFT = re.compile(r"\b(?:ISO|IEC)(?:/(?:IEC|ISO))?[/ ](?:PWI|NP|AWI|WD|CD|CDV|DIS|FDIS|PRF|DTS|DTR|DPAS)"
                       r"\s*\d{3,6}(?:-\d+)*")
# A guideline may cite a draft on its title page; a draft names its committee or stage too.
DRAFT_SIGNS = re.compile(r"\b(?:ISO/TC|ISO/IEC JTC|IEC/TC|IEC TC|Committee Draft|Working Draft|"
                         r"Draft International Standard)\b")
OJ_DATE = re.compile(r"Official Journal of the European Union.*?\b(\d{1,2})\.(\d{1,2})\.(\d{4})\b")
ENACTING = re.compile(r"(?:HAVE|HAS) ADOPTED TH(?:IS|E PRESENT)\b.*|HAS DECIDED AS FOLLOWS:?")
ARTICLE = re.compile(r"Article\s+(\d{1,3})([a-z]{0,3})")
OJ_ANNEX = re.compile(r"ANNEX(?:\s+([IVXLC]+))?")
OJ_PART = re.compile(r"(CHAPTER|TITLE|PART)\s+([IVXLC]+)|(SECTION)\s+(\d+)")
RECITAL = re.compile(r"\((\d{1,3})\)\s*\S.*")
DRAFT_DATE = re.compile(r"\bDate:?\s*(\d{4}-\d{2}-\d{2})\b")
JAPANESE = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uff66-\uff9f]")
LATIN = re.compile(r"[A-Za-z]")
JUNK_TITLES = ("untitled", "publications office", "microsoft word", "slide 1", "document")


@dataclass
class Section:
    address: str
    level: str
    heading: str
    lines: list[Line]
    caption: str = ""
    head: int = 0                   # leading lines that are the heading itself, left out of the text
    path: tuple[str, ...] = ()


class PdfReader:
    name = "pdf"

    def accepts(self, path: Path) -> bool:
        if Path(path).suffix.lower() == ".pdf":
            return True
        try:
            with open(path, "rb") as fh:
                return fh.read(5) == b"%PDF-"
        except OSError:
            return False

    def read(self, path: Path) -> Parsed:
        path = Path(path)
        layout = read_layout(path)
        body = [line for line in layout.lines if not line.furniture]
        _check_text_layer(path, body)
        doc = describe(path, layout.lines, layout.metadata_title, _language(body))
        sections: list[Section] = []
        if doc.jurisdiction == "EU":
            sections = oj_sections(body)
        elif doc.kind == "standard_draft":
            sections = clause_sections(body)
        sections = sections or page_sections(body)
        # A clause heading with no text of its own (5, above 5.1) stays citable; an OJ chapter
        # heading is kept in its articles' path instead.
        kept = [s for s in sections if s.lines[s.head:] or (s.caption and s.level == "clause")]
        return Parsed(doc, [to_provision(doc, s) for s in kept])


def _check_text_layer(path: Path, body: list[Line]) -> None:
    text = "".join(line.text for line in body)
    if len(re.sub(r"\s", "", text)) < 20:
        raise ParseError(path, "no text layer (scanned image?): run OCR first, e.g. ocrmypdf")
    # Fonts without a Unicode map come out as control or private-use characters.
    odd = sum(1 for ch in text if ord(ch) < 32 or 0xE000 <= ord(ch) <= 0xF8FF or ch == "\ufffd")
    if odd > 0.3 * len(text):
        raise ParseError(path, "text layer unreadable (fonts without a Unicode map): run OCR first, "
                               "e.g. ocrmypdf --force-ocr")


def _language(body: list[Line]) -> str:
    text = "".join(line.text for line in body)
    ja, latin = len(JAPANESE.findall(text)), len(LATIN.findall(text))
    return "ja" if ja >= 0.3 * (ja + latin) and ja else "en"


# -- the document ---------------------------------------------------------------------------------


def describe(path: Path, lines: tuple[Line, ...], metadata_title: str, lang: str) -> Document:
    """Document record: EU act by CELEX file name, ISO/IEC draft by its reference, else a guideline."""
    page1 = [line.text for line in lines if line.page == 1]
    common = dict(lang=lang, format="pdf", source=str(path))
    if m := CELEX_NAME.search(path.name):
        # The same facts (title, kind, short names, EUR-Lex URL) as the Formex and HTML readers.
        return make_document(m[1].upper(), " ".join(page1[:3]), "pdf", path, _oj_date(lines))
    text1 = "\n".join(page1)
    if (m := ISO_DRAFT.search(text1)) and DRAFT_SIGNS.search(text1):
        ref = re.sub(r"\s+", " ", m[0])
        date = DRAFT_DATE.search(text1)
        return Document(f"intl:{re.sub(r'[/ ]+', '-', ref)}", ref, "INTL", "standard_draft",
                        version=date[1] if date else "", **common)
    title = _plausible(metadata_title) or _largest_print(lines, lang) or path.stem
    # MLIT publishes English translations too; the folder says whose guideline it is.
    japanese = lang == "ja" or any(part.lower() in ("jp", "japan") for part in path.parts)
    return Document(f"file:{path.stem}", title, "JP" if japanese else "INTL", "guideline", **common)


def _oj_date(lines: tuple[Line, ...]) -> str:
    for line in lines:
        if line.page == 1 and (m := OJ_DATE.search(line.text)):
            return f"{m[3]}-{int(m[2]):02d}-{int(m[1]):02d}"
    return ""


def _plausible(title: str) -> str:
    low = title.lower()
    if not title or any(low.startswith(j) for j in JUNK_TITLES) or low.endswith((".doc", ".docx", ".pdf")):
        return ""
    return title


def _largest_print(lines: tuple[Line, ...], lang: str) -> str:
    """The title page's biggest print (up to three lines), or, where all print is one size, the
    line with the most space around it: guidelines set their title apart that way."""
    page1 = [line for line in lines if line.page == 1 and not line.furniture]
    if not page1:
        return ""
    biggest = max(line.size for line in page1)
    if biggest >= 1.15 * min(line.size for line in page1):
        start = next(i for i, line in enumerate(page1) if line.size >= biggest - 0.5)
        run = []
        for line in page1[start:start + 3]:
            if line.size < biggest - 0.5:
                break
            run.append(line.text)
        return ("" if lang == "ja" else " ").join(run)[:200]
    ys = [page1[0].y + 2 * page1[0].size] + [line.y for line in page1] + [0.0]
    space = [ys[i] - ys[i + 2] for i in range(len(page1))]
    return max(zip(space, page1), key=lambda pair: pair[0])[1].text[:200]


# -- sections -------------------------------------------------------------------------------------


def page_sections(body: list[Line]) -> list[Section]:
    pages: dict[int, list[Line]] = {}
    for line in body:
        pages.setdefault(line.page, []).append(line)
    return [Section(f"page-{n}", "page", f"p. {n}", lines) for n, lines in sorted(pages.items())]


def clause_sections(body: list[Line]) -> list[Section]:
    """ISO/IEC draft: title page, then one section per clause heading."""
    headings = find_clauses(body)
    if not headings:
        return []
    sections = [Section("preamble", "section", "Preamble", body[:headings[0].index])]
    for h, nxt in zip(headings, headings[1:] + [None]):
        lines = body[h.index:nxt.index if nxt else len(body)]
        sections.append(Section(h.address, "clause", h.label, lines, h.caption, h.size, _clause_path(h.label)))
    return [s for s in sections if s.lines]


def _clause_path(label: str) -> tuple[str, ...]:
    """("5", "5.2", "5.2.1") for 5.2.1; ("Annex A", "A.1") for A.1."""
    parts = label.split(".")
    if label[0].isdigit():
        return tuple(".".join(parts[:i]) for i in range(1, len(parts) + 1))
    if len(parts) > 1:
        return (f"Annex {parts[0]}",) + tuple(".".join(parts[:i]) for i in range(2, len(parts) + 1))
    return (label,)


def to_provision(doc: Document, s: Section) -> Provision:
    first, last = s.lines[0], s.lines[-1]
    numbers = [line.number for line in s.lines if line.number is not None]
    return Provision(
        doc_id=doc.doc_id, address=s.address, heading=s.heading, level=s.level, caption=s.caption,
        text="\n".join(line.text for line in s.lines[s.head:]), path=s.path,
        title=doc.title, jurisdiction=doc.jurisdiction, kind=doc.kind, version=doc.version,
        lang=doc.lang, source=doc.source, page=first.page,
        # 0: a title block printed without margin numbers, before line 1 of a numbered draft.
        line_start=numbers[0] if numbers else 0, line_end=numbers[-1] if numbers else 0,
        note=f"pp. {first.page}-{last.page}" if last.page != first.page else "")


# -- EU Official Journal acts ---------------------------------------------------------------------


@dataclass
class Mark:
    index: int                      # the heading line in the body
    kind: str                       # recital / article / annex / part / formula
    label: str                      # "12", "35", "I", "Chapter II"
    head: int = 1
    caption: str = ""


def oj_sections(body: list[Line]) -> list[Section]:
    """Preamble, recitals, articles and annexes of an OJ act; [] when no article heading is found."""
    formula = next((i for i, line in enumerate(body) if ENACTING.fullmatch(line.text)), None)
    start = 0 if formula is None else formula + 1
    articles = _article_marks(body, start)
    if not articles:
        return []
    marks = articles + _annex_marks(body, articles[-1].index + 1) + _part_marks(body, start, articles[-1].index)
    if formula is not None:
        marks += _recital_marks(body, formula) + [Mark(formula, "formula", "")]
    marks.sort(key=lambda m: m.index)
    return _oj_walk(body, marks)


def _oj_walk(body: list[Line], marks: list[Mark]) -> list[Section]:
    preamble = Section("preamble", "section", "Preamble", body[:marks[0].index])
    sections, chapter, path = [preamble], "", ()
    for mark, nxt in zip(marks, marks[1:] + [None]):
        lines = body[mark.index:nxt.index if nxt else len(body)]
        if mark.kind == "formula":      # "HAVE ADOPTED THIS REGULATION:" closes the preamble
            preamble.lines = preamble.lines + lines
        elif mark.kind == "part":       # chapter headings go into the path of the articles under them
            if not mark.label.startswith("Section"):
                chapter = mark.label
            path = (chapter, mark.label) if chapter and chapter != mark.label else (mark.label,)
            address = mark.label.split()[0].lower() + "-" + mark.label.split()[1]
            sections.append(Section(address, "section", mark.label, lines, mark.caption, mark.head, path))
        elif mark.kind == "recital":
            sections.append(Section(f"r{mark.label}", "recital", f"Recital {mark.label}", lines, head=0))
        elif mark.kind == "article":
            sections.append(Section(f"a{mark.label}", "article", f"Article {mark.label}", lines,
                                    mark.caption, mark.head, path))
        else:
            address = f"annex-{mark.label}" if mark.label else "annex"
            sections.append(Section(address, "annex", f"Annex {mark.label}".strip(), lines, mark.caption, mark.head))
    return [s for s in sections if s.lines]


def _article_marks(body: list[Line], start: int) -> list[Mark]:
    # Amending acts quote whole articles ("‘Article 19a", "Article 29b"); only the act's own
    # articles run 1, 2, 3 ... so a heading must continue that run (a gap of two is tolerated).
    marks: list[Mark] = []
    last = 0
    for i in range(start, len(body)):
        if not (m := ARTICLE.fullmatch(body[i].text)):
            continue
        n, suffix = int(m[1]), m[2]
        if (not suffix and last < n <= last + 3) or (suffix and marks and n == last):
            caption, size = _caption(body, i)
            marks.append(Mark(i, "article", f"{n}{suffix}", 1 + size, caption))
            last = n
    return marks


def _annex_marks(body: list[Line], start: int) -> list[Mark]:
    marks, seen = [], set()
    for i in range(start, len(body)):
        if (m := OJ_ANNEX.fullmatch(body[i].text)) and (m[1] or "") not in seen:
            seen.add(m[1] or "")
            caption, size = _caption(body, i)
            marks.append(Mark(i, "annex", m[1] or "", 1 + size, caption))
    return marks


def _part_marks(body: list[Line], start: int, end: int) -> list[Mark]:
    marks = []
    for i in range(start, end):
        if m := OJ_PART.fullmatch(body[i].text):
            caption, size = _caption(body, i)
            word, number = (m[1], m[2]) if m[1] else (m[3], m[4])
            marks.append(Mark(i, "part", f"{word.title()} {number}", 1 + size, caption))
    return marks


def _recital_marks(body: list[Line], formula: int) -> list[Mark]:
    whereas = next((i for i in range(formula) if body[i].text.startswith("Whereas")), None)
    if whereas is None:
        return []
    sizes: dict[float, int] = {}
    for line in body[whereas:formula]:
        sizes[line.size] = sizes.get(line.size, 0) + len(line.text)
    text_size = max(sizes, key=sizes.get) if sizes else 0.0
    marks, expected = [], 1
    for i in range(whereas + 1, formula):
        m = RECITAL.fullmatch(body[i].text)
        # Footnotes are numbered "(n)" too, but printed smaller.
        if m and expected <= int(m[1]) <= expected + 2 and body[i].size >= text_size - 0.5:
            marks.append(Mark(i, "recital", m[1], head=0))
            expected = int(m[1]) + 1
    return marks


def _caption(body: list[Line], i: int) -> tuple[str, int]:
    """The title under a heading: the bold lines that follow it, else one short line."""
    bold: list[str] = []
    for prev, line in zip(body[i:i + 3], body[i + 1:i + 4]):
        # A wrapped title sits at line spacing; a sub-heading ("Iron and steel") further down.
        wrapped = not bold or abs(prev.y - line.y) <= 1.5 * line.size
        if not line.bold or not wrapped or ARTICLE.fullmatch(line.text):
            break
        bold.append(line.text)
    if bold:
        return " ".join(bold), len(bold)
    nxt = body[i + 1].text if i + 1 < len(body) else ""
    if nxt and len(nxt) < 100 and not nxt.endswith((".", ":", ";")) and not re.match(r"\d+\.|\(", nxt):
        return nxt, 1
    return "", 0
