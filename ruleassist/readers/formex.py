"""Formex 4 XML, the Publications Office's own markup of the Official Journal (`FormexReader`).

Articles, paragraphs (PARAG), points (ITEM/NP) and annexes become provisions; footnotes and
images are skipped. Document facts come from the meta.json sidecars (see _eurlex_files.py).
"""
from __future__ import annotations

import re
from pathlib import Path

from lxml import etree

from ruleassist.errors import ParseError
from ruleassist.readers import Parsed, _eu
from ruleassist.readers._eu import Unit, clean, new_unit, point_label
from ruleassist.readers._eurlex_files import document, head_bytes

FORMEX_ROOTS = ("ACT", "CONS.ACT", "FMX")
ROOT_TAG = re.compile(rb"<(?![?!])([A-Za-z][\w.\-]*)")

FMX_SKIP = {"NOTE", "INCL.ELEMENT"}                      # footnotes and images: not text
FMX_LABELS = {"TI.ART", "STI.ART", "NO.PARAG", "NO.P"}   # read separately as numbers and captions
FMX_BLOCKS = {"P", "ALINEA", "NP", "ITEM", "ROW", "TI", "STI", "TI.ART", "STI.ART", "PARAG", "LIST", "TBL",
              "GR.SEQ", "TITLE", "CONSID", "CONTENTS", "ARTICLE", "DIVISION", "FORMULA"}
FMX_STRUCT = {"PARAG", "ALINEA", "LIST", "ITEM", "NP", "P", "TXT", "TBL", "GR.SEQ"}


def _fmx_collect(el, parts: list[str], tail: bool = True) -> None:
    if isinstance(el.tag, str) and el.tag not in FMX_SKIP:
        if el.tag in ("QUOT.START", "QUOT.END"):
            parts.append(chr(int(el.get("CODE", "2018"), 16)))
        sep = " | " if el.tag == "CELL" else "\n" if el.tag in FMX_BLOCKS else " " if el.tag == "TXT" else ""
        parts.append(sep + (el.text or ""))
        for child in el:
            _fmx_collect(child, parts)
        parts.append(sep.strip(" |"))
    if tail and el.tail:
        parts.append(el.tail)


def fmx_text(el) -> str:
    parts: list[str] = []
    _fmx_collect(el, parts, tail=False)
    return clean("".join(parts))


def _fmx_units(el) -> list[Unit]:
    """Units of a Formex container; inline words between block children become text units."""
    units, buf = [], [el.text or ""]

    def flush() -> None:
        if text := clean("".join(buf)):
            units.append(Unit("text", text=text))
        buf.clear()

    for child in el:
        if isinstance(child.tag, str) and child.tag in FMX_LABELS:
            buf.append(child.tail or "")
        elif isinstance(child.tag, str) and child.tag in FMX_STRUCT:
            flush()
            units.extend(_fmx_block(child))
            buf.append(child.tail or "")
        else:
            _fmx_collect(child, buf)
    flush()
    return units


def _fmx_block(el) -> list[Unit]:
    if el.tag == "PARAG":
        label = clean(el.findtext("NO.PARAG") or "").rstrip(".")
        return [new_unit("paragraph", label, _fmx_units(el))] if label else _fmx_units(el)
    if el.tag == "LIST":
        return [u for item in el if item.tag == "ITEM" for u in _fmx_block(item)]
    if el.tag == "NP":
        label, content = point_label(el.findtext("NO.P") or ""), _fmx_units(el)
        if label:
            return [new_unit("point", label, content)]
        mark = clean(el.findtext("NO.P") or "")
        return [Unit("text", text=clean(mark + " " + "\n".join(map(_eu.flatten, content))))]
    if el.tag == "ITEM":
        units = _fmx_units(el)
        if units and units[0].kind == "point":   # ITEM = NP + later subparagraphs of that point
            units[0].children.extend(units[1:])
            return units[:1]
        return units
    if any(isinstance(c.tag, str) and c.tag in FMX_STRUCT for c in el):
        return _fmx_units(el)
    text = fmx_text(el)
    return [Unit("text", text=text)] if text else []


def _fmx_articles(el, path: tuple[str, ...]):
    """(path, ARTICLE) pairs of the act's own articles; quoted ones (QUOT.S) are never reached."""
    for child in el:
        if child.tag == "ARTICLE":
            yield path, child
        elif child.tag == "DIVISION":
            ti = child.find("TITLE/TI")
            yield from _fmx_articles(child, (*path, _eu.title_case_word(fmx_text(ti))) if ti is not None else path)


def _fmx_annexes(doc, root) -> list:
    out, last = [], ("annex", "Annex")
    for annex in root.iter("ANNEX", "CONS.ANNEX"):
        if any(a.tag == "QUOT.S" for a in annex.iterancestors()):
            continue
        ti = annex.find("TITLE/TI")
        head = fmx_text(ti) if ti is not None else ""
        caption = fmx_text(annex.find("TITLE/STI")) if annex.find("TITLE/STI") is not None else ""
        if m := re.match(r"appendix\s+(\w+)", head, re.I):
            place = (f"{last[0]}/app-{m.group(1)}", f"{last[1]}, Appendix {m.group(1)}")
        else:
            place = last = _eu.annex_place(_eu.annex_label(head))
        blocks = [(False, head), (False, caption)]
        for part in annex.iterfind("CONTENTS/*"):
            title = part.find("TITLE") if part.tag == "GR.SEQ" else None
            if title is None:
                blocks.append((False, fmx_text(part)))
            else:       # a numbered part: its title may open a section, see annex_provisions
                blocks.append((True, fmx_text(title)))
                blocks.append((False, "\n".join(fmx_text(c) for c in part if c is not title)))
        out += _eu.annex_provisions(doc, place[0], place[1], caption, blocks)
    return out


class FormexReader:
    name = "formex"

    def accepts(self, path: Path) -> bool:
        if Path(path).suffix.lower() != ".xml":
            return False
        m = ROOT_TAG.search(re.sub(rb"<!--.*?-->", b"", head_bytes(path, 2048), flags=re.S))
        return bool(m) and m.group(1).decode() in FORMEX_ROOTS

    def read(self, path: Path) -> Parsed:
        path = Path(path)
        try:
            root = etree.parse(str(path), etree.XMLParser(resolve_entities=False, no_network=True)).getroot()
        except etree.XMLSyntaxError as exc:
            raise ParseError(path, f"not well-formed Formex XML ({exc}); the file may be truncated, "
                                   "fetch it again from EUR-Lex") from None
        if root.tag not in FORMEX_ROOTS:
            raise ParseError(path, f"root element <{root.tag}> is not a Formex act ({', '.join(FORMEX_ROOTS)})")
        doc = document(path, self.name, root.findtext(".//NO.CELEX") or "",
                        fmx_text(root.find(".//TITLE")) if root.find(".//TITLE") is not None else "",
                        _fmx_version(root))
        provisions = self._recitals(doc, root) + self._articles(doc, root) + _fmx_annexes(doc, root)
        if not provisions:
            raise ParseError(path, "no CONSID, ARTICLE or ANNEX elements: nothing citable in this Formex file")
        return Parsed(doc, _eu.merge_duplicates(provisions))

    def _recitals(self, doc, root) -> list:
        out = []
        for consid in root.iterfind(".//GR.CONSID/CONSID"):
            number = re.sub(r"\D", "", consid.findtext("NP/NO.P") or "")
            text = fmx_text(consid.find("NP/TXT")) if consid.find("NP/TXT") is not None else fmx_text(consid)
            if number:
                out.append(_eu.recital_provision(doc, number, text))
        return out

    def _articles(self, doc, root) -> list:
        out = []
        for terms in root.iter("ENACTING.TERMS"):
            for path, art in _fmx_articles(terms, ()):
                m = re.search(r"Article\s+(\d+\s*[a-z]*)", clean(art.findtext("TI.ART") or ""), re.I)
                if m:
                    out += _eu.article_provisions(doc, m.group(1).replace(" ", "").lower(), _fmx_units(art),
                                                  clean(art.findtext("STI.ART") or ""), path)
        return out


def _fmx_version(root) -> str:
    date = (root.find("INFO.CONSLEG") is not None and root.find("INFO.CONSLEG").get("START.DATE")) or \
        (root.find(".//DATE") is not None and root.find(".//DATE").get("ISO")) or ""
    return f"{date[:4]}-{date[4:6]}-{date[6:8]}" if re.fullmatch(r"\d{8}", date) else ""
