"""Open the live build of an index, checking it before anything is searched.

Every way an index can be unusable gets its own message naming the fix: never built, files
missing or truncated, files that do not load, parts that disagree in size, or an embedder
other than the configured one (its vectors would be compared with the wrong query vectors:
silently wrong results, the one failure a search must never have).
"""
from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from ruleassist.config import Config
from ruleassist.errors import IndexError_
from ruleassist.index.bm25 import Bm25Index
from ruleassist.index.dense import DenseIndex
from ruleassist.index.embedders import make_embedder
from ruleassist.index.manifest import (
    check_files,
    index_root,
    live_folder,
    read_manifest,
)
from ruleassist.index.table import UnitTable
from ruleassist.store import Store

REBUILD = "rebuild it with: ruleassist index build"


def _open_store(cfg: Config, recorded: str) -> Store | None:
    """The store the index was built from, else the configured one; None when neither exists."""
    for path in (Path(recorded) if recorded else None, cfg.store_path):
        if path is not None and path.is_file():
            return Store(path)
    return None


def _load_parts(folder: Path, manifest):
    try:
        units = UnitTable(folder / "units.sqlite")
        bm25 = Bm25Index.load(folder)
        dense = DenseIndex.load(folder) if manifest.dim else None      # embedder "none": no dense part
    except (OSError, ValueError, RuntimeError, KeyError, sqlite3.DatabaseError, json.JSONDecodeError) as exc:
        raise IndexError_(f"index files in {folder} cannot be read ({type(exc).__name__}: {exc}); {REBUILD}") from None
    counts = {"units.sqlite": len(units), "bm25": bm25.model.scores["num_docs"], "manifest": manifest.n_units}
    windows, dim = (dense.index.ntotal, dense.index.d) if dense else (0, 0)
    if len(set(counts.values())) != 1 or windows != manifest.n_windows or dim != manifest.dim:
        raise IndexError_(f"index files in {folder} disagree (units {counts}, windows {windows} of "
                          f"{manifest.n_windows}, dimension {dim} of {manifest.dim}); {REBUILD}")
    return units, bm25, dense


def load(cfg: Config, name: str, store: Store | None = None, embedder=None):
    from ruleassist.index.search import Index
    folder = live_folder(index_root(cfg.index_dir, name))
    if folder is None:
        raise IndexError_(f"no index {name!r} in {cfg.index_dir}; build one with: ruleassist index build"
                          + ("" if name == "default" else f" --name {name}"))
    manifest = read_manifest(folder)
    check_files(folder, manifest)
    if embedder is None and manifest.embedder_name != cfg.embedder:
        raise IndexError_(f"index {name!r} was built with embedder {manifest.embedder_name!r} but the configuration "
                          f"asks for {cfg.embedder!r}; rebuild with `ruleassist index build` or set "
                          f"embedder = \"{manifest.embedder_name}\" (ruleassist.toml or RULEASSIST_EMBEDDER)")
    units, bm25, dense = _load_parts(folder, manifest)
    emb = embedder or make_embedder(cfg)
    if emb.id != manifest.embedder_id:
        raise IndexError_(f"index {name!r} was built with {manifest.embedder_id}, the loaded embedder is {emb.id} "
                          f"(other weights or precision); {REBUILD}")
    return Index(cfg, name, folder, manifest, units, bm25, dense, emb, store or _open_store(cfg, manifest.store))
