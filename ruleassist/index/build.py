"""Build, update and inspect an index: `build_index`, `update_index`, `index_status`.

    report = build_index(cfg, Store(cfg.store_path))          # everything, reusing cached embeddings
    report = update_index(cfg, store)                         # only documents whose hash changed
    status = index_status(cfg, store)                         # what an update would do, and the build's facts

Every build is written to a temporary folder and switched in atomically (see manifest.py);
a failure at any point leaves the previous build live. Embeddings are cached per text, so a
rebuild embeds only text it has not seen (an edited article, not its whole law).
"""
from __future__ import annotations

import fcntl
import logging
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from tqdm import tqdm

from ruleassist.config import Config
from ruleassist.errors import IndexError_
from ruleassist.index import dense, tokenize
from ruleassist.index.bm25 import Bm25Index
from ruleassist.index.cache import EmbeddingCache
from ruleassist.index.embedders import Embedder, describe, make_embedder
from ruleassist.index.manifest import (
    Manifest,
    check_files,
    file_sizes,
    index_root,
    live_folder,
    point_at,
    read_manifest,
    write_manifest,
)
from ruleassist.index.table import Row, read_doc_rows, write_rows
from ruleassist.index.units import UNITS_ID, Unit, document_units, units_hash
from ruleassist.store import Store

log = logging.getLogger(__name__)
EMBED_CHUNK = 64        # texts per encode call: the unit of progress and of cache writes


@dataclass
class BuildReport:
    name: str
    folder: Path
    manifest: Manifest
    added: list[str] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: int = 0
    embedded: int = 0           # windows embedded now
    cached: int = 0             # windows whose vectors came from the cache
    seconds: float = 0.0
    rebuilt: bool = True        # False when an update found nothing to do

    def summary(self) -> str:
        if not self.rebuilt:
            return f"index {self.name!r} is up to date ({self.unchanged} documents)"
        m = self.manifest
        speed = f" at {m.passages_per_s:.1f} passages/s" if self.embedded else ""
        return (f"index {self.name!r}: {len(m.documents)} documents, {m.n_units} units, {m.n_windows} windows; "
                f"{len(self.added)} added, {len(self.replaced)} replaced, {len(self.removed)} removed, "
                f"{self.unchanged} unchanged; {self.embedded} windows embedded{speed}, {self.cached} from "
                f"the cache; {self.seconds:.1f} s")


@contextmanager
def _locked(root: Path) -> Iterator[None]:
    root.mkdir(parents=True, exist_ok=True)
    with open(root / ".lock", "w") as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise IndexError_(f"another build of index {root.name!r} is running; wait for it to finish") from None
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def _current_docs(store: Store) -> dict[str, tuple[dict, list[Unit], str]]:
    docs = store.documents()
    if not docs:
        raise IndexError_(f"the store {store.path} holds no documents; run: ruleassist ingest PATH --store {store.path}")
    out = {}
    for d in docs:
        units = document_units(store, d["doc_id"])
        if units:
            out[d["doc_id"]] = (d, units, units_hash(units))
    return out


def _new_rows(units: list[Unit], emb: Embedder, max_tokens: int) -> list[Row]:
    rows = []
    for u in units:
        spans = emb.token_spans(u.header)
        size = max_tokens - (len(spans) if spans is not None else len(u.header) // dense.CHARS_PER_TOKEN)
        ranges = dense.windows(u.body, emb.token_spans(u.body), size) if emb.dim else []
        rows.append(Row(u.provision, u.header, tokenize.tokens(u.text), ranges))
    return rows


def _embed(texts: list[str], emb: Embedder, cache: EmbeddingCache, progress: bool) -> tuple[np.ndarray, int, float]:
    """Vectors for `texts`, from the cache where possible; returns (vectors, embedded, seconds)."""
    found = cache.get(texts)
    todo = sorted({texts[i] for i in range(len(texts)) if i not in found}, key=len, reverse=True)
    start = time.perf_counter()
    with tqdm(total=len(todo), desc="embed", unit="passage", disable=not progress or not todo) as bar:
        for at in range(0, len(todo), EMBED_CHUNK):
            chunk = todo[at:at + EMBED_CHUNK]
            cache.put(chunk, emb.encode_documents(chunk))
            bar.update(len(chunk))
    seconds = time.perf_counter() - start
    if todo:
        found = cache.get(texts)
    vectors = np.zeros((len(texts), emb.dim), dtype=np.float32)
    for i, vec in found.items():
        vectors[i] = vec
    if len(found) != len(texts):
        raise IndexError_(f"{len(texts) - len(found)} embeddings missing from {cache.path} after embedding; "
                          "delete it and run: ruleassist index build")
    return vectors, len(todo), seconds


def _write_build(root: Path, manifest: Manifest, rows: list[Row], emb: Embedder, cfg: Config,
                 progress: bool) -> tuple[Path, int, int, float]:
    """Write a complete build into a temporary folder and switch it in; returns (folder, embedded, cached, s)."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    tmp, final = root / f".tmp-{stamp}", root / f"build-{stamp}"
    tmp.mkdir(parents=True)
    try:
        write_rows(tmp / "units.sqlite", rows)
        Bm25Index.build([r.tokens for r in rows]).save(tmp)
        texts, owner = [], []
        for i, r in enumerate(rows):
            for text in dense.window_texts(r.header, r.provision.text, r.windows):
                texts.append(text)
                owner.append(i)
        embedded, seconds = 0, 0.0
        if emb.dim:                             # the "none" embedder: BM25 and citations only
            cache = EmbeddingCache(root / "embeddings.sqlite", emb.id, emb.dim)
            try:
                vectors, embedded, seconds = _embed(texts, emb, cache, progress)
            finally:
                cache.close()
            dense.DenseIndex.build(cfg.faiss_index, emb.dim, vectors, np.array(owner, dtype=np.int32)).save(tmp)
        manifest.n_units, manifest.n_windows, manifest.embedded = len(rows), len(texts), embedded
        manifest.passages_per_s = round(embedded / seconds, 2) if embedded and seconds else 0.0
        manifest.file_sizes = file_sizes(tmp)
        write_manifest(tmp, manifest)
        tmp.rename(final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    point_at(root, final)
    for old in root.glob("build-*"):
        if old != final:
            shutil.rmtree(old, ignore_errors=True)
    return final, embedded, len(texts) - embedded, seconds


def _run(cfg: Config, store: Store, name: str | None, reuse: bool, progress: bool,
         embedder: Embedder | None) -> BuildReport:
    name = name or cfg.index_name
    root = index_root(cfg.index_dir, name)
    start = time.perf_counter()
    with _locked(root):
        for junk in root.glob(".tmp-*"):        # left by a build that crashed: we hold the lock, so it is dead
            shutil.rmtree(junk, ignore_errors=True)
        live = live_folder(root)
        previous = read_manifest(live) if live else None
        docs = _current_docs(store)
        old_docs = previous.documents if previous and reuse else {}
        if reuse and previous:
            _check_same_settings(previous, cfg)
        unchanged = {d for d, (_, _, h) in docs.items() if old_docs.get(d, {}).get("hash") == h}
        report = BuildReport(name, live or root, previous, unchanged=len(unchanged),
                             added=sorted(set(docs) - set(old_docs)),
                             replaced=sorted(d for d in docs if d in old_docs and d not in unchanged),
                             removed=sorted(set(old_docs) - set(docs)))
        if reuse and previous and not (report.added or report.replaced or report.removed):
            report.rebuilt, report.seconds = False, time.perf_counter() - start
            return report
        emb = embedder or make_embedder(cfg)
        if reuse and previous and previous.embedder_id != emb.id:
            raise IndexError_(_other_embedder(name, previous.embedder_id, emb.id))
        kept = read_doc_rows(live / "units.sqlite", unchanged) if reuse and live else {}
        rows: list[Row] = []
        for doc_id, (_, units, _) in tqdm(docs.items(), desc="tokenise", unit="doc", disable=not progress):
            rows += kept.get(doc_id) or _new_rows(units, emb, cfg.max_seq_tokens)
        manifest = _manifest(cfg, name, store, emb, docs, rows)
        folder, report.embedded, report.cached, _ = _write_build(root, manifest, rows, emb, cfg, progress)
        manifest.build_seconds = round(time.perf_counter() - start, 1)
        write_manifest(folder, manifest)
        report.folder, report.manifest, report.seconds = folder, manifest, manifest.build_seconds
        log.info("%s", report.summary())
        return report


def _manifest(cfg: Config, name: str, store: Store, emb: Embedder, docs: dict, rows: list[Row]) -> Manifest:
    per_doc: dict[str, dict] = {}
    for r in rows:
        entry = per_doc.setdefault(r.provision.doc_id, {"units": 0, "windows": 0})
        entry["units"] += 1
        entry["windows"] += len(r.windows)
    for doc_id, (d, _, h) in docs.items():
        per_doc[doc_id].update(version=d["version"], hash=h, title=d["title"], jurisdiction=d["jurisdiction"],
                               kind=d["kind"])
    info = describe(emb)
    return Manifest(name=name, embedder_name=cfg.embedder, embedder_id=info["id"], embedder_hash=info["hash"],
                    dim=emb.dim, tokenizer=tokenize.TOKENIZER_ID, units=UNITS_ID, max_seq_tokens=cfg.max_seq_tokens,
                    query_max_tokens=getattr(emb, "query_max_tokens", 0), faiss_index=cfg.faiss_index,
                    store=str(store.path), documents=per_doc,
                    built_at=datetime.now(UTC).isoformat(timespec="seconds"))


def _other_embedder(name: str, built: str, configured: str) -> str:
    return (f"index {name!r} was built with embedder {built} but the configuration gives {configured}; "
            f"run `ruleassist index build --name {name}` to rebuild it, or set embedder back")


def _check_same_settings(previous: Manifest, cfg: Config) -> None:
    wanted = {"embedder": cfg.embedder, "tokenizer": tokenize.TOKENIZER_ID, "units": UNITS_ID,
              "max_seq_tokens": cfg.max_seq_tokens}
    had = {"embedder": previous.embedder_name, "tokenizer": previous.tokenizer, "units": previous.units,
           "max_seq_tokens": previous.max_seq_tokens}
    diff = [f"{k}: {had[k]} -> {wanted[k]}" for k in wanted if had[k] != wanted[k]]
    if diff:
        raise IndexError_(f"index {previous.name!r} was built with other settings ({'; '.join(diff)}), so every "
                          f"document must be redone; run: ruleassist index build --name {previous.name}")


def build_index(cfg: Config, store: Store, name: str | None = None, progress: bool = True,
                embedder: Embedder | None = None) -> BuildReport:
    """Index every current document of `store` under indexes/<name>; cached embeddings are reused."""
    return _run(cfg, store, name, reuse=False, progress=progress, embedder=embedder)


def update_index(cfg: Config, store: Store, name: str | None = None, progress: bool = True,
                 embedder: Embedder | None = None) -> BuildReport:
    """Redo only the documents added, changed or removed since the live build (a full build if none)."""
    return _run(cfg, store, name, reuse=True, progress=progress, embedder=embedder)


@dataclass
class IndexStatus:
    name: str
    folder: Path | None
    manifest: Manifest | None
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def is_stale(self) -> bool:
        return bool(self.added or self.changed or self.removed)


def index_status(cfg: Config, store: Store | None = None, name: str | None = None) -> IndexStatus:
    """The live build's manifest, whether its files are intact, and what differs from the store."""
    name = name or cfg.index_name
    root = index_root(cfg.index_dir, name)
    live = live_folder(root)
    if live is None:
        problem = f"no index {name!r} in {cfg.index_dir}; build one with: ruleassist index build --name {name}"
        return IndexStatus(name, None, None, problems=[problem])
    manifest = read_manifest(live)
    status = IndexStatus(name, live, manifest)
    try:
        check_files(live, manifest)
    except IndexError_ as exc:
        status.problems.append(str(exc))
    if manifest.embedder_name != cfg.embedder:
        status.problems.append(f"built with embedder {manifest.embedder_name!r}, configured {cfg.embedder!r}: "
                               f"searching needs a rebuild (ruleassist index build --name {name})")
    if store is not None:
        docs = {d: h for d, (_, _, h) in _current_docs(store).items()}
        old = manifest.documents
        status.added = sorted(set(docs) - set(old))
        status.removed = sorted(set(old) - set(docs))
        status.changed = sorted(d for d in docs if d in old and old[d]["hash"] != docs[d])
    return status
