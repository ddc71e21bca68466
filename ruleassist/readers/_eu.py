"""Shared pieces of the EU readers: CELEX -> document facts, and article units -> provisions.

Each EU format (Formex XML, EUR-Lex XHTML, JSON, ESRS Markdown) first turns an article into a
small tree of `Unit`s (numbered paragraphs, lettered points, plain subparagraph text).
`article_provisions` then makes the article, paragraph and point provisions from that tree, so
every format gives the same addresses ("a35/p2/pt-a") and headings ("Article 35(2)(a)").
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from pathlib import Path

from ruleassist.records import Document, Provision

EURLEX_URL = "https://eur-lex.europa.eu/legal-content/EN/TXT/?uri=CELEX:{}"
TITLE_CELEX = re.compile(r"(REGULATION|DIRECTIVE|DECISION)\s+\((?:EU|EC|EEC)\)\s+(?:No\s+)?(\d{4})/(\d+)", re.I)
SUBTYPE = re.compile(r"\b(delegated|implementing)\s+(?:regulation|directive|decision)\s+\((?:EU|EC)\)\s+"
                     r"(?:No\s+)?(\d+)/(\d+)", re.I)
CELEX_RE = re.compile(r"^([0-9CE])(\d{4})([A-Z]{1,2})(\d{4})")
# Names people actually use for the acts in the corpora; the JSON files add their own ids.
KNOWN_NAMES = {
    "32023R0956": ("CBAM", "Carbon Border Adjustment Mechanism Regulation"),
    "32024L1760": ("CSDDD", "CS3D", "Corporate Sustainability Due Diligence Directive"),
    "32022L2464": ("CSRD", "Corporate Sustainability Reporting Directive"),
    "32020R0852": ("Taxonomy Regulation", "EU Taxonomy Regulation"),
    "32023R1542": ("Batteries Regulation", "EU Batteries Regulation"),
    "32024R1781": ("ESPR", "Ecodesign Regulation", "Ecodesign for Sustainable Products Regulation"),
    "32024R1689": ("AI Act", "Artificial Intelligence Act"),
    "32023R1115": ("EUDR", "EU Deforestation Regulation"),
    "32019R2088": ("SFDR", "Sustainable Finance Disclosure Regulation"),
    "32024L2853": ("PLD", "Product Liability Directive"),
    "32021R1119": ("European Climate Law",),
    "32019R2144": ("General Safety Regulation", "GSR"),
    "32021R2139": ("Climate Delegated Act", "Taxonomy Climate Delegated Act"),
    "32021R2178": ("Disclosures Delegated Act", "Taxonomy Disclosures Delegated Act"),
    "32022R1214": ("Complementary Climate Delegated Act",),
    "32023R2486": ("Environmental Delegated Act", "Taxonomy Environmental Delegated Act"),
    "32022R1288": ("SFDR Delegated Regulation", "SFDR RTS"),
    "32024L0825": ("Empowering Consumers Directive",),
    "32025L0794": ("Stop-the-clock Directive",),
    "32023R2772": ("ESRS", "European Sustainability Reporting Standards"),
    "32013L0034": ("Accounting Directive",),
    "42021X0387": ("UN R155",),
    "42021X0388": ("UN R156",),
}
ORDINALS = ("first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth")
MARKERS = re.compile(r"[▼►]\s*[A-Z]\d*\b|[◄▼►]")   # consolidation markers such as "►M1 … ◄"
ROMAN = re.compile(r"(?=[ivx])x{0,3}(ix|iv|v?i{0,3})")
POINT_LABEL = re.compile(r"\(?\s*([a-z]{1,3}|[ivx]+|\d{1,3}[a-z]{0,2})\s*[).]?", re.I)


# --- documents ---------------------------------------------------------------------------

def base_celex(raw: str) -> str:
    """'02023R1542-20250731' (a consolidation) -> '32023R1542'; other CELEX numbers upper-cased."""
    raw = raw.strip().upper()
    if not (m := CELEX_RE.match(raw)):
        return raw
    return "3" + m.group(0)[1:] if raw.startswith("0") else m.group(0)


def act_title(celex: str, title_text: str = "") -> str:
    """The formal short citation: 'Regulation (EU) 2023/956', 'Directive 2013/34/EU'."""
    m = CELEX_RE.match(celex)
    noun = {"R": "Regulation", "L": "Directive", "D": "Decision"}.get(m.group(3)) if m else None
    if not m or m.group(1) != "3" or noun is None:
        # Other sectors (UN/ECE regulations, treaties): the title's own first part is the citation.
        return re.split(r"\s+[-–—]\s+|\s+of\s+\d", title_text.strip())[0] or celex
    year, num = int(m.group(2)), int(m.group(4))
    noun = f"{sub} {noun}" if (sub := subtype(celex, title_text)) else noun
    if year >= 2015:
        return f"{noun} (EU) {year}/{num}"
    union = "EU" if year >= 2010 else "EC" if year >= 1993 else "EEC"
    if noun.endswith("Regulation"):
        return f"{noun} ({union}) No {num}/{year}"
    return f"{noun} {year}/{num}/{union}"


def celex_from_title(text: str) -> str:
    """'REGULATION (EU) 2023/1542 OF …' -> '32023R1542', for files that arrive without metadata."""
    m = TITLE_CELEX.search(text)
    if not m:
        return ""
    kind = {"regulation": "R", "directive": "L", "decision": "D"}[m.group(1).lower()]
    return f"3{m.group(2)}{kind}{int(m.group(3)):04d}"


def subtype(celex: str, title_text: str) -> str:
    """'Delegated' or 'Implementing' when the title says so of this act (not of one it amends)."""
    m = CELEX_RE.match(celex)
    for found in SUBTYPE.finditer(title_text):
        if m and {int(found.group(2)), int(found.group(3))} == {int(m.group(2)), int(m.group(4))}:
            return found.group(1).capitalize()
    lead = re.match(r"\s*(?:commission\s+|council\s+)?(delegated|implementing)\b", title_text, re.I)
    return lead.group(1).capitalize() if lead else ""


def act_kind(celex: str, title_text: str = "") -> str:
    if subtype(celex, title_text) == "Delegated":
        return "delegated_act"
    m = CELEX_RE.match(celex)
    if m and m.group(1) == "3":
        return {"R": "regulation", "L": "directive"}.get(m.group(3), "other")
    return "other"


def make_document(celex: str, title_text: str, fmt: str, path: Path, version: str = "",
                  extra_names: tuple[str, ...] = ()) -> Document:
    celex = base_celex(celex)
    names = tuple(dict.fromkeys(n for n in (*extra_names, *KNOWN_NAMES.get(celex, ())) if n))
    return Document(doc_id=f"eu:{celex}", title=act_title(celex, title_text), jurisdiction="EU",
                    kind=act_kind(celex, title_text), version=version, lang="en", format=fmt,
                    source=str(path), official_url=EURLEX_URL.format(celex), short_names=names)


def provision(doc: Document, address: str, heading: str, text: str, level: str,
              caption: str = "", path: tuple[str, ...] = ()) -> Provision:
    return Provision(doc_id=doc.doc_id, address=address, heading=heading, text=text, level=level,
                     title=doc.title, jurisdiction=doc.jurisdiction, kind=doc.kind,
                     version=doc.version, caption=caption, path=tuple(path), lang=doc.lang,
                     source=doc.source)


def clean(text: str) -> str:
    """One space between words, one line per block, no consolidation markers."""
    text = MARKERS.sub("", text.replace("\xa0", " ").replace("\u200b", ""))
    lines = (re.sub(r"[ \t\r\f\v]+", " ", line).strip() for line in text.split("\n"))
    return "\n".join(line for line in lines if line)


def title_case_word(title: str) -> str:
    """'CHAPTER V' -> 'Chapter V', so paths read the same whatever the source's typography."""
    title = clean(title).strip("‘’'\"")
    return re.sub(r"^(CHAPTER|SECTION|TITLE|PART|SUBSECTION)\b", lambda m: m.group(1).capitalize(), title)


# --- articles ----------------------------------------------------------------------------

@dataclass
class Unit:
    kind: str                   # "paragraph" / "point" / "text"
    label: str = ""             # "2", "3a" / "a", "ii", "1" / ""
    text: str = ""              # its own words, without its children
    children: list[Unit] = field(default_factory=list)


def point_label(raw: str) -> str:
    """'(a)' -> 'a', '(ii)' -> 'ii', '1.' -> '1'; '' for dashes and bullets, which are not citable."""
    m = POINT_LABEL.fullmatch(clean(raw))
    return m.group(1) if m else ""


def new_unit(kind: str, label: str, units: list[Unit]) -> Unit:
    """A paragraph or point whose first text unit becomes its own words."""
    if units and units[0].kind == "text":
        return Unit(kind, label, units[0].text, units[1:])
    return Unit(kind, label, "", units)


def flatten(unit: Unit) -> str:
    mark = f"{unit.label}. " if unit.kind == "paragraph" else f"({unit.label}) " if unit.kind == "point" else ""
    lines = [f"{mark}{unit.text}".strip()] + [flatten(c) for c in unit.children]
    return "\n".join(line for line in lines if line)


def attach_orphans(units: list[Unit]) -> list[Unit]:
    """Text and points that follow a numbered paragraph belong to it (consolidated XHTML and JSON
    put a paragraph's later subparagraphs next to it rather than inside it)."""
    out: list[Unit] = []
    for unit in units:
        if unit.kind != "paragraph" and out and out[-1].kind == "paragraph":
            out[-1].children.append(unit)
        else:
            out.append(unit)
    return out


def article_provisions(doc: Document, number: str, units: list[Unit], caption: str = "",
                       path: tuple[str, ...] = (), word: str = "Article") -> list[Provision]:
    head = f"{word} {number}"
    units = attach_orphans(units)
    text = "\n".join(flatten(u) for u in units)
    out = [provision(doc, f"a{number}", head, text, "article", caption, (*path, head))]
    out += unit_provisions(doc, units, f"a{number}", head, (*path, head), 0, set())
    return out


def unit_provisions(doc: Document, units: list[Unit], addr: str, head: str,
                    path: tuple[str, ...], subpara: int, seen: set[str]) -> list[Provision]:
    """Provisions for the paragraphs and points under `addr`; `seen` keeps addresses unique."""
    out: list[Provision] = []
    for unit in units:
        if unit.kind == "text":
            subpara += 1
            continue
        a, h, p = _place(unit, addr, head, path, subpara, seen)
        if a in seen:     # a repeated number in the source: its text stays in the parent
            continue
        seen.add(a)
        out.append(provision(doc, a, h, flatten(unit), unit.kind, path=p))
        out += unit_provisions(doc, unit.children, a, h, p, 1 if unit.text else 0, seen)
    return out


def _place(unit: Unit, addr: str, head: str, path: tuple[str, ...], subpara: int,
           seen: set[str]) -> tuple[str, str, tuple[str, ...]]:
    if unit.kind == "paragraph":
        # UN/ECE style "6.3.1" numbers are complete references by themselves.
        h = f"Paragraph {unit.label}" if "." in unit.label else f"{head}({unit.label})"
        return f"{addr}/p{unit.label}", h, (*path, f"paragraph {unit.label}")
    a, h = f"{addr}/pt-{unit.label}", f"{head}({unit.label})"
    if a in seen:   # a second list in a later subparagraph starts again at (a)
        n = max(subpara, 1)
        word = ORDINALS[n - 1] if n <= len(ORDINALS) else f"{n}th"
        a, h = f"{addr}/sp{n}/pt-{unit.label}", f"{head}, {word} subparagraph, point ({unit.label})"
    return a, h, (*path, f"point ({unit.label})")


def recital_provision(doc: Document, number: str, text: str) -> Provision:
    return provision(doc, f"r{number}", f"Recital {number}", clean(text), "recital",
                     path=(f"Recital {number}",))


# --- annexes -----------------------------------------------------------------------------

SECTION_WORD = re.compile(r"^[‘'“\"]?((?i:part|section|chapter|title))\s+([0-9]+[a-z]?|[A-Z]{1,2}|[IVXL]+)\b")
SECTION_NUM = re.compile(r"^[‘'“\"]?([0-9]{1,2}(?:\.[0-9]{1,2})*)\.?(?:\s|$)")
SECTION_LETTER = re.compile(r"^[‘'“\"]?([A-Z])(?:\.\s|\s+(?=[A-Z]{2,}\b))")


def annex_label(title: str) -> str:
    """'ANNEX IV' -> 'IV', 'Annex 1' -> '1', 'ANNEX' -> '' (an act with a single annex)."""
    m = re.match(r"\s*[‘']?annex\s*([IVXLC]+|\d+|[A-Z])?\b", clean(title), re.I)
    return (m.group(1) or "") if m else ""


def annex_place(label: str) -> tuple[str, str]:
    return (f"annex-{label}", f"Annex {label}") if label else ("annex", "Annex")


def section_key(heading: str) -> tuple[str, str, int] | None:
    """('Part', 'A', 1) for 'PART A', ('point', '4.26', 2) for '4.26. Nuclear'; None if unnumbered."""
    heading = clean(heading)
    if m := SECTION_WORD.match(heading):
        return m.group(1).capitalize(), m.group(2), 1
    if m := SECTION_NUM.match(heading):
        return "point", m.group(1), m.group(1).count(".") + 1
    if m := SECTION_LETTER.match(heading):
        return "point", m.group(1), 0
    return None


def annex_provisions(doc: Document, address: str, heading: str, caption: str,
                     blocks: list[tuple[bool, str]]) -> list[Provision]:
    """One annex provision plus one per top-level numbered part; blocks are (is_heading, text)."""
    text = clean("\n".join(t for _, t in blocks))
    out = [provision(doc, address, heading, text, "annex", caption, (heading,))]
    top, current = None, None
    sections: dict[str, list[str]] = {}
    for is_heading, block in blocks:
        key = section_key(block) if is_heading else None
        if key and (top is None or key[0::2] == top):
            top, current = key[0::2], f"{key[0]}\t{key[1]}"
            sections.setdefault(current, [])
        if current:
            sections[current].append(block)
    for name, parts in sections.items():
        word, label = name.split("\t")
        out.append(provision(doc, f"{address}/s-{label}", f"{heading}, {word} {label}",
                             clean("\n".join(parts)), "annex", clean(parts[0]).replace("\n", " "),
                             (heading, f"{word} {label}")))
    return out


def merge_duplicates(provisions: list[Provision]) -> list[Provision]:
    """Keep addresses unique: a repeated address (a source quirk) adds its text to the first,
    unless it only repeats it (the JSON files list their last recital twice)."""
    by_address: dict[str, Provision] = {}
    for prov in provisions:
        if prov.address in by_address:
            first = by_address[prov.address]
            if prov.text not in first.text:
                by_address[prov.address] = replace(first, text=f"{first.text}\n{prov.text}")
        else:
            by_address[prov.address] = prov
    return list(by_address.values())
