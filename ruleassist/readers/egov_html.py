"""e-Gov law HTML (the 法令検索 page saved as a file).

The page is flat: inside each <section class="Article"> the caption, title, paragraph, item and
subitem sentences are sibling <div>s whose classes mirror the XML (`_div_ParagraphSentence`,
`_div_Subitem1Sentence` …), and chapter titles are sibling <section>s. So the reader walks the
sections in document order, keeps the current chapter path, and nests each article's divs with
a small stack. The result is the same tree the XML reader builds.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import lxml.html
from lxml import etree

from ruleassist.errors import ParseError
from ruleassist.readers import Parsed
from ruleassist.readers._jp import (IDEO_SPACE, AnnexNode, ArticleNode, Node, clean, egov_file_meta, emit, label_key,
                                    make_document, sniff, subitem_key, suppl_prefix, suppl_title,
                                    table_text)

MARKERS = (b'id="lawTitle"', b"_div_ArticleTitle")
STRUCTURE = {"Part": 0, "Chapter": 1, "Section": 2, "Subsection": 3, "Division": 4}
DIV_KIND = re.compile(r"_div_(\w+)")
SUBITEM = re.compile(r"Subitem(\d+)Sentence")


@dataclass
class _Context:
    """Where the walk is: main provision or one 附則, and the chapter/section titles in force."""
    prefix: str = ""
    base: tuple[str, ...] = ()
    titles: dict[int, str] = field(default_factory=dict)
    bare: ArticleNode | None = None     # paragraphs of a 附則 that has no articles

    def path(self) -> tuple[str, ...]:
        return self.base + tuple(self.titles[k] for k in sorted(self.titles))


class EgovHtmlReader:
    name = "egov_html"

    def accepts(self, path: Path) -> bool:
        if Path(path).suffix.lower() not in (".html", ".htm"):
            return False
        head = sniff(path, 256 * 1024)      # the markers sit after ~27 KB of inline CSS
        return all(marker in head for marker in MARKERS)

    def read(self, path: Path) -> Parsed:
        path = Path(path)
        root = _parse(path)
        title_div = root.get_element_by_id("lawTitle", None)
        title = clean(title_div.text_content()) if title_div is not None else ""
        if not title:
            raise ParseError(path, "no law title (id=\"lawTitle\"): not an e-Gov law page, or saved incompletely")
        lawid, version = egov_file_meta(path)
        doc = make_document(path, lawid, title, version, "egov_html")
        nodes = _walk(root)
        if not nodes:
            raise ParseError(path, "no articles or paragraphs found: the page may be a search result or "
                                   "an incomplete save; download the law page again")
        return Parsed(doc, emit(doc, nodes))


def _parse(path: Path) -> etree._Element:
    raw = path.read_bytes()
    if not raw.strip():
        raise ParseError(path, "empty file; download the law page again")
    try:
        root = lxml.html.document_fromstring(raw)
    except (etree.ParserError, ValueError) as exc:
        raise ParseError(path, f"unreadable HTML ({exc}); download the law page again") from None
    etree.strip_elements(root, "rt", with_tail=False)       # ruby readings are not statute text
    for br in root.iter("br"):                              # table cells break lines with <br>
        br.tail = "\n" + (br.tail or "")
    return root


def _walk(root: etree._Element) -> list:
    nodes, ctx = [], _Context()
    for sec in root.iter("section"):
        classes = (sec.get("class") or "").split()
        if "MainProvision" in classes:
            ctx = _Context()
        elif "SupplProvision" in classes:
            ctx = _suppl_context(sec)
        elif "Article" in classes:
            nodes.append(_article(sec, ctx))
        elif "Paragraph" in classes:
            if ctx.bare is None:
                ctx.bare = ArticleNode("", "", path=ctx.path(), prefix=ctx.prefix, line=sec.sourceline)
                nodes.append(ctx.bare)
            _Builder(ctx.bare).feed_all(sec)
        elif any(c.startswith(("Appdx", "SupplProvisionAppdx")) for c in classes):
            suppl = any(c.startswith("SupplProvisionAppdx") for c in classes)
            nodes.append(_annex(sec, ctx if suppl else _Context()))
        else:
            _update_titles(sec, ctx)
    return nodes


def _suppl_context(sec: etree._Element) -> _Context:
    label = next((d for d in sec if "SupplProvisionLabel" in (d.get("class") or "")), None)
    text = re.sub(r"\s+", "", label.text_content()) if label is not None else "附則"
    m = re.search(r"（(.+)）", text)
    amend = m.group(1) if m else ""
    return _Context(prefix=suppl_prefix(amend), base=(suppl_title(amend, text.endswith("抄")),))


def _update_titles(sec: etree._Element, ctx: _Context) -> None:
    """A chapter/section title: it replaces the title at its level and clears the levels below."""
    for div in sec.iter("div"):
        m = re.search(r"_div_(\w+)Title", div.get("class") or "")
        if m and m.group(1) in STRUCTURE:
            level = STRUCTURE[m.group(1)]
            ctx.titles = {k: v for k, v in ctx.titles.items() if k < level}
            ctx.titles[level] = clean(div.text_content())
            return


def _article(sec: etree._Element, ctx: _Context) -> ArticleNode:
    art = ArticleNode("", "", path=ctx.path(), prefix=ctx.prefix, line=sec.sourceline)
    _Builder(art).feed_all(sec)
    return art


class _Builder:
    """Nests the flat sentence divs of one article (or bare 附則 paragraphs) into Nodes."""

    def __init__(self, art: ArticleNode):
        self.art, self.stack, self.caption, self.remarks = art, [], "", False

    def feed_all(self, sec: etree._Element) -> None:
        for div in sec:
            if div.tag == "div":
                self.feed(div)

    def feed(self, div: etree._Element) -> None:
        m = DIV_KIND.search(div.get("class") or "")
        kind = m.group(1) if m else ""
        if kind == "ArticleCaption":
            self.art.caption = clean(div.text_content())
        elif kind == "ParagraphCaption":
            self.caption = clean(div.text_content())
        elif kind == "SupplNote":
            self.art.note = clean(div.text_content())
        elif kind == "ArticleTitle":
            label, body = _label_body(div)
            self.art.title, self.art.key = label, label_key(label)
            self.paragraph("", body, div.sourceline)
        elif kind == "ParagraphSentence":
            self.paragraph(*_label_body(div), div.sourceline)
        elif kind == "ItemSentence" and not self.remarks:
            self.unit("item", 1, *_label_body(div), div.sourceline)
        elif SUBITEM.fullmatch(kind) and not self.remarks:
            self.unit("subitem", int(SUBITEM.fullmatch(kind).group(1)) + 1, *_label_body(div), div.sourceline)
        else:
            if kind == "RemarksLabel":      # items after 備考 are remarks of a table, not 号
                self.remarks = True
            self.current().parts.extend(_block_lines(div))

    def paragraph(self, label: str, body: str, line: int | None) -> None:
        key = label_key(label) if label else str(len(self.art.paragraphs) + 1)
        node = Node("paragraph", label, key, [body] if body else [], caption=self.caption, line=line)
        self.art.paragraphs.append(node)
        self.stack, self.caption, self.remarks = [node], "", False

    def unit(self, level: str, depth: int, label: str, body: str, line: int | None) -> None:
        """depth: 1 for items, 2 for Subitem1 …; a unit hangs under the nearest open unit above it."""
        if not label:           # an unlabelled item cannot be cited on its own: keep its text above
            self.current().parts.append(body)
            return
        key = label_key(label) if level == "item" else subitem_key(label)
        node = Node(level, label, key, [body] if body else [], line=line)
        self.current()
        at = min(depth, len(self.stack)) - 1
        self.stack[at].parts.append(node)
        self.stack = self.stack[:at + 1] + [node]

    def current(self) -> Node:
        if not self.stack:      # text before any paragraph sentence: it belongs to paragraph 1
            self.paragraph("", "", None)
        return self.stack[-1]


def _label_body(div: etree._Element) -> tuple[str, str]:
    """The bold number e-Gov prints first ('２', '一', 'イ', '第三条') and the sentence after it."""
    first = div[0] if len(div) else None
    label = ""
    if first is not None and first.tag == "span" and "bold" in (first.get("style") or ""):
        label = clean(first.text_content())
    text = clean(div.text_content())
    body = text[len(label):] if label and text.startswith(label) else text
    return label, body.strip(" " + IDEO_SPACE)


def _block_lines(div: etree._Element) -> list[str]:
    """Lists, remarks, table titles and tables: the text outside tables first, then each table."""
    tables = [table_text(_rows(t)) for t in div.iter("table")]
    for t in list(div.iter("table")):
        t.drop_tree()
    return [line for line in [clean(div.text_content()), *tables] if line]


def _rows(table: etree._Element) -> list[list[str]]:
    return [[_cell(td) for td in tr if td.tag in ("td", "th")] for tr in table.iter("tr")]


def _cell(td: etree._Element) -> str:
    return " ".join(p.strip() for p in td.text_content().split("\n") if p.strip())


def _annex(sec: etree._Element, ctx: _Context) -> AnnexNode:
    title_div = next((d for d in sec if "Title" in (d.get("class") or "")), None)
    title = clean(title_div.text_content()) if title_div is not None else "別表"
    annex = AnnexNode(title, prefix=ctx.prefix, path=ctx.base, line=sec.sourceline)
    for div in sec:
        if div is not title_div and div.tag == "div":
            annex.lines += _block_lines(div)
    return annex
