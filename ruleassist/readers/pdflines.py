"""The lines of a PDF, each with its page, position, font size and line number.

Two numbering schemes: a draft with printed margin line numbers (ISO/IEC committee drafts) keeps
those numbers, stripped from the text; any other PDF numbers its lines by position on the page
(blank lines not counted). Running headers and footers are flagged, not dropped, so readers can
leave them out of provision text and still read them (the OJ date sits in the header).
Numbered clause headings ("5.2.1 Title", "Annex A (informative) Title") are found here too,
for ISO/IEC drafts.
"""
from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, replace
from pathlib import Path

import pypdf
from pypdf.errors import DependencyError, PdfReadError

from ruleassist.errors import ParseError


@dataclass(frozen=True, slots=True)
class Line:
    page: int                   # 1-based
    text: str
    x: float = 0.0
    y: float = 0.0              # baseline, PDF units from the bottom of the page
    size: float = 0.0           # font size as printed (text matrix applied)
    bold: bool = False          # first chunk in a bold font: titles in OJ and ISO layouts
    number: int | None = None   # margin number, else position on the page; None: unnumbered in a numbered draft
    furniture: bool = False     # running header or footer


@dataclass(frozen=True, slots=True)
class Layout:
    lines: tuple[Line, ...]     # every line, furniture included, in reading order
    pages: int
    margin_numbers: bool        # True when `number` holds printed margin numbers
    metadata_title: str = ""


def read_layout(path: Path) -> Layout:
    """All lines of a PDF, numbered; raises ParseError with what to do for bad files."""
    reader = open_pdf(path)
    raw: list[Line] = []
    for page_no, page in enumerate(reader.pages, start=1):
        raw += page_lines(path, page, page_no)
    lines, margin = strip_margin_numbers(raw)
    lines = flag_furniture(lines, len(reader.pages))
    if not margin:
        lines = number_by_position(lines)
    title = str((reader.metadata or {}).get("/Title") or "").strip()
    return Layout(tuple(lines), len(reader.pages), margin, title)


def open_pdf(path: Path) -> pypdf.PdfReader:
    _check_bytes(path)
    try:
        reader = pypdf.PdfReader(path)
        if reader.is_encrypted and not reader.decrypt(""):
            raise ParseError(path, "password-protected PDF: remove the password and retry")
        len(reader.pages)   # forces the page tree: broken files fail here, not halfway through
    except DependencyError:
        raise ParseError(path, "encrypted PDF that needs the 'cryptography' package to open: "
                               "pip install cryptography, or save an unencrypted copy") from None
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError) as exc:
        why = str(exc) or type(exc).__name__
        raise ParseError(path, f"not a readable PDF: {why}; re-download or re-export it") from None
    return reader


def _check_bytes(path: Path) -> None:
    # pypdf repairs what it can without saying so; a truncated download would lose pages silently.
    with open(path, "rb") as fh:
        head = fh.read(1024)
        fh.seek(max(0, Path(path).stat().st_size - 2048))
        tail = fh.read()
    if b"%PDF-" not in head:
        raise ParseError(path, "not a readable PDF: no %PDF header (is it really a PDF?)")
    if b"%%EOF" not in tail:
        raise ParseError(path, "not a readable PDF: the file is truncated (no %%EOF at the end); download it again")


# -- lines of one page --------------------------------------------------------------------------


class _Collector:
    """Builds lines from pypdf's text chunks: joined, the chunks are exactly extract_text()."""

    def __init__(self, page_no: int):
        self.page_no, self.lines, self.parts = page_no, [], []
        self.pos: tuple[float, float, float] | None = None
        self.bold = False

    def visit(self, text: str, cm: list, tm: list, font: dict | None, size: float) -> None:
        for i, piece in enumerate(text.split("\n")):
            if i:
                self.flush()
            if piece:
                self.parts.append(piece)
                if self.pos is None and piece.strip():
                    self.pos = _position(cm, tm, size)
                    self.bold = _is_bold(font)

    def flush(self) -> None:
        text = "".join(self.parts).strip()
        if text:
            x, y, size = self.pos or (0.0, 0.0, 0.0)
            self.lines.append(Line(self.page_no, text, x, y, size, bold=self.bold))
        self.parts, self.pos, self.bold = [], None, False


def _is_bold(font: dict | None) -> bool:
    name = str((font or {}).get("/BaseFont", "")).lower()
    return any(w in name for w in ("bold", "black", "heavy", "semibold"))


def _position(cm: list, tm: list, size: float) -> tuple[float, float, float]:
    a = tm[2] * cm[0] + tm[3] * cm[2]
    d = tm[2] * cm[1] + tm[3] * cm[3]
    x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
    y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
    return round(x, 1), round(y, 1), round(size * (math.hypot(a, d) or 1.0), 1)


def page_lines(path: Path, page: pypdf.PageObject, page_no: int) -> list[Line]:
    collector = _Collector(page_no)
    try:
        page.extract_text(visitor_text=collector.visit)
    except Exception as exc:  # pypdf raises many types on broken content streams
        raise ParseError(path, f"not a readable PDF: text of page {page_no} cannot be decoded ({exc})",
                         where=f"page {page_no}") from None
    collector.flush()
    return collector.lines


# -- numbering ----------------------------------------------------------------------------------

_BARE_NUMBER = re.compile(r"\d{1,5}")


def strip_margin_numbers(lines: list[Line]) -> tuple[list[Line], bool]:
    """Move printed margin numbers onto the line they stand beside; False when the PDF has none."""
    out: list[Line] = []
    paired = content = 0
    for page in _by_page(lines):
        numbered, n = _pair_on_page(page)
        out += numbered
        paired += n
        content += len(numbered)
    # Half of all lines numbered, at least five: a table of figures is not a margin.
    if paired < 5 or paired < 0.5 * content:
        return lines, False
    return out, True


def _pair_on_page(page: list[Line]) -> tuple[list[Line], int]:
    numbers = [line for line in page if _BARE_NUMBER.fullmatch(line.text)]
    numbered, paired = [], 0
    for line in page:
        if line in numbers:
            continue
        tolerance = max(1.5, 0.3 * line.size)
        same_row = [n for n in numbers if abs(n.y - line.y) <= tolerance and n.x < line.x]
        if same_row:
            paired += 1
            numbered.append(replace(line, number=int(same_row[-1].text)))
        else:
            numbered.append(line)
    # Margin numbers beside blank lines pair with nothing; they are dropped with the rest.
    return numbered, paired


def number_by_position(lines: list[Line]) -> list[Line]:
    """Number lines 1.. on each page, counting a running header (printed above the text) first."""
    out: list[Line] = []
    for page in _by_page(lines):
        body_top = max((line.y for line in page if not line.furniture), default=0.0)
        top = [line for line in page if line.furniture and line.y > body_top]
        rest = [line for line in page if line not in top]
        out += [replace(line, number=i) for i, line in enumerate(top + rest, start=1)]
    return out


def _by_page(lines: list[Line]) -> list[list[Line]]:
    pages: dict[int, list[Line]] = defaultdict(list)
    for line in lines:
        pages[line.page].append(line)
    return [pages[p] for p in sorted(pages)]


def flag_furniture(lines: list[Line], n_pages: int) -> list[Line]:
    """Flag running headers and footers: the same text, numbers aside, at a page edge on many pages."""
    if n_pages < 2:
        return lines
    edges = {page[0].page: _edge_lines(page) for page in _by_page(lines)}
    counts = Counter(key for edge in edges.values() for key in {_shape(line.text) for line in edge})
    # Short documents need the line on every page: a closing sentence repeated at the foot of
    # three pages of four is text, not a footer.
    needed = n_pages if n_pages < 5 else 0.4 * n_pages
    repeated = {key for key, n in counts.items() if n >= needed}
    return [replace(line, furniture=True) if line in edges[line.page] and _shape(line.text) in repeated
            else line for line in lines]


def _edge_lines(page: list[Line]) -> list[Line]:
    by_height = sorted(page, key=lambda line: line.y)
    return by_height[:2] + by_height[-2:]


def _shape(text: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"\d+", "#", text)).strip()


# -- clause headings (ISO/IEC drafts) ------------------------------------------------------------

_NUMBERED = re.compile(r"(\d{1,2}(?:\.\d{1,3}){0,6})\.?\s+([^\W\d_].{0,150})")
_ANNEX = re.compile(r"(?:Annex|ANNEX)\s+([A-Z])\b\s*(.*)")
_ANNEX_CLAUSE = re.compile(r"([A-Z])\.(\d{1,3}(?:\.\d{1,3}){0,5})\s+([^\W\d_].{0,150})")
_OBLIGATION = re.compile(r"\((?:normative|informative)\)\s*")
UNNUMBERED = ("Foreword", "Introduction", "Bibliography")


@dataclass(frozen=True, slots=True)
class Heading:
    index: int                  # position of the heading line in the list searched
    address: str                # "c5.2.1", "annex-A", "cA.1", "foreword"
    label: str                  # "5.2.1", "Annex A", "Foreword"
    caption: str = ""
    size: int = 1               # lines the heading takes (an annex title may sit on the next lines)


def find_clauses(lines: list[Line]) -> list[Heading]:
    """Clause headings in document order. A numbered line counts only where it can follow the
    clause before it (5.3 -> 5.4, 5.4 -> 5.4.1 or 6), so sentences that start with a number stay text."""
    found: list[Heading] = []
    nums: tuple[int, ...] = ()
    annex, annex_nums = "", ()
    for i, line in enumerate(lines):
        text = line.text
        if text in UNNUMBERED:
            found.append(Heading(i, text.lower(), text))
        elif (m := _ANNEX.fullmatch(text)) and m[1] == _next_letter(annex):
            annex, annex_nums = m[1], ()
            caption, size = _annex_caption(m[2], lines[i + 1:i + 3])
            found.append(Heading(i, f"annex-{annex}", f"Annex {annex}", caption, size))
        elif annex and (m := _ANNEX_CLAUSE.fullmatch(text)) and m[1] == annex:
            new = tuple(int(n) for n in m[2].split("."))
            if _follows(annex_nums, new):
                annex_nums = new
                found.append(Heading(i, f"c{annex}.{m[2]}", f"{annex}.{m[2]}", m[3].strip()))
        elif not annex and (m := _NUMBERED.fullmatch(text)) and not m[2].rstrip().endswith((".", ",", ";")):
            new = tuple(int(n) for n in m[1].split("."))
            if _follows(nums, new):
                nums = new
                found.append(Heading(i, f"c{m[1]}", m[1], m[2].strip()))
    return _unique(found)


def _follows(prev: tuple[int, ...], new: tuple[int, ...]) -> bool:
    if not prev:
        return new in ((0,), (1,))
    if len(new) == len(prev) + 1:
        return new[:-1] == prev and new[-1] == 1
    k = len(new)
    # Up to two numbers may be skipped: drafts do skip (5.3 -> 5.5), and we must still split there.
    return k <= len(prev) and new[:-1] == prev[:k - 1] and prev[k - 1] < new[-1] <= prev[k - 1] + 3


def _next_letter(annex: str) -> str:
    return chr(ord(annex) + 1) if annex else "A"


def _annex_caption(rest: str, following: list[Line]) -> tuple[str, int]:
    caption = _OBLIGATION.sub("", rest, count=1).strip()
    if caption:
        return caption, 1
    size = 1
    for line in following:    # "Annex A" / "(informative)" / "Title" on three lines
        size += 1
        if not _OBLIGATION.fullmatch(line.text + " "):
            return line.text, size
    return "", 1


def _unique(found: list[Heading]) -> list[Heading]:
    seen: set[str] = set()
    out = []
    for heading in found:
        if heading.address not in seen:
            seen.add(heading.address)
            out.append(heading)
    return out
