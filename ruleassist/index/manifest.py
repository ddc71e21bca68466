"""The manifest of one index build, and the folder layout that makes builds atomic.

    indexes/<name>/
      CURRENT               the live build's folder name; replaced atomically (os.replace)
      build-<stamp>/        manifest.json, units.sqlite, bm25/, dense.faiss, windows.npy
      .tmp-<stamp>/         a build in progress: never read; removed when it fails or by the next build
      embeddings.sqlite     the embedding cache, shared by every build of this index
      .lock                 one writer at a time

A build writes everything into .tmp-<stamp>/, renames it to build-<stamp>/ and only then
points CURRENT at it, so a crash at any moment leaves the previous build live and intact.
"""
from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ruleassist.errors import IndexError_

FORMAT = 1
FILES = ("manifest.json", "units.sqlite", "dense.faiss", "windows.npy", "bm25")


@dataclass
class Manifest:
    name: str
    embedder_name: str              # Config.embedder at build time ("embeddinggemma")
    embedder_id: str                # name/precision/weights fingerprint: keys the embedding cache
    embedder_hash: str
    dim: int
    tokenizer: str
    units: str                      # unit selection scheme (units.UNITS_ID)
    max_seq_tokens: int
    query_max_tokens: int
    faiss_index: str
    store: str
    documents: dict[str, dict] = field(default_factory=dict)   # doc_id -> version, hash, title, units, windows
    n_units: int = 0
    n_windows: int = 0
    built_at: str = ""
    build_seconds: float = 0.0
    embedded: int = 0               # windows embedded by this build (the rest came from the cache)
    passages_per_s: float = 0.0     # embedding speed measured during this build
    file_sizes: dict[str, int] = field(default_factory=dict)
    format: int = FORMAT

    def settings(self) -> dict:
        """What must match for one build's rows to be reused by the next."""
        return {"embedder_id": self.embedder_id, "tokenizer": self.tokenizer, "units": self.units,
                "max_seq_tokens": self.max_seq_tokens}


def write_json_atomic(path: Path, data: dict) -> None:
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    tmp.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    os.replace(tmp, path)


def write_manifest(folder: Path, manifest: Manifest) -> None:
    write_json_atomic(folder / "manifest.json", asdict(manifest))


def read_manifest(folder: Path) -> Manifest:
    path = folder / "manifest.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("format") != FORMAT:
            raise IndexError_(f"{path} has format {data.get('format')}, this version reads {FORMAT}; "
                              "rebuild it with: ruleassist index build")
        return Manifest(**data)
    except (OSError, ValueError, TypeError) as exc:
        raise IndexError_(f"{path} is missing or damaged ({exc}); rebuild with: ruleassist index build") from None


def index_root(index_dir: Path, name: str) -> Path:
    return Path(index_dir) / name


def live_folder(root: Path) -> Path | None:
    """The build CURRENT points at, or None when this index was never built."""
    pointer = root / "CURRENT"
    if not pointer.is_file():
        return None
    folder = root / pointer.read_text(encoding="utf-8").strip()
    if not folder.is_dir():
        raise IndexError_(f"{pointer} points at {folder.name}, which is missing; "
                          "rebuild with: ruleassist index build")
    return folder


def point_at(root: Path, folder: Path) -> None:
    tmp = root / f".CURRENT.tmp{os.getpid()}"
    tmp.write_text(folder.name, encoding="utf-8")
    os.replace(tmp, root / "CURRENT")


def file_sizes(folder: Path) -> dict[str, int]:
    out = {}
    for name in FILES:
        path = folder / name
        if path.is_dir():
            for f in sorted(path.iterdir()):
                out[f"{name}/{f.name}"] = f.stat().st_size
        elif path.exists() and name != "manifest.json":
            out[name] = path.stat().st_size
    return out


def check_files(folder: Path, manifest: Manifest) -> None:
    """Every file the build wrote is there with its size: catches deletions and truncation cheaply."""
    for name, size in manifest.file_sizes.items():
        path = folder / name
        if not path.is_file():
            raise IndexError_(f"index file {path} is missing; rebuild with: ruleassist index build")
        if path.stat().st_size != size:
            raise IndexError_(f"index file {path} has {path.stat().st_size} bytes, the build wrote {size} "
                              "(truncated or overwritten?); rebuild with: ruleassist index build")
