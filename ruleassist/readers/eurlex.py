"""EUR-Lex readers: Formex 4 XML (`FormexReader`) and EUR-Lex XHTML (`EurlexHtmlReader`).

EUR-Lex serves the Official Journal text as XHTML even under an `.xml` name, so both readers
sniff content, never the suffix alone. The XHTML comes in two vocabularies: the Official
Journal's ("oj-normal", tables for points, paragraph divs "001.002") and the consolidated
text's ("norm", "no-parag", "grid-list"); `_html_units` understands both.
Document facts (CELEX, title, version date) come from the corpus' meta.json sidecars when
present, else from the text itself.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

from lxml import etree, html

from ruleassist.errors import ParseError
from ruleassist.readers import Parsed
from ruleassist.readers import _eu
from ruleassist.readers._eu import Unit, clean, new_unit, point_label

FORMEX_ROOTS = ("ACT", "CONS.ACT", "FMX")
VERSION_DIR = re.compile(r"^(\d{4}-\d{2}-\d{2})--")
ROOT_TAG = re.compile(rb"<(?![?!])([A-Za-z][\w.\-]*)")
EURLEX_MARKS = re.compile(rb"CONVEX|fmx2xhtml|oj-convex|Consolidated TEXT|eur-lex\.europa\.eu")
PARA_TEXT = re.compile(r"^(\d{1,3}[a-z]{0,2})\.(?:\s{2,}|\xa0)\s*(\S.*)$", re.S)
PARA_ID = re.compile(r"^\d{3}\.\d{3}$")
ART_ID = re.compile(r"^art_(\d+[a-z]*)$")
DIVISION_ID = re.compile(r"^(?:.*\.)?(cpt|tis|prt|sct|ttl|sbs)_[^.]+$")


# --- facts shared by both readers --------------------------------------------------------

def _head(path: Path, size: int = 4096) -> bytes:
    try:
        with open(path, "rb") as f:
            return f.read(size)
    except OSError:
        return b""


def _sidecar_facts(path: Path) -> tuple[str, str, str]:
    """(celex, title, version date) from the lex-corpus folders: works/<celex>/versions/<date>--<hash>/."""
    vdir = next((p for p in path.parents if VERSION_DIR.match(p.name)), None)
    if vdir is None:
        return "", "", ""
    version = VERSION_DIR.match(vdir.name).group(1)
    celex = title = ""
    for meta_path in (vdir / "meta.json", vdir.parent.parent / "meta.json"):
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        celex = celex or meta.get("raw", {}).get("celex", "") or meta.get("work_identifier", "").rsplit("/", 1)[-1]
        en = [e for e in meta.get("expressions", []) if e.get("language") == "en"]
        title = title or (en[0].get("title", "") if en else "") or meta.get("title", "")
    return _eu.base_celex(celex) if celex else "", title, version


def _document(path: Path, fmt: str, celex: str, title: str, version: str):
    side_celex, side_title, side_version = _sidecar_facts(path)
    celex, title, version = side_celex or celex, side_title or title, side_version or version
    if not celex:
        raise ParseError(path, "no CELEX number found: no meta.json sidecar and none in the text; "
                               "keep the file inside its works/<celex>/versions/<date>--<hash>/ folder")
    return _eu.make_document(celex, title, fmt, path, version)


# --- Formex ------------------------------------------------------------------------------

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
        m = ROOT_TAG.search(re.sub(rb"<!--.*?-->", b"", _head(path, 2048), flags=re.S))
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
        doc = _document(path, self.name, root.findtext(".//NO.CELEX") or "",
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


# --- EUR-Lex XHTML -----------------------------------------------------------------------

HTML_SKIP = {"modref", "arrow", "oj-note", "footnote", "oj-note-tag", "oj-ti-art", "oj-sti-art",
             "title-article-norm", "stitle-article-norm", "eli-title", "separator-annex", "disclaimer",
             "no-parag"}   # paragraph numbers are read as labels, not as text
HTML_CONTAINERS = {"p", "div", "table", "ul", "ol", "figure", "tbody", "section"}
HTML_BLOCKS = {"p", "div", "tr", "table", "li", "br", "ul", "ol", "h1", "h2", "h3", "h4"}


def _classes(el) -> set[str]:
    return set((el.get("class") or "").split())


def _skip(el) -> bool:
    return not isinstance(el.tag, str) or el.tag in ("hr", "col", "script", "style", "head") \
        or bool(_classes(el) & HTML_SKIP)


def _html_collect(el, parts: list[str], tail: bool = True, top: bool = False) -> None:
    if top or not _skip(el):   # the element asked for is read even if its kind is skipped inside others
        sep = "\n" if el.tag in HTML_BLOCKS else " " if el.tag == "td" else ""
        parts.append(sep + (el.text or ""))
        for child in el:
            _html_collect(child, parts)
        parts.append(sep)
    if tail and el.tail:
        parts.append(el.tail)


def html_text(el, raw: bool = False) -> str:
    parts: list[str] = []
    _html_collect(el, parts, tail=False, top=True)
    return "".join(parts).strip() if raw else clean("".join(parts))


def _html_units(el) -> list[Unit]:
    """Units of an XHTML container; words directly inside it (mixed content) become text units."""
    units: list[Unit] = []
    buf = [el.text or ""]
    for child in el:
        if _skip(child) or child.tag not in HTML_CONTAINERS:
            _html_collect(child, buf)
            continue
        units += _text_units("".join(buf))
        buf = [child.tail or ""]
        if child.tag == "p":
            units += _text_units(html_text(child, raw=True))
        elif PARA_ID.match(child.get("id") or ""):            # OJ: <div id="004.002"><p>2.   …
            units += _attach(_html_units(child))
        elif any("no-parag" in _classes(c) for c in child):    # consolidated: <span class="no-parag">2.</span>
            label = clean(html_text(next(c for c in child if "no-parag" in _classes(c))))
            units.append(_numbered(label, _html_units(child)))
        elif "grid-list" in _classes(child):                   # consolidated point
            cols = [c for c in child if isinstance(c.tag, str)]
            units.append(_labelled(html_text(cols[0]), _html_units(cols[-1])))
        elif child.tag == "table" and _is_point_table(child):  # OJ point: | (a) | text |
            units += [_labelled(html_text(r[0]), _html_units(r[1])) for r in _rows(child)]
        elif child.tag in ("table", "ul", "ol", "figure"):
            units += _text_units(html_text(child))
        else:
            units += _html_units(child)
    return units + _text_units("".join(buf))


def _text_units(text: str) -> list[Unit]:
    """'2.   The Commission …' opens paragraph 2; any other line is plain text."""
    if m := PARA_TEXT.match(text.strip()):
        return [Unit("paragraph", m.group(1), clean(m.group(2)))]
    text = clean(text)
    return [Unit("text", text=text)] if text else []


def _attach(units: list[Unit]) -> list[Unit]:
    if units and units[0].kind == "paragraph" and not units[0].children:
        units[0].children.extend(units[1:])
        return units[:1]
    return units


def _numbered(label: str, content: list[Unit]) -> Unit:
    """A paragraph; a quoted number ("‘5.", text inserted into another act) is only text."""
    if re.fullmatch(r"\d{1,3}[a-z]{0,2}\.?", label):
        return new_unit("paragraph", label.rstrip("."), content)
    return Unit("text", text=clean(label + " " + "\n".join(map(_eu.flatten, content))))


def _labelled(label: str, content: list[Unit]) -> Unit:
    # Numbered paragraphs inside a point are text quoted into another act, not this act's paragraphs.
    content = [Unit("text", text=_eu.flatten(u)) if u.kind == "paragraph" else u for u in content]
    if lab := point_label(label):
        return new_unit("point", lab, content)
    return Unit("text", text=clean(label + " " + "\n".join(map(_eu.flatten, content))))


def _rows(table) -> list:
    return [[td for td in tr if td.tag == "td"] for tr in table.xpath("./tbody/tr|./tr")]


def _is_point_table(table) -> bool:
    rows = _rows(table)
    return "oj-table" not in _classes(table) and bool(rows) and \
        all(len(r) == 2 and len(html_text(r[0])) <= 8 for r in rows)


def _html_path(el) -> tuple[str, ...]:
    titles = []
    for anc in reversed(list(el.iterancestors())):
        first_p = anc.find("p")
        if DIVISION_ID.match(anc.get("id") or "") and first_p is not None:
            titles.append(_eu.title_case_word(html_text(first_p)))
    return tuple(titles)


def _html_blocks(el, out: list[tuple[bool, str]]) -> list[tuple[bool, str]]:
    for child in el:
        if _skip(child):
            continue
        if child.tag in ("p", "table"):
            cls = child.get("class") or ""
            out.append(("grseq" in cls or "gr-seq" in cls, html_text(child)))
        else:
            _html_blocks(child, out)
    return out


class EurlexHtmlReader:
    name = "eurlex_html"

    def accepts(self, path: Path) -> bool:
        if Path(path).suffix.lower() not in (".html", ".htm", ".xhtml", ".xml"):
            return False
        head = _head(path)
        return b"<html" in head.lower() and bool(EURLEX_MARKS.search(head)) and b"_div_ArticleTitle" not in head

    def read(self, path: Path) -> Parsed:
        path = Path(path)
        raw = path.read_bytes()
        if b"</html>" not in raw[-4096:].lower():
            raise ParseError(path, "the XHTML ends before </html>: the file looks truncated; fetch it again from EUR-Lex")
        root = html.document_fromstring(raw, parser=html.HTMLParser(encoding="utf-8"))
        doc = _document(path, self.name, *self._facts(root))
        provisions = self._recitals(doc, root) + self._articles(doc, root) + self._annexes(doc, root)
        if not provisions:
            raise ParseError(path, "no articles (id='art_N'), recitals or annexes found: not an EUR-Lex act")
        return Parsed(doc, _eu.merge_duplicates(provisions))

    def _facts(self, root) -> tuple[str, str, str]:
        page_title = root.findtext(".//title") or ""
        title = " ".join(html_text(p) for p in root.xpath("//div[contains(@class,'eli-main-title')]/p"))
        celex = re.search(r"\b[0-9]\d{4}[A-Z]\d{4}\b", page_title)
        date = re.search(r"(\d{2})\.(\d{2})\.(\d{4})", page_title)
        version = f"{date.group(3)}-{date.group(2)}-{date.group(1)}" if date else ""
        return _eu.base_celex(celex.group(0)) if celex else _eu.celex_from_title(title), title, version

    def _recitals(self, doc, root) -> list:
        out = []
        for div in root.xpath("//div[starts-with(@id,'rct_')]"):
            m, cells = re.fullmatch(r"rct_(\d+)", div.get("id")), div.xpath(".//td")
            if m:
                out.append(_eu.recital_provision(doc, m.group(1), html_text(cells[-1] if cells else div)))
        return out

    def _articles(self, doc, root) -> list:
        out = []
        for art in root.xpath("//div[starts-with(@id,'art_')]"):
            if m := ART_ID.match(art.get("id")):
                caption = art.xpath("./div[contains(@class,'eli-title')]//p"
                                    "|./p[contains(@class,'sti-art') or contains(@class,'stitle-article')]")
                out += _eu.article_provisions(doc, m.group(1), _html_units(art),
                                              html_text(caption[0]) if caption else "", _html_path(art))
        return out

    def _annexes(self, doc, root) -> list:
        out = []
        for annex in root.xpath("//div[starts-with(@id,'anx_')][not(ancestor::div[starts-with(@id,'anx_')])]"):
            heads = [html_text(p) for p in annex.xpath(".//p[contains(@class,'oj-doc-ti') or contains("
                                                        "@class,'title-annex')][not(contains(@class,'quotation'))]")]
            label = _eu.annex_label(heads[0]) if heads else annex.get("id")[4:].replace("\xa0", "").strip()
            address, heading = _eu.annex_place(label)
            out += _eu.annex_provisions(doc, address, heading, heads[1] if len(heads) > 1 else "",
                                        _html_blocks(annex, []))
        return out
