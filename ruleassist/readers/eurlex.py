"""EUR-Lex XHTML (`EurlexHtmlReader`): the Official Journal and consolidated texts as EUR-Lex renders them.

EUR-Lex serves the Official Journal text as XHTML even under an `.xml` name, so the reader
sniffs content, never the suffix alone. The XHTML comes in two vocabularies: the Official
Journal's ("oj-normal", tables for points, paragraph divs "001.002") and the consolidated
text's ("norm", "no-parag", "grid-list"); `_html_units` understands both. Document facts
(CELEX, title, version date) come from the meta.json sidecars when present, else from the
text itself (see _eurlex_files.py). Formex XML is read by formex.py.
"""
from __future__ import annotations

import re
from pathlib import Path

from lxml import html

from ruleassist.errors import ParseError
from ruleassist.readers import Parsed, _eu
from ruleassist.readers._eu import Unit, clean, new_unit, point_label
from ruleassist.readers._eurlex_files import document, head_bytes

EURLEX_MARKS = re.compile(rb"CONVEX|fmx2xhtml|oj-convex|Consolidated TEXT|eur-lex\.europa\.eu")
PARA_TEXT = re.compile(r"^(\d{1,3}[a-z]{0,2})\.(?:\s{2,}|\xa0)\s*(\S.*)$", re.S)
PARA_ID = re.compile(r"^\d{3}\.\d{3}$")
ART_ID = re.compile(r"^art_(\d+[a-z]*)$")
DIVISION_ID = re.compile(r"^(?:.*\.)?(cpt|tis|prt|sct|ttl|sbs)_[^.]+$")

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
        head = head_bytes(path)
        return b"<html" in head.lower() and bool(EURLEX_MARKS.search(head)) and b"_div_ArticleTitle" not in head

    def read(self, path: Path) -> Parsed:
        path = Path(path)
        raw = path.read_bytes()
        if b"</html>" not in raw[-4096:].lower():
            raise ParseError(path, "the XHTML ends before </html>: the file looks truncated; fetch it again from EUR-Lex")
        root = html.document_fromstring(raw, parser=html.HTMLParser(encoding="utf-8"))
        doc = document(path, self.name, *self._facts(root))
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
