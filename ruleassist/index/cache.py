"""On-disk embedding cache: one SQLite file, vectors keyed by sha256(embedder id, text).

It lives beside the builds of an index (indexes/<name>/embeddings.sqlite), outside the
folders that builds swap, so a rebuild or an update embeds only text it has never seen, and
a build that crashed half-way resumes from what it had already embedded.
"""
from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import numpy as np

SCHEMA = "CREATE TABLE IF NOT EXISTS vectors (key BLOB PRIMARY KEY, vec BLOB NOT NULL)"
BATCH = 500     # SQLite caps the number of host parameters in one statement


def text_key(embedder_id: str, text: str) -> bytes:
    return hashlib.sha256(f"{embedder_id}\0{text}".encode()).digest()[:20]


class EmbeddingCache:
    def __init__(self, path: Path, embedder_id: str, dim: int):
        self.path, self.embedder_id, self.dim = Path(path), embedder_id, dim
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(self.path, timeout=60)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute(SCHEMA)

    def get(self, texts: list[str]) -> dict[int, np.ndarray]:
        """Vectors already cached, by position in `texts`."""
        keys = [text_key(self.embedder_id, t) for t in texts]
        where: dict[bytes, list[int]] = {}
        for i, key in enumerate(keys):
            where.setdefault(key, []).append(i)
        found: dict[int, np.ndarray] = {}
        unique = list(where)
        for start in range(0, len(unique), BATCH):
            part = unique[start:start + BATCH]
            rows = self.db.execute(f"SELECT key, vec FROM vectors WHERE key IN ({','.join('?' * len(part))})", part)
            for key, blob in rows:
                vec = np.frombuffer(blob, dtype=np.float32)
                if vec.shape[0] == self.dim:        # a vector of another width is not ours: embed again
                    for i in where[key]:
                        found[i] = vec
        return found

    def put(self, texts: list[str], vectors: np.ndarray) -> None:
        rows = [(text_key(self.embedder_id, t), np.asarray(v, dtype=np.float32).tobytes())
                for t, v in zip(texts, vectors)]
        with self.db:
            self.db.executemany("INSERT OR REPLACE INTO vectors VALUES (?, ?)", rows)

    def __len__(self) -> int:
        return self.db.execute("SELECT COUNT(*) FROM vectors").fetchone()[0]

    def close(self) -> None:
        self.db.close()
