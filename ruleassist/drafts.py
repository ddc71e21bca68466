"""Standard drafts (ISO/IEC CD, DIS ...) as a clause tree with numbered lines.

    draft = read_draft(Path("iso-cd-39712-1.pdf"))
    draft.reference, draft.stage                 # "ISO/CD 39712-1", "CD"
    clause = draft.clause("5.2")                 # heading line, body lines, NOTEs, EXAMPLEs, tables
    for s in clause.sentences(): s.line, s.kind, s.text

PDF lines and clause headings come from readers/pdflines.py (printed margin numbers where the
draft has them, else positions on the page); DOCX and text lines from readers/draftlines.py.
Bad input raises ParseError saying what to do: a scanned or password-protected PDF, a file in
which no clause numbering ("1 Scope", "5.2 Title") can be found.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from ruleassist.errors import ParseError
from ruleassist.readers.draftlines import docx_lines, text_lines
from ruleassist.readers.pdf import ISO_DRAFT, _check_text_layer
from ruleassist.readers.pdflines import Heading, Line, find_clauses, read_layout

STAGE = re.compile(r"/(PWI|NP|AWI|WD|CD|CDV|DIS|FDIS|PRF|DTS|DTR|DPAS)\b")
STAGE_WORDS = {"Committee Draft": "CD", "Working Draft": "WD", "Draft International Standard": "DIS"}
ANY_REF = re.compile(r"\b(?:ISO|IEC)(?:/(?:IEC|ISO))?(?:/(?!TC|SC|WG|JTC)[A-Z]{2,4})?\s+\d{3,6}(?:-\d+)*")
DATE = re.compile(r"\bDate:?\s*(\d{4}-\d{2}-\d{2})\b")
BLOCK_START = {
    "note": re.compile(r"NOTE(?:\s+\d+)?(?:\s+to entry)?(?:\s|:|$)"),
    "example": re.compile(r"EXAMPLE(?:\s+\d+)?(?:\s|:|$)"),
    "table": re.compile(r"Table\s+(?:\d+|[A-Z]\.\d+)\s*(?:[—–-]|$)"),
    "figure": re.compile(r"Figure\s+(?:\d+|[A-Z]\.\d+)\s*(?:[—–-]|$)"),
}
SENTENCE_END = re.compile(r"(?<=[.;!?])\s+(?=[A-Z(\"“‘])")
INFORMATIVE_CLAUSES = ("Foreword", "Introduction", "Bibliography")


@dataclass(frozen=True, slots=True)
class DraftLine:
    number: int          # printed margin number; else position (page line, DOCX paragraph, file line); 0: unnumbered
    page: int
    text: str
    bold: bool = False


@dataclass(frozen=True, slots=True)
class Block:
    """A NOTE, an EXAMPLE, a table or a figure caption inside a clause."""
    kind: str            # note / example / table / figure
    label: str           # "NOTE 2", "EXAMPLE", "Table 1"
    lines: tuple[DraftLine, ...]

    @property
    def text(self) -> str:
        return join_lines(self.lines)


@dataclass(frozen=True, slots=True)
class Sentence:
    text: str
    line: int            # the line it starts on
    last: int            # the line it ends on
    kind: str            # text / note / example / table / figure
    clause: str          # clause label
    label: str = ""      # the block's label ("NOTE 1") for notes, examples, tables, figures

    def line_of(self, offset: int) -> int:
        """The line on which character `offset` of the text stands (approximate for joined lines)."""
        if self.last == self.line or not self.text:
            return self.line
        return self.line + round((self.last - self.line) * offset / len(self.text))


@dataclass(frozen=True)
class Clause:
    label: str           # "5.2", "Annex A", "A.1", "Foreword"
    title: str
    line: int            # the heading's line number
    lines: tuple[DraftLine, ...]   # body, heading excluded
    blocks: tuple[Block, ...] = ()
    informative: bool = False      # Foreword, Introduction, Bibliography, informative annex and its subclauses

    @property
    def depth(self) -> int:
        return self.label.count(".") + 1

    def sentences(self) -> list[Sentence]:
        """Sentences of the body, each with its line and whether it stands in a NOTE, EXAMPLE ..."""
        out: list[Sentence] = []
        for kind, label, run in self._runs():
            out += split_sentences(run, kind, self.label, label)
        return out

    def _runs(self) -> list[tuple[str, str, tuple[DraftLine, ...]]]:
        in_block = {id(line): b for b in self.blocks for line in b.lines}
        runs, text_run = [], []
        seen: set[int] = set()
        for line in self.lines:
            block = in_block.get(id(line))
            if block is None:
                text_run.append(line)
                continue
            if text_run:
                runs.append(("text", "", tuple(text_run)))
                text_run = []
            if id(block) not in seen:
                seen.add(id(block))
                runs.append((block.kind, block.label, block.lines))
        if text_run:
            runs.append(("text", "", tuple(text_run)))
        return runs


@dataclass(frozen=True)
class Draft:
    reference: str       # "ISO/CD 39712-1" ("" when the draft does not print one)
    stage: str           # "CD", "DIS" ...
    title: str
    date: str
    source: str
    format: str          # pdf / docx / text
    margin_numbers: bool
    preamble: tuple[DraftLine, ...]
    clauses: tuple[Clause, ...]
    lines: tuple[DraftLine, ...] = field(repr=False, default=())   # every body line, in order

    @property
    def name(self) -> str:
        return self.reference or Path(self.source).stem

    def clause(self, label: str) -> Clause | None:
        return next((c for c in self.clauses if c.label == label), None)

    def clause_at(self, line: int) -> Clause | None:
        """The clause whose heading or body holds printed line `line`."""
        found = None
        for c in self.clauses:
            if c.line and c.line <= line:
                found = c
        return found


# -- reading --------------------------------------------------------------------------------------


def read_draft(path: Path | str) -> Draft:
    """A draft from PDF, DOCX or text; raises ParseError with what to do for unusable files."""
    path = Path(path)
    if not path.is_file():
        raise ParseError(path, "no such file; give the path of the draft (PDF, DOCX or text)")
    suffix = path.suffix.lower()
    if suffix == ".pdf":
        layout = read_layout(path)
        body = [line for line in layout.lines if not line.furniture]
        _check_text_layer(path, body)
        # The reference is often printed only in the running header or footer of page 1.
        page1 = [line.text for line in layout.lines if line.page == 1 and line.furniture]
        return build_draft(path, body, "pdf", layout.margin_numbers, layout.metadata_title, page1)
    if suffix == ".docx":
        return build_draft(path, docx_lines(path), "docx", False)
    if suffix in (".doc", ".odt", ".rtf"):
        raise ParseError(path, f"{suffix} drafts are not read; save the draft as DOCX or PDF")
    lines = text_lines(path)
    if not lines:
        raise ParseError(path, "the file is empty; give a draft with numbered clauses")
    return build_draft(path, lines, "text", any(line.number == 0 for line in lines[:10]))


def build_draft(path: Path, body: list[Line], fmt: str, margin: bool, meta_title: str = "",
                furniture: list[str] = ()) -> Draft:
    headings = [h for h in find_clauses(body) if h.label not in ("Foreword", "Introduction") or h.index > 0]
    numbered = [h for h in headings if h.label[0].isdigit()]
    if len(numbered) < 2:
        raise ParseError(path, "no clause numbering found (headings such as '1 Scope', '2 Normative "
                               "references', '5.2 Title'); is this a standard draft? A scanned draft "
                               "needs OCR first (ocrmypdf); a DOCX needs Heading styles or numbers in the text")
    lines = [_draft_line(line) for line in body]
    first = headings[0].index
    preamble = tuple(lines[:first])
    reference, stage, date = _identity([line.text for line in preamble or lines[:15]] + list(furniture))
    title = _title(preamble, reference) or meta_title or path.stem
    annexes = _informative_annexes(headings, body)
    clauses = tuple(_clause(h, lines[h.index:nxt.index if nxt else len(lines)], _informative(h, annexes))
                    for h, nxt in zip(headings, headings[1:] + [None]))
    return Draft(reference, stage, title, date, str(path), fmt, margin, preamble, clauses, tuple(lines))


def _draft_line(line: Line) -> DraftLine:
    return DraftLine(line.number or 0, line.page, line.text, line.bold)


def _identity(lines: list[str]) -> tuple[str, str, str]:
    text = "\n".join(lines)
    m = ISO_DRAFT.search(text) or ANY_REF.search(text)
    reference = re.sub(r"\s+", " ", m[0]) if m else ""
    stage = STAGE.search(reference)
    words = next((code for word, code in STAGE_WORDS.items() if word in text), "")
    date = DATE.search(text)
    return reference, stage[1] if stage else words, date[1] if date else ""


def _title(preamble: tuple[DraftLine, ...], reference: str) -> str:
    parts = []
    for line in preamble:
        if reference and reference in line.text or DATE.search(line.text) or "Committee Draft" in line.text:
            continue
        parts.append(line.text)
    return " ".join(parts[:4])


def _informative(h: Heading, informative_annexes: set[str]) -> bool:
    if h.label in INFORMATIVE_CLAUSES:
        return True
    annex = h.label.split()[-1] if h.label.startswith("Annex") else h.label.split(".")[0]
    return annex in informative_annexes


def _informative_annexes(headings: list[Heading], body: list[Line]) -> set[str]:
    """Letters of the annexes marked '(informative)' on their heading lines."""
    out = set()
    for h in headings:
        if h.label.startswith("Annex"):
            head = " ".join(line.text for line in body[h.index:h.index + h.size])
            if "(informative)" in head.lower():
                out.add(h.label.split()[-1])
    return out


def _clause(h: Heading, lines: list[DraftLine], informative: bool) -> Clause:
    head, body = lines[:h.size], lines[h.size:]
    return Clause(h.label, h.caption, head[0].number, tuple(body), tuple(find_blocks(body)), informative)


def find_blocks(lines: list[DraftLine]) -> list[Block]:
    """NOTEs, EXAMPLEs, table and figure captions: a block runs until a sentence ends at a line end
    and the next line starts a new paragraph (a capital letter or another block)."""
    blocks: list[Block] = []
    current: list[DraftLine] = []
    kind = label = ""
    for line in lines:
        starts = next((k for k, rx in BLOCK_START.items() if rx.match(line.text)), "")
        if current and not starts and continues(current[-1].text, line.text) and kind in ("note", "example"):
            current.append(line)
            continue
        if current:
            blocks.append(Block(kind, label, tuple(current)))
            current = []
        if starts:
            kind, current = starts, [line]
            label = re.match(r"(NOTE(?:\s+\d+)?|EXAMPLE(?:\s+\d+)?|Table\s+\S+|Figure\s+\S+)", line.text)[1]
    if current:
        blocks.append(Block(kind, label, tuple(current)))
    return blocks


def continues(previous: str, line: str) -> bool:
    """Does `line` continue the sentence of `previous` (no full stop before it, or a lower-case start)?"""
    return not previous.rstrip().endswith((".", ":", "!", "?")) or line[:1].islower()


def join_lines(lines) -> str:
    """Lines joined into running text; a word hyphenated at a line end is rejoined."""
    text = ""
    for line in lines:
        piece = line.text.strip()
        if text.endswith("-") and piece[:1].islower():
            text = text[:-1] + piece
        else:
            text = f"{text} {piece}" if text else piece
    return text


def split_sentences(lines: tuple[DraftLine, ...], kind: str, clause: str, label: str = "") -> list[Sentence]:
    """Sentences of a run of lines, each knowing the lines it starts and ends on."""
    text, owner = "", []          # owner[i]: the line number of character i
    for line in lines:
        piece = line.text.strip()
        if text.endswith("-") and piece[:1].islower():
            text, owner = text[:-1], owner[:-1]
        elif text:
            text += " "
            owner.append(line.number)
        text += piece
        owner += [line.number] * len(piece)
    out, start = [], 0
    for m in list(SENTENCE_END.finditer(text)) + [None]:
        end = m.start() if m else len(text)
        chunk = text[start:end].strip()
        if chunk:
            first = start + (len(text[start:end]) - len(text[start:end].lstrip()))
            out.append(Sentence(chunk, owner[first], owner[max(first, end - 1)], kind, clause, label))
        start = m.end() if m else len(text)
    return out
