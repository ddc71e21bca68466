"""Lexical retrieval: bm25s over the tokens of `tokenize.py`, one BM25 document per provision.

Documents are tokenised once at build time and their tokens kept in the index's unit table,
so an update re-tokenises only the documents that changed; BM25 statistics (IDF) depend on
the whole collection, so the BM25 matrix itself is rebuilt from the kept tokens (seconds).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

K1, B = 1.2, 0.75       # Lucene's defaults; measured no better or worse on lawqa_jp than 1.5


@dataclass
class Bm25Index:
    model: object       # bm25s.BM25

    @classmethod
    def build(cls, corpus_tokens: list[list[str]]) -> Bm25Index:
        import bm25s
        model = bm25s.BM25(k1=K1, b=B, method="lucene")
        # An empty provision still needs a column; bm25s scores the "" token for it.
        model.index([toks or [""] for toks in corpus_tokens], show_progress=False)
        return cls(model)

    def save(self, folder: Path) -> None:
        self.model.save(str(folder / "bm25"), show_progress=False)

    @classmethod
    def load(cls, folder: Path) -> Bm25Index:
        import bm25s
        return cls(bm25s.BM25.load(str(folder / "bm25"), mmap=False, show_progress=False))

    def known(self, tokens: list[str]) -> list[str]:
        """The query tokens that occur somewhere in the collection."""
        vocab = self.model.vocab_dict
        return [t for t in tokens if t and t in vocab]

    def scores(self, tokens: list[str], allowed: np.ndarray | None = None) -> np.ndarray:
        """BM25 score of every unit (0 where no query token occurs); `allowed` masks units out."""
        ids = self.model.get_tokens_ids(self.known(tokens))
        n = self.model.scores["num_docs"]
        if not ids:
            return np.zeros(n, dtype=np.float32)
        out = self.model.get_scores_from_ids(ids)
        if allowed is not None:
            out = np.where(allowed, out, 0.0)
        return out

    def search(self, tokens: list[str], n: int, allowed: np.ndarray | None = None) -> list[tuple[int, float]]:
        """The best `n` units with a score above 0, best first."""
        scores = self.scores(tokens, allowed)
        positive = np.flatnonzero(scores > 0)
        if len(positive) > n:
            positive = positive[np.argpartition(-scores[positive], n - 1)[:n]]
        order = positive[np.argsort(-scores[positive], kind="stable")]
        return [(int(i), float(scores[i])) for i in order]
