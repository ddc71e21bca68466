"""Dense retrieval: provisions cut into windows of at most `max_tokens`, one FAISS vector each.

A provision longer than the cap is not truncated: it becomes several overlapping windows
that all point back to it, so its last paragraph is as searchable as its first, and a search
returns the provision once, scored by its best window. Every window starts with the
provision's header (law title, article, caption) so that even a late window knows where it is.

The FAISS index type is a config choice (`Config.faiss_index`): "flat" (exact inner product;
right for the sizes here), "hnsw" or "ivf" (approximate; for a million provisions).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ruleassist.errors import ConfigError

OVERLAP_FRACTION = 8        # windows overlap by 1/8 of their length: a sentence cut at a border survives whole once
CHARS_PER_TOKEN = 2         # for embedders without a tokenizer (USE): a cautious Japanese/English mix
FAISS_KINDS = ("flat", "hnsw", "ivf")


def windows(body: str, spans: list[tuple[int, int]] | None, size: int) -> list[tuple[int, int]]:
    """Character ranges of `body`, each at most `size` tokens, overlapping a little."""
    size = max(size, 16)
    if spans is None:                       # no tokenizer: cut by characters
        spans = [(i, min(i + CHARS_PER_TOKEN, len(body))) for i in range(0, len(body), CHARS_PER_TOKEN)]
    if len(spans) <= size:
        return [(0, len(body))]
    step = size - size // OVERLAP_FRACTION
    out = []
    for start in range(0, len(spans), step):
        end = min(start + size, len(spans))
        out.append((0 if start == 0 else spans[start][0], len(body) if end == len(spans) else spans[end - 1][1]))
        if end == len(spans):
            break
    return out


def window_texts(header: str, body: str, ranges: list[tuple[int, int]]) -> list[str]:
    return [f"{header}\n{body[a:b]}".strip() for a, b in ranges]


def make_faiss(kind: str, dim: int, vectors: np.ndarray):
    import faiss
    n = len(vectors)
    if kind == "flat" or (kind == "ivf" and n < 10_000):     # IVF needs enough points to train on
        index = faiss.IndexFlatIP(dim)
    elif kind == "hnsw":
        index = faiss.IndexHNSWFlat(dim, 32, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = 80
    elif kind == "ivf":
        nlist = int(4 * np.sqrt(n))
        index = faiss.IndexIVFFlat(faiss.IndexFlatIP(dim), dim, nlist, faiss.METRIC_INNER_PRODUCT)
        index.train(vectors)
    else:
        raise ConfigError(f"faiss_index {kind!r} is not one of {', '.join(FAISS_KINDS)}")
    if n:
        index.add(vectors)
    return index


@dataclass
class DenseIndex:
    index: object               # a faiss.Index
    window_unit: np.ndarray     # (n_windows,) int32: the unit row each vector belongs to

    @classmethod
    def build(cls, kind: str, dim: int, vectors: np.ndarray, window_unit: np.ndarray) -> DenseIndex:
        vectors = np.ascontiguousarray(vectors, dtype=np.float32).reshape(-1, dim)
        return cls(make_faiss(kind, dim, vectors), np.asarray(window_unit, dtype=np.int32))

    def save(self, folder: Path) -> None:
        import faiss
        faiss.write_index(self.index, str(folder / "dense.faiss"))
        np.save(folder / "windows.npy", self.window_unit)

    @classmethod
    def load(cls, folder: Path) -> DenseIndex:
        import faiss
        index = faiss.read_index(str(folder / "dense.faiss"))
        window_unit = np.load(folder / "windows.npy")
        if index.ntotal != len(window_unit):
            raise ValueError(f"dense.faiss holds {index.ntotal} vectors but windows.npy {len(window_unit)}")
        return cls(index, window_unit)

    def _params(self, allowed_windows: np.ndarray | None):
        import faiss
        kwargs = {}
        if allowed_windows is not None:
            kwargs["sel"] = faiss.IDSelectorBatch(allowed_windows.astype(np.int64))
        if isinstance(self.index, faiss.IndexHNSW):
            return faiss.SearchParametersHNSW(efSearch=128, **kwargs)
        if isinstance(self.index, faiss.IndexIVF):
            return faiss.SearchParametersIVF(nprobe=16, **kwargs)
        return faiss.SearchParameters(**kwargs) if kwargs else None

    def search(self, query: np.ndarray, n: int, allowed_units: np.ndarray | None = None) -> list[tuple[int, float]]:
        """The best `n` units (row, cosine of their best window), best first."""
        allowed_windows = None
        if allowed_units is not None:
            allowed_windows = np.flatnonzero(allowed_units[self.window_unit])
            if not len(allowed_windows):
                return []
        want = min(self.index.ntotal, n * 3)        # several windows of one unit may come first
        if want == 0:
            return []
        scores, ids = self.index.search(query.reshape(1, -1).astype(np.float32), want, params=self._params(allowed_windows))
        best: dict[int, float] = {}
        for score, wid in zip(scores[0], ids[0]):
            if wid >= 0:
                unit = int(self.window_unit[wid])
                best.setdefault(unit, float(score))     # results come best first
        return list(best.items())[:n]
