"""The ISO/IEC commenting template: rows, ids, checks, DOCX / XLSX / CSV export and import.

    sheet = CommentSheet(document="ISO/CD 39712-1", project="ISO 39712-1", comments=rows)
    sheet = number_comments(sheet)                    # JP-001, JP-002 ... by clause, then line
    write_docx(sheet, Path("comments.docx"))          # one 8-column table, no merged cells
    theirs = read_sheet(Path("expert.docx"))          # an expert's own sheet in the same template
    merged = merge(sheet, theirs)                     # their rows kept, drafted duplicates dropped

The eight columns are those of the ISO/IEC form, in its order. The IEC upload checker rejects
merged cells, embedded objects and extra tables, so the DOCX holds exactly one table; the
header fields (Date, Document, Project) are paragraphs above it. A comment's id leads its
Comments cell ("JP-001: ..."), as the form has no id column.
"""
from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass, field, replace
from datetime import date as Date
from pathlib import Path

from ruleassist.errors import ParseError
from ruleassist.reports.export import atomic_path, write_csv, write_xlsx

COLUMNS = ("MB/NC", "Line number", "Clause/Subclause", "Paragraph/Figure/Table", "Type of comment",
           "Comments", "Proposed change", "Observations of the secretariat")
TYPES = ("ge", "te", "ed")
ID = re.compile(r"^([A-Z]{2})-(\d{3,4}):\s*")
# What python-docx and openpyxl raise on a file that is not what its name says.
BAD_FILE = (zipfile.BadZipFile, KeyError, ValueError, OSError, TypeError, SyntaxError)
CLAUSE = re.compile(r"General|\d{1,2}(?:\.\d{1,3})*|[A-Z](?:\.\d{1,3})+|Annex [A-Z]|Foreword|Introduction|Bibliography")


@dataclass(frozen=True)
class Comment:
    line: int | None            # printed line number; None for a general comment
    clause: str                 # "5.2", "A.1", "Annex A" or "General"
    paragraph: str              # "NOTE", "Table 1", "" ...
    type: str                   # ge / te / ed
    comment: str
    proposed: str
    mb: str = "JP"
    observations: str = ""      # the secretariat's column: always left empty by us
    id: str = ""                # "JP-001" once numbered
    origin: str = "drafted"     # editorial / technical / imported
    rule: str = ""              # the drafting rule or check that produced it
    citations: tuple[str, ...] = ()   # provisions cited by a technical comment
    accepted: bool = True

    def row(self) -> dict:
        """The template row: the eight columns, id leading the Comments cell."""
        text = f"{self.id}: {self.comment}" if self.id else self.comment
        return dict(zip(COLUMNS, (self.mb, "" if self.line is None else str(self.line), self.clause,
                                  self.paragraph, self.type, text, self.proposed, self.observations)))


@dataclass(frozen=True)
class CommentSheet:
    document: str               # "ISO/CD 39712-1"
    project: str = ""           # "ISO 39712-1"
    date: str = field(default_factory=lambda: Date.today().isoformat())
    comments: tuple[Comment, ...] = ()

    def header_lines(self) -> list[str]:
        return [f"Date: {self.date}", f"Document: {self.document}", f"Project: {self.project}"]


def project_of(reference: str) -> str:
    """'ISO/CD 39712-1' -> 'ISO 39712-1': the project a stage reference belongs to."""
    return re.sub(r"/(?:PWI|NP|AWI|WD|CD|CDV|DIS|FDIS|PRF|DTS|DTR|DPAS)\b", "", reference)


# -- order, ids, checks ---------------------------------------------------------------------------


def clause_key(clause: str) -> tuple:
    """General first, then 1, 2, ... 10, then annexes A, A.1, B ..."""
    if clause in ("General", ""):
        return (0,)
    if clause in ("Foreword", "Introduction"):
        return (1, clause)
    if clause[0].isdigit():
        return (2,) + tuple(int(n) for n in re.findall(r"\d+", clause))
    letter = clause.split()[-1][0] if clause.startswith("Annex") else clause[0]
    return (3, letter) + tuple(int(n) for n in re.findall(r"\d+", clause))


def number_comments(sheet: CommentSheet) -> CommentSheet:
    """Sort by clause, then line, and give ids MB-001, MB-002 ... (accepted rows only)."""
    rows = sorted((c for c in sheet.comments if c.accepted),
                  key=lambda c: (clause_key(c.clause), c.line or 0, c.type))
    numbered = tuple(replace(c, id=f"{c.mb}-{i:03d}") for i, c in enumerate(rows, start=1))
    return replace(sheet, comments=numbered)


def row_problems(c: Comment) -> list[str]:
    """What makes a row fail the template checks ([] = a valid row)."""
    problems = []
    if not re.fullmatch(r"[A-Z]{2}", c.mb):
        problems.append(f"MB/NC {c.mb!r} is not a two-letter code")
    if c.line is not None and (not isinstance(c.line, int) or c.line < 0):
        problems.append(f"line number {c.line!r} is not a number")
    if not CLAUSE.fullmatch(c.clause or ""):
        problems.append(f"clause {c.clause!r} is not a clause number or 'General'")
    if c.type not in TYPES:
        problems.append(f"type {c.type!r} is not one of ge/te/ed")
    if not c.comment.strip():
        problems.append("empty comment")
    if c.type in ("te", "ed") and not c.proposed.strip():
        problems.append("no proposed change")
    if c.observations:
        problems.append("the secretariat's column is not empty")
    return problems


# -- export ---------------------------------------------------------------------------------------


def write_sheet(sheet: CommentSheet, path: Path) -> Path:
    """DOCX, XLSX or CSV by the file's suffix; written atomically."""
    suffix = Path(path).suffix.lower()
    writers = {".docx": write_docx, ".xlsx": write_xlsx_sheet, ".csv": write_csv_sheet}
    if suffix not in writers:
        raise ParseError(path, "unknown output format; use .docx, .xlsx or .csv")
    return writers[suffix](sheet, path)


def write_csv_sheet(sheet: CommentSheet, path: Path) -> Path:
    return write_csv(path, [c.row() for c in sheet.comments], COLUMNS)


def write_xlsx_sheet(sheet: CommentSheet, path: Path) -> Path:
    return write_xlsx(path, {"Comments": ([c.row() for c in sheet.comments], COLUMNS)}, sheet.header_lines())


def write_docx(sheet: CommentSheet, path: Path) -> Path:
    import docx
    from docx.enum.section import WD_ORIENT
    from docx.shared import Cm, Pt

    document = docx.Document()
    section = document.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE       # the form is landscape: eight columns need the width
    section.page_width, section.page_height = Cm(29.7), Cm(21.0)
    for margin in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, margin, Cm(1.5))
    for line in sheet.header_lines():
        document.add_paragraph(line)
    table = document.add_table(rows=1, cols=len(COLUMNS))
    table.style = "Table Grid"
    for cell, name in zip(table.rows[0].cells, COLUMNS):
        cell.text = name
        for run in cell.paragraphs[0].runs:
            run.bold = True
    for c in sheet.comments:
        cells = table.add_row().cells
        for cell, value in zip(cells, c.row().values()):
            cell.text = value
    widths = (1.3, 1.4, 1.8, 2.2, 1.4, 8.5, 7.5, 2.6)
    for row in table.rows:
        for cell, width in zip(row.cells, widths):
            cell.width = Cm(width)
            for para in cell.paragraphs:
                for run in para.runs:
                    run.font.size = Pt(9)
    with atomic_path(path) as tmp:
        document.save(str(tmp))
    return Path(path)


def docx_problems(path: Path) -> list[str]:
    """What the IEC upload checker would reject in a written DOCX ([] = it passes)."""
    import docx
    document = docx.Document(str(path))
    problems = []
    if len(document.tables) != 1:
        problems.append(f"{len(document.tables)} tables (exactly one is allowed)")
    for table in document.tables:
        xml = table._tbl.xml
        if "w:gridSpan" in xml or "w:vMerge" in xml or "w:hMerge" in xml:
            problems.append("merged cells")
        if any(len(row.cells) != len(COLUMNS) for row in table.rows):
            problems.append(f"a row without exactly {len(COLUMNS)} cells")
        if tuple(c.text for c in table.rows[0].cells) != COLUMNS:
            problems.append("the header row is not the template's eight columns in order")
    body = document.element.body.xml
    if any(tag in body for tag in ("<w:object", "<w:drawing", "<w:pict", "<o:OLEObject")):
        problems.append("embedded objects")
    return problems


# -- import ---------------------------------------------------------------------------------------


def _norm_header(text: str) -> str:
    # Header cells carry footnote marks ("MB/NC¹", "Type of comment2") and line breaks.
    return re.sub(r"[\d¹²³⁴⁵\s*]+$", "", " ".join(str(text or "").split())).lower()


def _header_index(cells: list[str]) -> dict[str, int] | None:
    wanted = {_norm_header(c): c for c in COLUMNS}
    found = {}
    for i, cell in enumerate(cells):
        key = _norm_header(cell)
        if key in wanted and wanted[key] not in found:
            found[wanted[key]] = i
    return found if len(found) >= 6 and "Comments" in found else None


def read_sheet(path: Path) -> CommentSheet:
    """Rows of an ISO/IEC comment sheet (DOCX or XLSX); ParseError when it is not one."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".docx":
        header, rows = _docx_rows(path)
    elif suffix in (".xlsx", ".xlsm"):
        header, rows = _xlsx_rows(path)
    else:
        raise ParseError(path, "comment sheets are read from .docx or .xlsx files in the ISO/IEC template")
    fields = {k.lower(): v for k, v in (re.match(r"\s*(Date|Document|Project)\s*:\s*(.*)", h).groups()
                                        for h in header if re.match(r"\s*(Date|Document|Project)\s*:", h))}
    comments = tuple(c for c in (_comment(r) for r in rows) if c is not None)
    return CommentSheet(fields.get("document", ""), fields.get("project", ""),
                        fields.get("date", Date.today().isoformat()), comments)


def _not_template(path: Path) -> ParseError:
    return ParseError(path, "not an ISO/IEC comment sheet: no table with the columns "
                            + ", ".join(COLUMNS) + "; use the ISO/IEC commenting template (Form 13)")


def _docx_rows(path: Path) -> tuple[list[str], list[dict]]:
    import docx
    from docx.opc.exceptions import PackageNotFoundError
    try:
        document = docx.Document(str(path))
    except (*BAD_FILE, PackageNotFoundError) as exc:
        raise ParseError(path, f"not a readable DOCX ({type(exc).__name__}); re-save it from Word") from None
    header = [p.text for p in document.paragraphs]
    for table in document.tables:
        grid = [[cell.text for cell in row.cells] for row in table.rows]
        for at, cells in enumerate(grid[:3]):
            if index := _header_index(cells):
                return header, [{k: r[i] if i < len(r) else "" for k, i in index.items()} for r in grid[at + 1:]]
    raise _not_template(path)


def _xlsx_rows(path: Path) -> tuple[list[str], list[dict]]:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException
    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except (*BAD_FILE, InvalidFileException) as exc:
        raise ParseError(path, f"not a readable XLSX ({type(exc).__name__}); re-save it from Excel") from None
    for ws in wb.worksheets:
        grid = [["" if v is None else str(v) for v in row] for row in ws.iter_rows(values_only=True)]
        for at, cells in enumerate(grid[:15]):
            if index := _header_index(cells):
                header = [" ".join(c for c in r if c) for r in grid[:at]]
                return header, [{k: r[i] if i < len(r) else "" for k, i in index.items()} for r in grid[at + 1:]]
    raise _not_template(path)


def _comment(row: dict) -> Comment | None:
    text = (row.get("Comments") or "").strip()
    if not text and not (row.get("Proposed change") or "").strip():
        return None
    m = ID.match(text)
    line = re.search(r"\d+", row.get("Line number") or "")
    return Comment(line=int(line[0]) if line else None, clause=(row.get("Clause/Subclause") or "General").strip(),
                   paragraph=(row.get("Paragraph/Figure/Table") or "").strip(),
                   type=(row.get("Type of comment") or "").strip().lower(), comment=text[m.end():] if m else text,
                   proposed=(row.get("Proposed change") or "").strip(), mb=(row.get("MB/NC") or "").strip(),
                   observations=(row.get("Observations of the secretariat") or "").strip(),
                   id=f"{m[1]}-{m[2]}" if m else "", origin="imported")


# -- merge ----------------------------------------------------------------------------------------


def _words(text: str) -> set[str]:
    return set(re.findall(r"[a-z0-9]{3,}|[\u3040-\u9fff]", text.lower()))


def is_duplicate(a: Comment, b: Comment) -> bool:
    """Same place and much the same words (an expert's edit of a drafted comment counts)."""
    if a.clause != b.clause or (a.line or 0) != (b.line or 0):
        return False
    wa, wb = _words(a.comment + " " + a.proposed), _words(b.comment + " " + b.proposed)
    return bool(wa and wb) and len(wa & wb) / len(wa | wb) >= 0.5


def merge(drafted: CommentSheet, theirs: CommentSheet) -> CommentSheet:
    """Their rows, plus the drafted rows that none of theirs duplicates; renumbered."""
    kept = list(theirs.comments)
    for c in drafted.comments:
        if not any(is_duplicate(c, t) for t in kept):
            kept.append(c)
    mb = drafted.comments[0].mb if drafted.comments else "JP"
    kept = [replace(c, mb=c.mb or mb) for c in kept]
    return number_comments(replace(drafted, comments=tuple(kept)))
