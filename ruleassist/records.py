"""Core records: plain frozen dataclasses that every other module passes around.

A `Provision` is one citable unit of a document (an article, a paragraph, an item, a point,
a clause, or a page of a PDF). Its `address` is the machine form of its place in the
document ("a75-12/p1/i2" = 第七十五条の十二第一項第二号, "a35/p2/pt-a" = Article 35(2)(a)),
so ids survive re-ingest: they never depend on list positions.
"""
from __future__ import annotations

from dataclasses import dataclass, field

JURISDICTIONS = ("JP", "EU", "INTL")
KINDS = (
    "statute", "cabinet_order", "ministerial_ordinance", "directive", "regulation",
    "delegated_act", "standard_draft", "guideline", "position_paper", "other",
)
# When two files hold the same version of a document the finer structure wins.
FORMAT_RANK = {"egov_xml": 0, "formex": 1, "eurlex_html": 1, "egov_html": 1, "eu_json": 2,
               "law_markdown": 3, "esrs_markdown": 3, "pdf": 4, "text": 5}


@dataclass(frozen=True, slots=True)
class Document:
    doc_id: str                 # "jp:335AC0000000105", "eu:32023R0956", "intl:ISO-CD-12345"
    title: str                  # "道路交通法", "Regulation (EU) 2023/956"
    jurisdiction: str           # JP / EU / INTL
    kind: str                   # one of KINDS
    version: str = ""           # as-of date "2025-06-01" when known, else ""
    lang: str = "ja"
    format: str = "text"        # reader name, ranks in FORMAT_RANK
    source: str = ""            # the file it was read from
    official_url: str = ""
    short_names: tuple[str, ...] = ()   # "CBAM", "道交法" ...
    article_level_only: bool = False    # the source has no paragraph numbers (law Markdown)


@dataclass(frozen=True, slots=True)
class Provision:
    doc_id: str
    address: str                # "a75-12/p1", "suppl/a1", "r12", "annex-I", "page-3", "c5.2.1"
    heading: str                # human pinpoint inside the document: "第七十五条の十二第一項", "Article 35(2)(a)"
    text: str
    level: str = "article"      # article / paragraph / item / subitem / point / recital / annex / clause / page / section
    title: str = ""             # document title
    jurisdiction: str = "JP"
    kind: str = "statute"
    version: str = ""
    caption: str = ""           # 条見出し "（特定自動運行の許可）" / article title "Reporting obligations"
    path: tuple[str, ...] = ()  # structural path: ("第四章の二", "第一節", "第七十五条の十二", "第一項")
    page: int | None = None
    line_start: int | None = None
    line_end: int | None = None
    suppl: bool = False         # 附則 (supplementary provisions)
    lang: str = "ja"
    source: str = ""
    note: str = ""              # e.g. "paragraph numbers missing in source: cited at article level"

    @property
    def id(self) -> str:
        return f"{self.doc_id}/{self.address}"

    @property
    def citation(self) -> str:
        """The full pinpoint citation a person reads: 道路交通法第七十五条の十二第一項."""
        if self.jurisdiction == "JP":
            return f"{self.title}{self.heading}"
        return f"{self.title}, {self.heading}" if self.heading else self.title


@dataclass(frozen=True, slots=True)
class Citation:
    """A citation parsed from text, before it is resolved against the store."""
    jurisdiction: str           # JP / EU / INTL
    document: str               # "道路交通法" / "32023R0956" (CELEX when known) / "ISO/CD 12345"
    article: str = ""           # "75-12" (第七十五条の十二), "35", "19a"
    paragraph: str = ""         # "1"
    item: str = ""              # JP 号 "2" / "2-2"; EU point "a" or "a.ii"
    subitem: str = ""           # JP イ/ロ/ハ
    clause: str = ""            # ISO clause "5.2.1"
    suppl: bool = False         # 附則
    recital: str = ""
    annex: str = ""
    span: tuple[int, int] | None = field(default=None, compare=False)  # offsets in the text it came from

    @property
    def address(self) -> str:
        """The store address this citation names (article-level and finer)."""
        from ruleassist.citations import citation_address
        return citation_address(self)


@dataclass(frozen=True, slots=True)
class Hit:
    provision: Provision
    score: float
    scores: tuple[tuple[str, float], ...] = ()   # per retriever: (("bm25", 12.3), ("dense", 0.71))
    rank: int = 0
    pinned: bool = False        # named by an explicit citation in the query


@dataclass(frozen=True, slots=True)
class Claim:
    """One sentence of an answer with the provisions it cites, after verification."""
    text: str
    provision_ids: tuple[str, ...] = ()
    supported: bool = True
    support: float = 0.0


@dataclass(frozen=True, slots=True)
class Answer:
    question: str
    text: str
    claims: tuple[Claim, ...] = ()
    hits: tuple[Hit, ...] = ()
    abstained: bool = False
    notices: tuple[str, ...] = ()
    seconds: float = 0.0
    ttft: float = 0.0
