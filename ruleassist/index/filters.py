"""Search filters: jurisdiction, documents, kinds and the version in force on a date.

Filters become one boolean mask over the index's units, applied inside both retrievers (not
after them), so a narrow filter still returns k hits. Unknown values are an error that lists
what is known, never an empty result that looks like "nothing relevant".
"""
from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from datetime import date

import numpy as np

from ruleassist.errors import QueryError
from ruleassist.records import JURISDICTIONS, KINDS, Provision


@dataclass
class Filters:
    mask: np.ndarray | None = None          # None: every unit allowed
    jurisdictions: set[str] = field(default_factory=set)
    doc_ids: set[str] = field(default_factory=set)
    kinds: set[str] = field(default_factory=set)
    as_of: str = ""
    in_force_version: dict[str, str | None] = field(default_factory=dict)   # doc -> version on as_of
    store: object = None

    def allows(self, p: Provision) -> bool:
        return ((not self.jurisdictions or p.jurisdiction in self.jurisdictions)
                and (not self.doc_ids or p.doc_id in self.doc_ids)
                and (not self.kinds or p.kind in self.kinds))

    def in_force(self, p: Provision) -> Provision | None:
        """The provision as it read on `as_of` (same address, older version), None if not in force then."""
        if not self.as_of or p.version == self.in_force_version.get(p.doc_id, p.version):
            return p
        version = self.in_force_version.get(p.doc_id)
        return None if version is None else self.store.get(p.doc_id, p.address, version)


def _as_list(value) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


def _unknown(kind: str, value: str, known: list[str]) -> QueryError:
    close = difflib.get_close_matches(value, known, n=3, cutoff=0.5)
    hint = f"; did you mean {', '.join(close)}?" if close else f"; known: {', '.join(known[:12])}"
    return QueryError(f"unknown {kind} {value!r}{hint}")


def _doc_ids(index, names: list[str]) -> set[str]:
    known = index.manifest.documents
    aliases = index.store.aliases() if index.store is not None else {}
    titles = {entry.get("title", ""): doc_id for doc_id, entry in known.items()}
    out = set()
    for name in names:
        doc_id = name if name in known else titles.get(name) or aliases.get(name)
        if doc_id not in known:
            close = difflib.get_close_matches(name, sorted(known) + sorted(t for t in titles if t), n=3, cutoff=0.5)
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            raise QueryError(f"document filter {name!r} names no document in index {index.name!r}{hint} "
                             "(list them with: ruleassist index status --docs)")
        out.add(doc_id)
    return out


def _check_date(as_of: str) -> str:
    try:
        return date.fromisoformat(as_of).isoformat()
    except ValueError:
        raise QueryError(f"as_of {as_of!r} is not a date; use YYYY-MM-DD, e.g. 2025-04-01") from None


def make_filters(index, jurisdiction=None, doc_ids=None, kinds=None, as_of: str | None = None) -> Filters:
    f = Filters(store=index.store)
    for j in _as_list(jurisdiction):
        if j.upper() not in JURISDICTIONS:
            raise _unknown("jurisdiction", j, list(JURISDICTIONS))
        f.jurisdictions.add(j.upper())
    for kind in _as_list(kinds):
        if kind not in KINDS:
            raise _unknown("kind", kind, list(KINDS))
        f.kinds.add(kind)
    f.doc_ids = _doc_ids(index, _as_list(doc_ids))
    units = index.units
    mask = np.ones(len(units), dtype=bool)
    if f.jurisdictions:
        mask &= np.isin(units.jurisdiction, list(f.jurisdictions))
    if f.kinds:
        mask &= np.isin(units.kind, list(f.kinds))
    if f.doc_ids:
        mask &= np.isin(units.doc_id, list(f.doc_ids))
    if as_of:
        f.as_of = _check_date(as_of)
        if index.store is None:
            raise QueryError("an as-of date needs the provision store; pass --store or set store_path")
        f.in_force_version = {d: index.store.current_version(d, f.as_of) for d in index.manifest.documents}
        gone = [d for d, v in f.in_force_version.items() if v is None]
        if gone:
            mask &= ~np.isin(units.doc_id, gone)
    f.mask = None if mask.all() else mask
    return f
