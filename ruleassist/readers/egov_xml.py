"""e-Gov law XML (法令標準XML): articles, paragraphs, items and subitems, 附則 and 別表.

The tree is walked once; structural titles (編/章/節/款/目) become each article's path.
Ruby readings (<Rt>) are dropped so the text reads as the statute does.
"""
from __future__ import annotations

import re
from pathlib import Path

from lxml import etree

from ruleassist.errors import ParseError
from ruleassist.readers import Parsed
from ruleassist.readers._jp import (IDEO_SPACE, AnnexNode, ArticleNode, Node, clean, egov_file_meta, emit,
                                    label_key, make_document, num_attr_key, sniff, subitem_key,
                                    suppl_prefix, suppl_title, table_text)

STRUCTURE = ("Part", "Chapter", "Section", "Subsection", "Division")
LAW_ROOT = re.compile(rb"<Law[\s>]")


class EgovXmlReader:
    name = "egov_xml"

    def accepts(self, path: Path) -> bool:
        if Path(path).suffix.lower() != ".xml":
            return False
        return LAW_ROOT.search(sniff(path, 8192)) is not None

    def read(self, path: Path) -> Parsed:
        path = Path(path)
        law = _law_element(path)
        etree.strip_elements(law, "Rt", with_tail=False)
        lawid, version = egov_file_meta(path)
        body = law.find("LawBody")
        title = _inline(body.find("LawTitle")) if body is not None else ""
        if not title:
            raise ParseError(path, "no <LawBody>/<LawTitle>: the file is incomplete; re-download it from e-Gov")
        doc = make_document(path, lawid, title, version, "egov_xml")
        return Parsed(doc, emit(doc, _walk(body, (), "")))


def _law_element(path: Path) -> etree._Element:
    if path.stat().st_size == 0:
        raise ParseError(path, "empty file; re-download it from e-Gov")
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)
    try:
        root = etree.parse(str(path), parser).getroot()
    except etree.XMLSyntaxError as exc:
        raise ParseError(path, f"not well-formed XML at line {exc.lineno}: {exc.msg}; "
                               "re-download the file") from None
    law = root if root.tag == "Law" else root.find(".//Law")
    if law is None:
        raise ParseError(path, f"no <Law> root (found <{root.tag}>): not e-Gov law XML")
    return law


def _walk(el: etree._Element, path: tuple[str, ...], prefix: str) -> list:
    """ArticleNode/AnnexNode in document order below `el`."""
    out, bare = [], None
    for child in _elements(el):
        tag = child.tag
        if tag == "MainProvision":
            out += _walk(child, (), "")
        elif tag in STRUCTURE:
            out += _walk(child, path + (_inline(child.find(f"{tag}Title")),), prefix)
        elif tag == "SupplProvision":
            amend = child.get("AmendLawNum", "")
            out += _walk(child, (suppl_title(amend, child.get("Extract") == "true"),), suppl_prefix(amend))
        elif tag == "Preamble":
            out += _walk(child, ("前文",), "preamble/")
        elif tag == "Article":
            out.append(_article(child, path, prefix))
        elif tag == "Paragraph":
            if bare is None:    # paragraphs without an article: 附則第一項 and the like
                bare = ArticleNode("", path[-1] if prefix == "preamble/" else "", path=path, prefix=prefix,
                                   line=child.sourceline)
                out.append(bare)
            bare.paragraphs.append(_paragraph(child, len(bare.paragraphs)))
        elif tag.startswith(("Appdx", "SupplProvisionAppdx")):
            out.append(_annex(child, path, prefix))
    return out


def _article(el: etree._Element, path: tuple[str, ...], prefix: str) -> ArticleNode:
    title = _inline(el.find("ArticleTitle"))
    # keys come from the printed title, as in the HTML, so both formats address alike
    key = label_key(title) if title else num_attr_key(el.get("Num", ""))
    art = ArticleNode(key, title, caption=_inline(el.find("ArticleCaption")), path=path, prefix=prefix,
                      line=el.sourceline)
    for child in _elements(el):
        if child.tag == "Paragraph":
            art.paragraphs.append(_paragraph(child, len(art.paragraphs)))
        elif child.tag == "SupplNote":
            art.note = _inline(child)
    return art


def _paragraph(el: etree._Element, index: int) -> Node:
    label = _inline(el.find("ParagraphNum"))
    key = label_key(label) if label else (el.get("Num") or str(index + 1))
    node = Node("paragraph", label, num_attr_key(key), caption=_inline(el.find("ParagraphCaption")),
                line=el.sourceline)
    _fill(node, el, "ParagraphSentence", "Item")
    return node


def _unit(el: etree._Element, level: str, depth: int) -> Node:
    """An Item (depth 0) or SubitemN (depth N)."""
    tag = el.tag
    label = _inline(el.find(f"{tag}Title"))
    key = label_key(label) if level == "item" else subitem_key(label)
    node = Node(level, label, key, line=el.sourceline)
    _fill(node, el, f"{tag}Sentence", f"Subitem{depth + 1}")
    return node


def _fill(node: Node, el: etree._Element, sentence_tag: str, child_tag: str) -> None:
    depth = int(child_tag.removeprefix("Subitem")) if child_tag.startswith("Subitem") else 0
    for child in _elements(el):
        tag = child.tag
        if tag == sentence_tag:
            node.parts.append(_sentence(child))
        elif tag == child_tag:
            sub = _unit(child, "item" if tag == "Item" else "subitem", depth)
            # an unlabelled item cannot be cited on its own: its text stays with the parent
            node.parts += [sub] if sub.label else sub.parts
        elif not tag.endswith(("Title", "Num", "Caption")):
            node.parts += _lines(child)


def _annex(el: etree._Element, path: tuple[str, ...], prefix: str) -> AnnexNode:
    titles = [c for c in _elements(el) if c.tag.endswith("Title") or c.tag == "RelatedArticleNum"]
    annex = AnnexNode("".join(_inline(t) for t in titles) or el.tag, prefix=prefix, path=path,
                      line=el.sourceline)
    for child in _elements(el):
        if child not in titles:
            annex.lines += _lines(child)
    return annex


def _lines(el: etree._Element) -> list[str]:
    """Text lines of lists, tables, remarks, figures and anything else, so no text is lost."""
    tag = el.tag
    if tag == "Table":
        return [table_text([[" ".join(_lines(cell)) for cell in _elements(row)] for row in _elements(el)])]
    if tag == "Sentence" or tag.endswith(("Sentence", "Title", "Label", "Num")) or not len(el):
        text = _sentence(el)
        return [text] if text else []
    title = el.find("ParagraphNum" if tag == "Paragraph" else f"{tag}Title")
    sentence = el.find(f"{tag}Sentence")
    if title is not None and sentence is not None:      # an item inside a table or remarks: one line
        rest = [c for c in _elements(el) if c is not title and c is not sentence]
        head = IDEO_SPACE.join(t for t in (_inline(title), _sentence(sentence)) if t)
        return [head] + [line for c in rest for line in _lines(c)]
    return [line for c in _elements(el) for line in _lines(c)]


def _sentence(el: etree._Element) -> str:
    """Sentences run together as printed; columns (号の見出しと本文) are separated by an ideographic space."""
    columns = el.findall("Column")
    if columns:
        return IDEO_SPACE.join(_sentence(c) for c in columns)
    sentences = el.findall("Sentence")
    if sentences:
        return "".join(_inline(s) for s in sentences)
    return _inline(el)


def _inline(el: etree._Element | None) -> str:
    return clean("".join(el.itertext())) if el is not None else ""


def _elements(el: etree._Element) -> list[etree._Element]:
    return [c for c in el if isinstance(c.tag, str)]      # skips comments and processing instructions
