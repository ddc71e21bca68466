"""ESRS as Markdown: Commission Delegated Regulation (EU) 2023/2772, converted from the OJ PDF.

Citable units: the regulation's recitals and articles; each standard of Annex I ("ESRS E1"),
its Disclosure Requirements ("ESRS E1, Disclosure Requirement E1-6"), numbered paragraphs with
their points ("ESRS E1, paragraph 16(a)") and Application Requirements ("ESRS E1, AR 12");
Annex II (acronyms and glossary) as one annex.
The conversion is noisy: page headers and footnotes sit between lines, "th" is often read as
"p", headings are sometimes paragraphs and paragraph numbers stand alone. So a paragraph is
recognised by its number rising and its words reading like a sentence, never by markup alone.
"""
from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

from ruleassist.errors import ParseError
from ruleassist.readers import Parsed, read_text
from ruleassist.readers import _eu
from ruleassist.readers._eu import Unit, clean

FURNITURE = re.compile(r"^(---+|#?\s*EN|OJ L, \d+\.\d+\.\d{4}|#?\s*Official Journal of the European Union.*"
                       r"|\d{4}/\d+ \d+\.\d+\.\d{4}|.*ELI: http://data\.europa\.eu/eli/.*)$")
FOOTNOTE = re.compile(r"^(\(\s*\)\s|(\(\d+\)\s*|\d{1,3}\s+)?(OJ [LC][\s,]|This information supports)|"
                      r"(\(\d+\)\s*|\d{1,3}\s+)?(Commission |Council )?(Delegated |"
                      r"Implementing )?(Regulation|Directive|Decision|Recommendation)\b[^.]{0,120}\bof "
                      r"(the European Parliament|\d{1,2} [A-Z][a-z]+ \d{4}))")
STANDARD_ROW = re.compile(r"^\|ESRS ([12]|[ESG]\d)\|([^|]+)\|")
DR = re.compile(r"^(?:\d+\.\s+)?(?:Minimum\s+)?Disclosure\s+Requirements?\s+(related\s+to\s+ESRS\s+2\s+)?"
                r"(?:[-–]\s*)?(?:(?:Policies|Actions|Metrics|Targets)\s+)?((?:[A-Z]{2,4}|[ESG]\d)-(?:\d+|[PATM]))"
                r"\b\s*[-–:]?\s*(.*)$", re.I)
PARA = re.compile(r"^(\d{1,3})\.(?:\s+(.*))?$")
AR = re.compile(r"^AR\s+(\d{1,3})\.?(?:\s+(.*))?$")
RESETS = {"OBJECTIVE", "INTERACTION WITH OTHER ESRS", "INTERACTIONS WITH OTHER ESRS", "DISCLOSURE REQUIREMENTS",
          "ESRS 2 GENERAL DISCLOSURES", "GOVERNANCE", "STRATEGY", "IMPACT, RISK AND OPPORTUNITY MANAGEMENT",
          "METRICS AND TARGETS", "APPLICATION REQUIREMENTS", "TABLE OF CONTENTS"}
POINT = re.compile(r"^\(([a-z]{1,2})\)\s*(.*)$")
ROMAN_POINT = re.compile(r"^\(?([ivx]{1,5})[.)]\s+(.*)$")


class EsrsMarkdownReader:
    name = "esrs_markdown"

    def accepts(self, path: Path) -> bool:
        if Path(path).suffix.lower() not in (".md", ".markdown"):
            return False
        try:
            with open(path, "rb") as f:
                head = f.read(16384)
        except OSError:
            return False
        # The standards' own heading, not just a mention: law Markdown and notes may cite ESRS too.
        return re.search(rb"(?im)^#\s*(?:European sustainability reporting standards|ESRS [12]\b)", head) is not None

    def read(self, path: Path) -> Parsed:
        path = Path(path)
        raw = read_text(path)
        lines = _clean_lines(raw.splitlines())
        start = next((i for i, line in enumerate(lines)
                      if re.match(r"^#\s*European sustainability reporting standards", line, re.I)), None)
        if start is None:
            raise ParseError(path, "no '# European sustainability reporting standards (ESRS)' heading; "
                                   "is this the ESRS Markdown (Delegated Regulation (EU) 2023/2772)?")
        doc = _document(path, lines[:start], raw[:2000])
        standards = [m.groups() for line in lines[start:start + 40] if (m := STANDARD_ROW.match(line))]
        starts = _standard_starts(lines, start, standards)
        if len(starts) != len(standards) or not standards:
            found = ", ".join(f"ESRS {c}" for c, _ in standards[:len(starts)])
            raise ParseError(path, f"found the standards table but not every standard's heading (found: {found})")
        annex2 = next((i for i in range(starts[-1], len(lines)) if re.match(r"^#\s*ANNEX II\s*$", lines[i])), len(lines))
        provisions = _front(doc, lines[:start])
        for (code, title), begin, end in zip(standards, starts, [*starts[1:], annex2]):
            provisions += _standard(doc, code, clean(title), lines[begin:end])
        if annex2 < len(lines):
            text = [_bare(line) for line in lines[annex2:]]
            provisions += _eu.annex_provisions(doc, "annex-II", "Annex II", clean(text[1]).capitalize(),
                                               [(False, t) for t in text])
        return Parsed(doc, _eu.merge_duplicates(provisions))


def _clean_lines(raw: list[str]) -> list[str]:
    """Drop page furniture and footnotes, unwrap paragraphs laid out as table rows, undo 'th' -> 'p'."""
    lines = [_untable(line.strip()) for line in raw if line.strip() and not FURNITURE.match(line.strip())]
    lines = [line for line in lines if line and not FOOTNOTE.match(_bare(line))]
    freq = Counter(w.lower() for line in lines for w in re.findall(r"[A-Za-z]+", line))
    return [re.sub(r"\b[A-Za-z]*p[A-Za-z]*\b(?!-)", lambda m: _fix_th(m.group(0), freq), line) for line in lines]


def _untable(line: str) -> str:
    """'|12.|The undertaking shall …|' -> '12. The undertaking shall …'; '| |(a) …|' -> '(a) …'."""
    if re.fullmatch(r"\|?(\s*:?-{3,}:?\s*\|)+\s*", line):
        return ""
    if m := re.fullmatch(r"\|\s*(\d{1,3}\.|AR \d{1,3}\.?)?\s*\|(.*?)\|?\s*(\|\s*)?", line):
        return f"{m.group(1) or ''} {m.group(2)}".strip() if "|" not in m.group(2) else line
    return line


def _fix_th(word: str, freq: Counter) -> str:
    """'pe' -> 'the', 'prough' -> 'through': only where the 'th' spelling is far more common."""
    lower = word.lower()
    repaired = lower.replace("p", "th")
    if freq[repaired] < 3 or freq[repaired] < 3 * freq[lower]:
        return word
    return repaired.capitalize() if word[0].isupper() else repaired


def _bare(line: str) -> str:
    return re.sub(r"^(#+\s*|-\s+)+", "", line).strip()


def _norm(line: str) -> str:
    return re.sub(r"[\s\-–—:]+", " ", _bare(line)).strip().upper()


def _document(path: Path, front: list[str], raw_head: str):
    title = next((_bare(line) for line in front if re.search(r"DELEGATED REGULATION", line, re.I)), "")
    celex = _eu.celex_from_title(title)
    if not celex:
        raise ParseError(path, "no '# COMMISSION DELEGATED REGULATION (EU) YYYY/N' title before the standards")
    # The OJ page header "2023/2772 22.12.2023" gives the publication date.
    date = re.search(r"\b(\d{2})\.(\d{2})\.(\d{4})\b", raw_head)
    return _eu.make_document(celex, title, "esrs_markdown", path,
                             f"{date.group(3)}-{date.group(2)}-{date.group(1)}" if date else "")


def _front(doc, lines: list[str]) -> list:
    """Recitals (after 'Whereas:') and Articles 1 and 2 of the delegated regulation."""
    out, recital, article, whereas = [], None, None, False
    texts: dict[str, list[str]] = {}
    for line in lines:
        bare = _bare(line)
        whereas = whereas or bare == "Whereas:"
        if m := re.match(r"^Article\s+(\d+)$", bare):
            article, recital = m.group(1), None
            texts[f"a{article}"] = []
        elif re.match(r"^(This Regulation shall be binding|Done at|HAS ADOPTED)", bare):
            article = recital = None
        elif (m := PARA.match(bare)) and article is None and whereas:
            recital = m.group(1)
            texts[f"r{recital}"] = [m.group(2) or ""]
        elif article or recital:
            texts[f"a{article}" if article else f"r{recital}"].append(bare)
    for key, parts in texts.items():
        if key.startswith("r"):
            out.append(_eu.recital_provision(doc, key[1:], "\n".join(parts)))
        elif parts:
            units = [Unit("text", text=clean(p)) for p in parts[1:]]
            out += _eu.article_provisions(doc, key[1:], units, clean(parts[0]))
    return out


def _standard_starts(lines: list[str], begin: int, standards: list[tuple[str, str]]) -> list[int]:
    """Each standard starts at its title heading ('# ESRS E1' + '# CLIMATE CHANGE', or one line)."""
    starts, i = [], begin + 1
    for code, title in standards:
        names = {_norm(title), _norm(f"ESRS {code} {title}")}
        while i < len(lines):
            norm = _norm(lines[i]) if lines[i].startswith("#") else ""
            after = [_norm(x) for x in lines[i + 1:i + 4] if x.startswith("#")]
            if norm in names or (norm == f"ESRS {code}" and names & set(after)):
                starts.append(i)
                i += 1
                break
            i += 1
    return starts


def _standard(doc, code: str, title: str, lines: list[str]) -> list:
    """The standard, its Disclosure Requirements, paragraphs (with points) and ARs."""
    std, head = f"esrs-{code}", f"ESRS {code}"
    text = clean("\n".join(_bare(line) for line in lines))
    out = [_eu.provision(doc, std, head, text, "section", title, (head,))]
    units, drs = _units(lines)
    seen: set[str] = set()
    for kind, number, dr, body in units:
        addr = f"{std}/{'p' if kind == 'paragraph' else 'ar-'}{number}"
        label = f"paragraph {number}" if kind == "paragraph" else f"AR {number}"
        path = (head, *([drs[dr][0]] if dr else []), label)
        unit = _points(kind, number, body)
        out.append(_eu.provision(doc, addr, f"{head}, {label}", _eu.flatten(unit), "paragraph", path=path))
        out += _eu.unit_provisions(doc, unit.children, addr, f"{head}, {label}", path, 1, seen)
    for dr, (name, caption, parts) in drs.items():
        if parts:
            out.append(_eu.provision(doc, f"{std}/dr-{dr}", f"{head}, {name}", clean("\n".join(parts)),
                                     "section", caption, (head, name)))
    return out


def _units(lines: list[str]) -> tuple[list, dict]:
    """(kind, number, dr, lines) per paragraph or AR, and {dr code: (name, title, text lines)}.
    A Disclosure Requirement's text is everything under its heading before Appendix A's ARs begin."""
    units: list = []
    drs: dict[str, tuple[str, str, list[str]]] = {}
    dr, current, last = None, None, {"paragraph": 0, "ar": 0}
    for i, line in enumerate(lines):
        bare, table = _bare(line), line.startswith("|")
        if not table and (m := DR.match(bare)):
            dr, current = m.group(2).upper(), None
            name = f"Disclosure Requirement {'related to ESRS 2 ' if m.group(1) else ''}{dr}"
            drs.setdefault(dr, (name, clean(m.group(3)), []))
        elif not table and (_norm(line) in RESETS or _norm(line).startswith("APPENDIX")):
            dr, current = None, None
        elif not table and (start := _unit_start(line, lines[i + 1:i + 2], last)):
            kind, number, first = start
            last[kind] = number
            current = (kind, number, dr, [first] if first else [])
            units.append(current)
        elif current:
            current[3].append(bare)
        if dr and not last["ar"] and not DR.match(bare):
            drs[dr][2].append(bare)
    return units, drs


def _unit_start(line: str, following: list[str], last: dict) -> tuple[str, int, str] | None:
    """A paragraph or AR whose number rises and whose words open a sentence (not a contents line)."""
    bare = _bare(line)
    m, kind = AR.match(bare), "ar"
    if not m:
        m, kind = PARA.match(bare), "paragraph"
    if not m or not last[kind] < int(m.group(1)) <= last[kind] + 50:
        return None
    words, nxt = (m.group(2) or "").strip(), _bare(following[0]) if following else ""
    opens = not words or re.match(r"^[A-Z0-9‘“\"'(]", words)
    # A heading such as "# 92. When assessing the possible outcomes" is a paragraph cut in two;
    # early on, numbered lines without a full stop are a table of contents.
    ends = not words or re.search(r"[.:;?!)]$", words) or re.match(r"^[a-z(]", nxt) or \
        (line.startswith("#") and last[kind] >= 10)
    return (kind, int(m.group(1)), words) if opens and ends else None


def _points(kind: str, number: int, lines: list[str]) -> Unit:
    """A paragraph's lines as a unit with (a) points and (i) sub-points; other lines stay text."""
    first = clean(lines[0]) if lines else ""
    unit = Unit("paragraph", str(number), first) if kind == "paragraph" else Unit("text", "", f"AR {number}. {first}")
    letter = None
    for line in lines[1:]:
        m = POINT.match(line) or ROMAN_POINT.match(line)
        label = m.group(1) if m else ""
        next_letter = letter is not None and len(label) == 1 and ord(label) == ord(letter.label[-1]) + 1
        if m and letter is not None and _eu.ROMAN.fullmatch(label) and not next_letter:
            letter.children.append(Unit("point", label, clean(m.group(2))))
        elif m and m.re is POINT:
            letter = Unit("point", label, clean(m.group(2)))
            unit.children.append(letter)
        else:
            unit.children.append(Unit("text", text=clean(line)))
            letter = None
    return unit
