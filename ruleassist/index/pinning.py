"""Citation-first retrieval: the provisions a query names explicitly, resolved against the store.

"金融商品取引法第5条第6項" or "CBAM Article 35" in a query is the strongest signal there is:
the article is pinned at the top, before anything the retrievers rank. A citation that cannot
be resolved (a law not ingested, an article that does not exist) is reported as a notice.
"""
from __future__ import annotations

from ruleassist.citations import parse_citations, render
from ruleassist.errors import CitationNotFound
from ruleassist.records import Citation, Hit, Provision


def related(a: Provision, b: Provision) -> bool:
    """Same provision, or one inside the other (an article and its paragraph)."""
    if a.doc_id != b.doc_id:
        return False
    return a.address == b.address or a.address.startswith(b.address + "/") or b.address.startswith(a.address + "/")


def _pinpoints(c: Citation) -> bool:
    """Names a provision, not just an act ("CBAM" alone is a topic, not a pinpoint)."""
    return bool(c.article or c.annex or c.recital or c.clause)


def pinned_hits(index, query: str, filters, notices: list[str]) -> list[Hit]:
    store = index.store
    if store is None:
        return []
    jp_names, eu_names = index.known_names()
    hits: list[Hit] = []
    for c in parse_citations(query, jp_names=jp_names, eu_short_names=eu_names):
        if not _pinpoints(c):
            continue
        try:
            p = store.resolve(c, as_of=filters.as_of)
        except CitationNotFound as exc:
            notices.append(f"{render(c, arabic=True)} is cited but not found: {exc}")
            continue
        if filters.allows(p) and not any(h.provision.id == p.id for h in hits):
            hits.append(Hit(p, 1.0, (("citation", 1.0),), pinned=True))
    return hits
