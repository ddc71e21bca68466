"""What gets indexed: the article-sized units of the current version of each document.

Laws are indexed per article (their paragraphs and items are inside the article's text, and
retrieval is judged per article); EU acts per article, recital and annex; standards per
clause; PDFs per page or section. A finer provision is indexed only when no unit above it
exists (a document whose reader found paragraphs but no articles), so no text is lost.
A very long unit that has numbered children (an ESRS standard of 100,000 characters with
its paragraphs) is a container, not a unit: its children are indexed instead, since a hit
on "ESRS 1" as a whole would point nowhere useful.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass

from ruleassist.records import Provision
from ruleassist.store import Store

UNIT_LEVELS = ("article", "recital", "annex", "clause", "page", "section")
LONG_UNIT = 6000          # characters; beyond this a unit with children is indexed through them
UNITS_ID = "units/v2"       # bump when unit selection or unit text changes: it invalidates doc hashes


@dataclass(frozen=True, slots=True)
class Unit:
    provision: Provision
    header: str         # "金融商品取引法 第十三条（目論見書の作成義務）": leads every window and the BM25 text
    body: str

    @property
    def text(self) -> str:
        return f"{self.header}\n{self.body}"


def header(p: Provision) -> str:
    return " ".join(part for part in (p.title, p.heading, p.caption) if part)


def select_units(provisions: list[Provision]) -> list[Provision]:
    """Unit-level provisions, plus any finer provision that has no unit above it."""
    children: dict[str, list[Provision]] = {}
    for p in provisions:
        if "/" in p.address:
            children.setdefault(p.address.rsplit("/", 1)[0], []).append(p)
    units: list[Provision] = []
    for p in provisions:
        if p.level in UNIT_LEVELS:
            kids = children.get(p.address, [])
            units += kids if len(p.text) > LONG_UNIT and kids else [p]
    addresses = {p.address for p in units}
    for p in provisions:
        if p.level in UNIT_LEVELS:
            continue
        parts = p.address.split("/")
        if not any("/".join(parts[:i]) in addresses for i in range(1, len(parts))):
            units.append(p)
            addresses.add(p.address)
    return [p for p in units if p.text.strip() or p.caption]


def document_units(store: Store, doc_id: str) -> list[Unit]:
    """The units of the current version of one document, in document order."""
    provisions = list(store.provisions(doc_id))
    chosen = {p.address for p in select_units(provisions)}
    return [Unit(p, header(p), p.text) for p in provisions if p.address in chosen]


def units_hash(units: list[Unit]) -> str:
    """Identity of a document's indexed content: changes when any unit's text or metadata does."""
    h = hashlib.sha256(UNITS_ID.encode())
    for u in units:
        h.update(json.dumps(provision_record(u.provision), ensure_ascii=False, sort_keys=True).encode())
    return h.hexdigest()[:16]


def provision_record(p: Provision) -> dict:
    return asdict(p)


def provision_from_record(record: dict) -> Provision:
    record = dict(record)
    record["path"] = tuple(record.get("path") or ())
    return Provision(**record)
