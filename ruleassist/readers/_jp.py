"""Shared parts of the Japanese law readers (e-Gov XML, e-Gov HTML, law Markdown).

The XML and HTML readers both fill the same small tree (ArticleNode -> Node paragraphs ->
Node items -> Node subitems) and hand it to `emit`, so one law read from either format gets
the same addresses, headings and texts.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from ruleassist.errors import ParseError
from ruleassist.numerals import article_heading, number_key
from ruleassist.records import Document, Provision

LAWID_RE = re.compile(r"\d{3}[A-Z0-9]{12}")
FILENAME_RE = re.compile(r"(?P<lawid>\d{3}[A-Z0-9]{12})_(?P<date>\d{8})_")
NUMERIC_KEY = re.compile(r"\d+(?:-\d+)*")
RANGE_KEY = re.compile(r"\d+(?:-\d+)*:\d+(?:-\d+)*")
ERA_DATE = re.compile(r"^(明治|大正|昭和|平成|令和)([元〇一二三四五六七八九十\d]+年)"
                      r"[〇一二三四五六七八九十\d]+月[〇一二三四五六七八九十\d]+日")
RANGE = re.compile(r"(?P<a>.+?)(?:から|及び)第?(?P<b>.+?)(?:まで)?")
NUMBER = re.compile(r"[〇零一二三四五六七八九十百千壱弐参0-9]+[条項号]?(?:の[〇零一二三四五六七八九十百千0-9]+)*")
FULLWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
IDEO_SPACE = "\u3000"
MD_NOTE = "paragraph numbers missing in source: cited at article level"


@dataclass(eq=False)      # tree nodes compare by identity: two identical items are still two items
class Node:
    """A paragraph, item or subitem. `parts` keeps sentences, lists, tables and children in order."""
    level: str                      # paragraph / item / subitem
    label: str                      # as printed: "２", "三の二", "イ", "（１）"; "" when none is printed
    key: str                        # address key: "2", "3-2", "イ", "(1)"
    parts: list = field(default_factory=list)    # str lines and child Nodes
    caption: str = ""               # ParagraphCaption, when the source has one
    line: int | None = None

    def children(self) -> list[Node]:
        return [p for p in self.parts if isinstance(p, Node)]


@dataclass(eq=False)
class ArticleNode:
    key: str                        # "75-12", "121:122"; "" for paragraphs that stand without an article
    title: str                      # "第七十五条の十二" as printed
    caption: str = ""
    path: tuple[str, ...] = ()      # structural titles above the article
    prefix: str = ""                # "", "suppl/", "suppl-令和四年法律第六二号/"
    paragraphs: list[Node] = field(default_factory=list)
    note: str = ""
    line: int | None = None


@dataclass(eq=False)
class AnnexNode:
    title: str                      # "別表第一（第二十三条関係）"
    lines: list[str] = field(default_factory=list)
    prefix: str = ""
    path: tuple[str, ...] = ()
    line: int | None = None


# ---------------------------------------------------------------- document level

def law_kind(lawid: str) -> str:
    """Law ids carry the kind in characters 3-4: AC act, CO cabinet order, M* ministerial ordinance."""
    code = lawid[3:5] if LAWID_RE.fullmatch(lawid) else ""
    if code == "AC":
        return "statute"
    if code == "CO":
        return "cabinet_order"
    if code.startswith("M"):
        return "ministerial_ordinance"
    return "other"


def sniff(path: Path, size: int) -> bytes:
    """The first bytes of a file, for accepts(); b"" when it cannot be read (accepts() never raises)."""
    try:
        with open(path, "rb") as fh:
            return fh.read(size)
    except OSError:
        return b""


def egov_file_meta(path: Path) -> tuple[str, str]:
    """'{lawid}_{YYYYMMDD}_{amendid}.xml' -> (lawid, 'YYYY-MM-DD'); e-Gov names carry both."""
    m = FILENAME_RE.search(Path(path).name)
    if not m:
        raise ParseError(path, "file name lacks the e-Gov law id and date; keep the e-Gov download "
                               "name '{lawid}_{YYYYMMDD}_{amendid}' (e.g. 335AC0000000105_20250601_...)")
    d = m["date"]
    return m["lawid"], f"{d[:4]}-{d[4:6]}-{d[6:]}"


def make_document(path: Path, lawid: str, title: str, version: str, fmt: str,
                  article_level_only: bool = False) -> Document:
    return Document(doc_id=f"jp:{lawid}", title=title, jurisdiction="JP", kind=law_kind(lawid),
                    version=version, lang="ja", format=fmt, source=str(path),
                    official_url=f"https://laws.e-gov.go.jp/law/{lawid}" if LAWID_RE.fullmatch(lawid) else "",
                    article_level_only=article_level_only)


def make_provision(doc: Document, address: str, heading: str, text: str, level: str, *,
                   caption: str = "", path: tuple[str, ...] = (), suppl: bool = False, note: str = "",
                   line_start: int | None = None, line_end: int | None = None) -> Provision:
    return Provision(doc_id=doc.doc_id, address=address, heading=heading, text=text, level=level,
                     title=doc.title, jurisdiction=doc.jurisdiction, kind=doc.kind, version=doc.version,
                     caption=caption, path=tuple(path), line_start=line_start, line_end=line_end,
                     suppl=suppl, lang=doc.lang, source=doc.source, note=note)


# ---------------------------------------------------------------- labels and keys

def clean(text: str) -> str:
    """Drop the line breaks that pretty-printing puts between tags; keep ideographic spaces inside."""
    return re.sub(r"\s*\n[ \t]*", "", text).strip(" \t\r\n")


def label_key(label: str) -> str:
    """'第七十五条の十二' -> '75-12', '２' -> '2', '三の二' -> '3-2', '一から三まで' -> '1:3', 'イ' -> 'イ'."""
    s = re.sub(r"\s+", "", unicodedata.normalize("NFKC", label))
    try:
        return _number(s)
    except ValueError:
        pass
    m = RANGE.fullmatch(s.removeprefix("第"))
    if m:
        try:
            return f"{_number(m['a'])}:{_number(m['b'])}"
        except ValueError:
            pass
    return s


def _number(s: str) -> str:
    s = s.removeprefix("第")
    if not NUMBER.fullmatch(s):
        raise ValueError(s)
    return number_key(s)


def subitem_key(label: str) -> str:
    """'イ' -> 'イ', '（１）' -> '(1)': subitems are addressed by their printed label."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", label))


def is_key(key: str) -> bool:
    """A plain article/item number ('75-12') or a range of them ('121:122')."""
    return bool(NUMERIC_KEY.fullmatch(key) or RANGE_KEY.fullmatch(key))


def num_attr_key(num: str) -> str:
    """e-Gov XML Num attributes: '132_85' -> '132-85', '121:122' stays (a range of deleted articles)."""
    return num.replace("_", "-")


def display_label(node: Node) -> str:
    """The label e-Gov prints before a paragraph: its own, or the full-width number when none was printed."""
    return node.label or node.key.translate(FULLWIDTH)


def suppl_prefix(amend_law_num: str) -> str:
    """'' -> 'suppl/'; '令和四年六月一〇日法律第六二号' -> 'suppl-令和四年法律第六二号/'.

    The date is dropped because laws are cited as 令和四年法律第六二号 and the number is unique
    per era year and kind; e-Gov prints it with the date, which no citation repeats.
    """
    amend = re.sub(r"\s+", "", amend_law_num)
    if not amend:
        return "suppl/"
    return "suppl-" + ERA_DATE.sub(r"\1\2", amend) + "/"


def suppl_title(amend_law_num: str, extract: bool) -> str:
    """The 附則 label as e-Gov prints it, without spaces: '附則（昭和二七年七月三一日法律第二七八号）抄'."""
    amend = re.sub(r"\s+", "", amend_law_num)
    return "附則" + (f"（{amend}）" if amend else "") + ("抄" if extract else "")


def annex_key(title: str) -> str:
    """'別表第一（第二十三条関係）' -> '別表第一'; '【第１号様式】' -> '第1号様式'."""
    s = unicodedata.normalize("NFKC", title)
    s = re.split(r"[（(]", s, maxsplit=1)[0]
    tokens = s.replace(IDEO_SPACE, " ").split()
    return (tokens[0] if tokens else "").strip("【】[]") or "appendix"


# ---------------------------------------------------------------- text

def render(node: Node, labeled: bool) -> str:
    """A unit's text with its children labelled as e-Gov shows them ('一　…', 'イ　…')."""
    lines = [render(p, True) if isinstance(p, Node) else p for p in node.parts]
    text = "\n".join(line for line in lines if line)
    return f"{node.label}{IDEO_SPACE}{text}" if labeled and node.label else text


def render_article(art: ArticleNode) -> str:
    lines = []
    for i, par in enumerate(art.paragraphs):
        body = render(par, False)
        lines.append(body if i == 0 else f"{display_label(par)}{IDEO_SPACE}{body}")
    return "\n".join(line for line in lines if line)


def table_text(rows: list[list[str]]) -> str:
    """Rows joined by newlines, cells by tabs: enough to search and quote a table."""
    return "\n".join("\t".join(cells) for cells in rows if any(cells))


# ---------------------------------------------------------------- provisions

def part_heading(key: str, label: str, unit: str) -> str:
    """'2' -> '第二項'; keys that are not plain numbers ('1:3', '×印') keep their printed label."""
    if NUMERIC_KEY.fullmatch(key):
        return article_heading("", key) if unit == "項" else article_heading("", "", key)
    return f"第{label}{unit}" if unit == "項" and label else label


def article_pin(art: ArticleNode) -> str:
    """'第七十五条の十二'; ranges keep their printed title; bare paragraphs use the block title ('' or 前文)."""
    if not art.key:
        return art.title
    return article_heading(art.key) if NUMERIC_KEY.fullmatch(art.key) else art.title


class Emitter:
    """Turns ArticleNode/AnnexNode trees into Provisions; one per document, because it owns the set
    of addresses already used (a duplicate gets '~2' rather than overwriting its twin)."""

    def __init__(self, doc: Document):
        self.doc, self.used, self.out = doc, set(), []

    def claim(self, address: str) -> str:
        n, candidate = 1, address
        while candidate in self.used:
            n += 1
            candidate = f"{address}~{n}"
        self.used.add(candidate)
        return candidate

    def add(self, address: str, heading: str, text: str, level: str, **kw) -> None:
        if text:
            self.out.append(make_provision(self.doc, address, heading, text, level, **kw))

    def article(self, art: ArticleNode) -> None:
        suppl = art.prefix.startswith("suppl")
        head = ("附則" if suppl else "") + article_pin(art)
        path = art.path + ((art.title,) if art.key else ())
        base = ""
        if art.key:
            base = self.claim(f"{art.prefix}a{art.key}")
            self.add(base, head, render_article(art), "article", caption=art.caption, path=path,
                     suppl=suppl, note=art.note, line_start=art.line)
        for par in art.paragraphs:
            own = part_heading(par.key, display_label(par), "項")
            addr = self.claim(f"{base}/p{par.key}" if base else f"{art.prefix}p{par.key}")
            ctx = dict(caption=par.caption or art.caption, suppl=suppl)
            self.add(addr, head + own, render(par, False), "paragraph", path=path + (own,),
                     line_start=par.line, **ctx)
            for child in par.children():
                self.unit(child, addr, head + own, path + (own,), ctx)

    def unit(self, node: Node, parent: str, head: str, path: tuple[str, ...], ctx: dict) -> None:
        if node.level == "item":
            own, addr = part_heading(node.key, node.label, "号"), f"{parent}/i{node.key}"
        else:
            own, addr = node.label, f"{parent}/s{node.key}"
        addr = self.claim(addr)
        self.add(addr, head + own, render(node, False), node.level, path=path + (own,),
                 line_start=node.line, **ctx)
        for child in node.children():
            self.unit(child, addr, head + own, path + (own,), ctx)

    def annex(self, annex: AnnexNode) -> None:
        suppl = annex.prefix.startswith("suppl")
        addr = self.claim(f"{annex.prefix}annex-{annex_key(annex.title)}")
        head = ("附則" if suppl else "") + annex.title
        self.add(addr, head, "\n".join(x for x in annex.lines if x), "annex",
                 path=annex.path + (annex.title,), suppl=suppl, line_start=annex.line)


def emit(doc: Document, nodes: list[ArticleNode | AnnexNode]) -> list[Provision]:
    """Provisions in document order: each article, then its paragraphs, items and subitems."""
    em = Emitter(doc)
    for node in nodes:
        em.annex(node) if isinstance(node, AnnexNode) else em.article(node)
    return em.out
