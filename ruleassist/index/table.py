"""units.sqlite: one row per indexed unit, in the order of the BM25 columns and FAISS windows.

A row holds the provision (so search results need no store), its BM25 tokens and its window
ranges (so an update re-tokenises and re-windows only the documents that changed). Search
loads just the small columns used by filters into numpy arrays and reads a provision only
when it is returned.
"""
from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ruleassist.index.units import provision_from_record, provision_record
from ruleassist.records import Provision

SCHEMA = """CREATE TABLE units (row INTEGER PRIMARY KEY, doc_id TEXT, address TEXT, version TEXT,
  jurisdiction TEXT, kind TEXT, header TEXT, provision TEXT, tokens TEXT, windows TEXT)"""


@dataclass
class Row:
    provision: Provision
    header: str
    tokens: list[str]
    windows: list[tuple[int, int]]


def write_rows(path: Path, rows: list[Row]) -> None:
    db = sqlite3.connect(path)
    with db:
        db.execute(SCHEMA)
        db.executemany("INSERT INTO units VALUES (?,?,?,?,?,?,?,?,?,?)", [
            (i, r.provision.doc_id, r.provision.address, r.provision.version, r.provision.jurisdiction,
             r.provision.kind, r.header, json.dumps(provision_record(r.provision), ensure_ascii=False),
             json.dumps(r.tokens, ensure_ascii=False), json.dumps(r.windows)) for i, r in enumerate(rows)])
    db.close()


def read_doc_rows(path: Path, doc_ids: set[str]) -> dict[str, list[Row]]:
    """Rows of the given documents from an earlier build (to reuse them), by document."""
    out: dict[str, list[Row]] = {}
    if not doc_ids:
        return out
    db = sqlite3.connect(path)
    for doc_id, header, provision, tokens, windows in db.execute(
            "SELECT doc_id, header, provision, tokens, windows FROM units ORDER BY row"):
        if doc_id in doc_ids:
            out.setdefault(doc_id, []).append(Row(provision_from_record(json.loads(provision)), header,
                                                  json.loads(tokens), [tuple(w) for w in json.loads(windows)]))
    db.close()
    return out


class UnitTable:
    """Read side used by search: filter columns in memory, provisions on demand."""

    def __init__(self, path: Path):
        self.db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
        cols = self.db.execute("SELECT doc_id, address, version, jurisdiction, kind FROM units ORDER BY row").fetchall()
        self.doc_id = np.array([c[0] for c in cols], dtype=object)
        self.address = np.array([c[1] for c in cols], dtype=object)
        self.version = np.array([c[2] for c in cols], dtype=object)
        self.jurisdiction = np.array([c[3] for c in cols], dtype=object)
        self.kind = np.array([c[4] for c in cols], dtype=object)

    def __len__(self) -> int:
        return len(self.doc_id)

    def provision(self, row: int) -> Provision:
        record = self.db.execute("SELECT provision FROM units WHERE row=?", (int(row),)).fetchone()[0]
        return provision_from_record(json.loads(record))

    def header(self, row: int) -> str:
        return self.db.execute("SELECT header FROM units WHERE row=?", (int(row),)).fetchone()[0]
