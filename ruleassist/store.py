"""The provision store: one SQLite file, one row per provision, documents with versions.

A document (e-Gov law id, CELEX number, standard number) can have several dated versions;
each version is held once, in the finest format seen (XML > HTML > Markdown). Every write
of a file is one transaction, so a crash never leaves a document half-replaced.
"""
from __future__ import annotations

import json
import sqlite3
import threading
from contextlib import contextmanager
from dataclasses import asdict
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

from ruleassist.errors import CitationNotFound, StoreError
from ruleassist.records import FORMAT_RANK, Citation, Document, Provision

SCHEMA = """
CREATE TABLE IF NOT EXISTS documents (
  doc_id TEXT NOT NULL, version TEXT NOT NULL, title TEXT, jurisdiction TEXT, kind TEXT, lang TEXT,
  format TEXT, source TEXT, sha256 TEXT, official_url TEXT, short_names TEXT, article_level_only INTEGER,
  collection TEXT DEFAULT '', n_provisions INTEGER, ingested_at TEXT,
  PRIMARY KEY (doc_id, version));
CREATE TABLE IF NOT EXISTS files (
  path TEXT PRIMARY KEY, sha256 TEXT, doc_id TEXT, version TEXT, format TEXT, status TEXT);
CREATE TABLE IF NOT EXISTS provisions (
  doc_id TEXT NOT NULL, version TEXT NOT NULL, address TEXT NOT NULL, level TEXT, heading TEXT,
  caption TEXT, path TEXT, text TEXT, page INTEGER, line_start INTEGER, line_end INTEGER,
  suppl INTEGER, note TEXT, seq INTEGER,
  PRIMARY KEY (doc_id, version, address));
CREATE TABLE IF NOT EXISTS aliases (name TEXT NOT NULL, doc_id TEXT NOT NULL, PRIMARY KEY (name, doc_id));
"""
PROVISION_COLUMNS = ("address", "level", "heading", "caption", "path", "text", "page", "line_start",
                     "line_end", "suppl", "note", "seq")


class Store:
    def __init__(self, path: Path):
        self.path = Path(path)
        self._local = threading.local()     # one connection per thread: Gradio serves from several
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.db.executescript(SCHEMA)
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{self.path}: not a usable provision store ({exc}); "
                             "move it away and run `ruleassist ingest` again") from None

    # -- connection ------------------------------------------------------------------------

    @property
    def db(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            # Autocommit mode: transactions are opened explicitly by `transaction()`.
            conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA journal_mode=WAL")
            self._local.conn = conn
        return conn

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        db = self.db
        try:
            db.execute("BEGIN")
            yield db
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

    # -- writing ---------------------------------------------------------------------------

    def file_unchanged(self, path: Path, sha256: str) -> bool:
        row = self.db.execute("SELECT sha256 FROM files WHERE path=?", (str(path),)).fetchone()
        return row is not None and row["sha256"] == sha256

    def finer_version_holder(self, doc: Document) -> str | None:
        """The file already holding this version in a finer (or equal) format, if any."""
        row = self.db.execute("SELECT format, source FROM documents WHERE doc_id=? AND version=?",
                              (doc.doc_id, doc.version)).fetchone()
        if row and row["source"] != doc.source and FORMAT_RANK.get(row["format"], 9) <= FORMAT_RANK.get(doc.format, 9):
            return row["source"]
        return None

    def write(self, doc: Document, provisions: list[Provision], sha256: str, collection: str = "") -> str:
        """Store one file's document version; returns 'written' or 'superseded by …'."""
        holder = self.finer_version_holder(doc)
        with self.transaction() as db:
            if holder:
                db.execute("INSERT OR REPLACE INTO files VALUES (?,?,?,?,?,?)",
                           (doc.source, sha256, doc.doc_id, doc.version, doc.format, f"superseded by {holder}"))
                return f"same version held in a finer format by {holder}"
            db.execute("DELETE FROM provisions WHERE doc_id=? AND version=?", (doc.doc_id, doc.version))
            db.execute("INSERT OR REPLACE INTO documents VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", (
                doc.doc_id, doc.version, doc.title, doc.jurisdiction, doc.kind, doc.lang, doc.format, doc.source,
                sha256, doc.official_url, json.dumps(list(doc.short_names), ensure_ascii=False),
                int(doc.article_level_only), collection, len(provisions), datetime.now(timezone.utc).isoformat()))
            db.executemany(
                f"INSERT OR REPLACE INTO provisions (doc_id, version, {', '.join(PROVISION_COLUMNS)}) "
                f"VALUES ({', '.join('?' * (len(PROVISION_COLUMNS) + 2))})",
                [(doc.doc_id, doc.version, p.address, p.level, p.heading, p.caption,
                  json.dumps(list(p.path), ensure_ascii=False), p.text, p.page, p.line_start, p.line_end,
                  int(p.suppl), p.note, seq) for seq, p in enumerate(provisions)])
            for name in {doc.title, *doc.short_names} - {""}:
                db.execute("INSERT OR IGNORE INTO aliases VALUES (?,?)", (name, doc.doc_id))
            db.execute("INSERT OR REPLACE INTO files VALUES (?,?,?,?,?,?)",
                       (doc.source, sha256, doc.doc_id, doc.version, doc.format, "written"))
        return "written"

    def add_aliases(self, names: dict[str, str]) -> None:
        with self.transaction() as db:
            db.executemany("INSERT OR IGNORE INTO aliases VALUES (?,?)", list(names.items()))

    # -- reading ---------------------------------------------------------------------------

    def documents(self, current_only: bool = True) -> list[dict]:
        rows = [dict(r) for r in self.db.execute("SELECT * FROM documents ORDER BY jurisdiction, doc_id, version")]
        if not current_only:
            return rows
        current = {d: self.current_version(d) for d in {r["doc_id"] for r in rows}}
        return [r for r in rows if r["version"] == current[r["doc_id"]]]

    def current_version(self, doc_id: str, as_of: str = "") -> str | None:
        """Latest dated version (on or before `as_of` when given); undated only when nothing dated exists."""
        versions = [r[0] for r in self.db.execute("SELECT version FROM documents WHERE doc_id=?", (doc_id,))]
        dated = sorted(v for v in versions if v and (not as_of or v <= as_of))
        if dated:
            return dated[-1]
        return "" if "" in versions else None

    def document(self, doc_id: str, version: str | None = None) -> Document | None:
        version = self.current_version(doc_id) if version is None else version
        row = self.db.execute("SELECT * FROM documents WHERE doc_id=? AND version=?", (doc_id, version)).fetchone()
        if row is None:
            return None
        return Document(doc_id=row["doc_id"], title=row["title"], jurisdiction=row["jurisdiction"],
                        kind=row["kind"], version=row["version"], lang=row["lang"], format=row["format"],
                        source=row["source"], official_url=row["official_url"],
                        short_names=tuple(json.loads(row["short_names"] or "[]")),
                        article_level_only=bool(row["article_level_only"]))

    def _provision(self, row: sqlite3.Row, doc: Document) -> Provision:
        return Provision(doc_id=doc.doc_id, address=row["address"], heading=row["heading"], text=row["text"],
                         level=row["level"], title=doc.title, jurisdiction=doc.jurisdiction, kind=doc.kind,
                         version=doc.version, caption=row["caption"] or "", path=tuple(json.loads(row["path"] or "[]")),
                         page=row["page"], line_start=row["line_start"], line_end=row["line_end"],
                         suppl=bool(row["suppl"]), lang=doc.lang, source=doc.source, note=row["note"] or "")

    def get(self, doc_id: str, address: str, version: str | None = None) -> Provision | None:
        doc = self.document(doc_id, version)
        if doc is None:
            return None
        row = self.db.execute("SELECT * FROM provisions WHERE doc_id=? AND version=? AND address=?",
                              (doc_id, doc.version, address)).fetchone()
        return self._provision(row, doc) if row else None

    def get_by_id(self, provision_id: str, version: str | None = None) -> Provision | None:
        doc_id, _, address = provision_id.partition("/")
        return self.get(doc_id, address, version)

    def provisions(self, doc_id: str, version: str | None = None, levels: tuple[str, ...] = ()) -> Iterator[Provision]:
        doc = self.document(doc_id, version)
        if doc is None:
            return
        sql = "SELECT * FROM provisions WHERE doc_id=? AND version=?"
        args: list = [doc_id, doc.version]
        if levels:
            sql += f" AND level IN ({','.join('?' * len(levels))})"
            args += list(levels)
        for row in self.db.execute(sql + " ORDER BY seq", args):
            yield self._provision(row, doc)

    def children(self, provision: Provision) -> list[Provision]:
        """Provisions nested under one (an article's paragraphs, a paragraph's items)."""
        return [p for p in self.provisions(provision.doc_id, provision.version)
                if p.address.startswith(provision.address + "/")]

    # -- names and citations ---------------------------------------------------------------

    def aliases(self) -> dict[str, str]:
        return {r["name"]: r["doc_id"] for r in self.db.execute("SELECT name, doc_id FROM aliases")}

    def known_names(self) -> tuple[list[str], dict[str, str]]:
        """(Japanese law names, EU short name -> CELEX) for the citation parser."""
        names = self.aliases()
        jp = [n for n, d in names.items() if d.startswith("jp:")]
        eu = {n: d.removeprefix("eu:") for n, d in names.items() if d.startswith("eu:")}
        return jp, eu

    def doc_id_for(self, citation: Citation) -> str | None:
        if citation.jurisdiction == "EU" and citation.document[:1].isdigit():
            return "eu:" + citation.document.upper()
        return self.aliases().get(citation.document)

    def resolve(self, citation: Citation, as_of: str = "", exact: bool = False) -> Provision:
        """The provision a citation names, in the current version (or the one in force on `as_of`).

        When the source is coarser than the citation (law Markdown has no paragraph numbers) the
        enclosing article is returned and its note says so, unless `exact` is asked for.
        """
        doc_id = self.doc_id_for(citation)
        if doc_id is None:
            raise CitationNotFound(f"{citation.document!r} is not in the store; run `ruleassist ingest` "
                                   "on its file or check the name")
        version = self.current_version(doc_id, as_of)
        doc = self.document(doc_id, version)
        coarse = doc is not None and doc.article_level_only and not exact
        for address in _candidate_addresses(citation.address, ancestors=coarse):
            found = self.get(doc_id, address, version)
            if found:
                return found
        raise CitationNotFound(f"{doc_id} (version {version or 'undated'}) has no provision {citation.address}")


def _candidate_addresses(address: str, ancestors: bool) -> list[str]:
    """The address itself, the EU point reading of a bare '(1)', then (coarse sources) its ancestors."""
    out = [address]
    if "/p" in address and "/pt-" not in address:
        out.append(address.replace("/p", "/pt-", 1))
    if ancestors:
        parts = address.split("/")
        out += ["/".join(parts[:i]) for i in range(len(parts) - 1, 0, -1)]
    return out


def provision_dict(p: Provision) -> dict:
    """A JSON-friendly view (for the CLI, the app and reports)."""
    return {**asdict(p), "id": p.id, "citation": p.citation}
