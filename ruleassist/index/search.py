"""Search an index: explicit citations first, then reciprocal-rank fusion of dense and BM25.

    index = open_index(cfg)                                   # loads the live build and the embedder once
    hits = index.search("特定自動運行を行うには誰の許可が必要か", k=10)
    hits = index.search("reporting obligations of declarants", jurisdiction="EU", k=5)
    result = index.query("CBAM Article 35", as_of="2025-01-01")   # hits + notices (what was skipped and why)

1. Citations in the query (金融商品取引法第5条第6項, CBAM Article 35) are resolved against the
   store and pinned at the top, in the order they appear: a person who names an article wants it.
2. BM25 and dense retrieval each rank the units passing the filters; the two rankings are fused
   by weighted reciprocal rank, weight `fusion_weight(cfg, embedder)` for dense (1 - it for BM25): the
   configured `fusion_dense_weight`, else the one measured for the index's embedder.
3. Hits are provisions (a long article's windows collapse into it), each with its per-retriever
   scores; filters: jurisdiction, documents (id or name), kinds, and the version in force on a date.
"""
from __future__ import annotations

import re
import time
from collections import OrderedDict
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from ruleassist.config import Config
from ruleassist.errors import QueryError
from ruleassist.index import tokenize
from ruleassist.index.embedders import fusion_weight
from ruleassist.index.filters import Filters, make_filters
from ruleassist.index.pinning import pinned_hits, related
from ruleassist.records import Hit, Provision
from ruleassist.store import Store

RRF_K = 60                  # the usual reciprocal-rank constant: flattens the head of each ranking
MAX_QUERY_CHARS = 10_000    # a pasted article or a long question fits; a whole law does not
QUERY_CACHE = 512
WORD = re.compile(r"\w", re.UNICODE)


@dataclass
class SearchResult:
    query: str
    hits: list[Hit]
    notices: list[str] = field(default_factory=list)   # what the user should know: unresolved citations, no words
    tokens: list[str] = field(default_factory=list)    # BM25 tokens that matched the index
    seconds: float = 0.0


def check_query(query: str) -> str:
    if not isinstance(query, str) or not query.strip():
        raise QueryError("the query is empty; type a question or a citation, e.g. "
                         "ruleassist search '特定自動運行の許可' or ruleassist search 'CBAM Article 35'")
    if len(query) > MAX_QUERY_CHARS:
        raise QueryError(f"the query is {len(query):,} characters long; the limit is {MAX_QUERY_CHARS:,}. "
                         "Search with the question or the passage that matters, not a whole document")
    if not WORD.search(query):
        raise QueryError(f"the query {query.strip()[:40]!r} has only punctuation or symbols; "
                         "search with words, e.g. ruleassist search '個人情報の第三者提供'")
    return query.strip()


def rrf(rankings: dict[str, list[tuple[int, float]]], weights: dict[str, float]) -> list[tuple[int, float]]:
    """Weighted reciprocal-rank fusion: sum of weight / (RRF_K + rank) over the rankings, best first."""
    fused: dict[int, float] = {}
    for name, ranking in rankings.items():
        w = weights.get(name, 0.0)
        if w <= 0:
            continue
        for rank, (row, _) in enumerate(ranking, start=1):
            fused[row] = fused.get(row, 0.0) + w / (RRF_K + rank)
    return sorted(fused.items(), key=lambda x: -x[1])


def snippet(text: str, words: list[str], width: int = 160) -> str:
    """A piece of `text` around the first query word it contains (the start when none does)."""
    flat = " ".join(text.split())
    found = [flat.find(w) for w in sorted(set(words), key=len, reverse=True) if len(w) > 1 and w in flat]
    at = min(found) if found else 0
    start = max(0, at - width // 4)
    piece = flat[start:start + width]
    return ("…" if start else "") + piece + ("…" if start + width < len(flat) else "")


class Index:
    """A loaded index build: BM25, FAISS, the unit table and the embedder. Built by `open_index`."""

    def __init__(self, cfg: Config, name: str, folder: Path, manifest, units, bm25, dense, embedder,
                 store: Store | None):
        self.cfg, self.name, self.folder, self.manifest = cfg, name, folder, manifest
        self.units, self.bm25, self.dense, self.embedder, self.store = units, bm25, dense, embedder, store
        self.dense_weight = fusion_weight(cfg, manifest.embedder_name)
        self._query_vectors: OrderedDict[str, np.ndarray] = OrderedDict()
        self._names: tuple[list[str], dict[str, str]] | None = None

    def known_names(self) -> tuple[list[str], dict[str, str]]:
        """(Japanese law names, EU short names) for the citation parser, read from the store once."""
        if self._names is None:
            self._names = self.store.known_names() if self.store is not None else ([], {})
        return self._names

    # -- the two retrievers ------------------------------------------------------------------

    def forget_queries(self) -> None:
        """Drop cached query vectors (benchmarks time the query embedding on every query)."""
        self._query_vectors.clear()

    def query_vector(self, text: str) -> np.ndarray:
        vec = self._query_vectors.get(text)
        if vec is None:
            vec = self.embedder.encode_queries([text])[0]
            self._query_vectors[text] = vec
            if len(self._query_vectors) > QUERY_CACHE:
                self._query_vectors.popitem(last=False)
        return vec

    def bm25_ranking(self, tokens: list[str], n: int, allowed: np.ndarray | None) -> list[tuple[int, float]]:
        return self.bm25.search(tokens, n, allowed) if tokens else []

    def dense_ranking(self, query: str, n: int, allowed: np.ndarray | None) -> list[tuple[int, float]]:
        return self.dense.search(self.query_vector(query), n, allowed)

    # -- search ------------------------------------------------------------------------------

    def search(self, query: str, k: int = 10, jurisdiction: str | None = None, doc_ids=None, kinds=None,
               as_of: str | None = None, retrievers: tuple[str, ...] = ("citation", "bm25", "dense")) -> list[Hit]:
        """The `k` best provisions for `query` (pinned citations first); see `query` for notices."""
        return self.query(query, k, jurisdiction, doc_ids, kinds, as_of, retrievers).hits

    def query(self, query: str, k: int = 10, jurisdiction: str | None = None, doc_ids=None, kinds=None,
              as_of: str | None = None, retrievers: tuple[str, ...] = ("citation", "bm25", "dense")) -> SearchResult:
        start = time.perf_counter()
        query = check_query(query)
        if k < 1:
            raise QueryError(f"k must be at least 1 (got {k})")
        filters = make_filters(self, jurisdiction, doc_ids, kinds, as_of)
        result = SearchResult(query, [])
        pinned = pinned_hits(self, query, filters, result.notices) if "citation" in retrievers else []
        depth = max(100, 5 * k)
        rankings: dict[str, list[tuple[int, float]]] = {}
        if "bm25" in retrievers:
            tokens = tokenize.tokens(query)
            result.tokens = self.bm25.known(tokens)
            rankings["bm25"] = self.bm25_ranking(result.tokens, depth, filters.mask)
            _explain_tokens(tokens, result, pinned)
        if "dense" in retrievers and self.dense is None:
            result.notices.append(f"index {self.name!r} has no dense vectors (built with embedder 'none'): "
                                  "BM25 and citations only")
        elif "dense" in retrievers:
            rankings["dense"] = self.dense_ranking(query, depth, filters.mask)
        weights = {"dense": self.dense_weight, "bm25": 1.0 - self.dense_weight}
        if len(rankings) == 1:
            weights = {name: 1.0 for name in rankings}
        fused = rrf(rankings, weights)
        result.hits = self._hits(self._order_pinned(pinned, fused), fused, rankings, filters, k)
        result.seconds = time.perf_counter() - start
        return result

    def _order_pinned(self, pinned: list[Hit], fused: list[tuple[int, float]]) -> list[Hit]:
        """Several cited articles: the one the retrievers rank best comes first (a question citing
        法第2条 in passing and 法第64条 as its subject is about 第64条); unranked ones keep query order."""
        if len(pinned) < 2:
            return pinned
        place = {}
        for i, (row, _) in enumerate(fused):
            key = (self.units.doc_id[row], self.units.address[row])
            place.setdefault(key, i)
        def position(hit: Hit) -> int:
            p = hit.provision
            article = p.address.split("/")[0] if not p.address.startswith("suppl/") else "/".join(p.address.split("/")[:2])
            return min(place.get((p.doc_id, p.address), len(fused)), place.get((p.doc_id, article), len(fused)))
        return sorted(pinned, key=position)       # stable: ties keep the order of the query

    def _hits(self, pinned: list[Hit], fused, rankings, filters: Filters, k: int) -> list[Hit]:
        per = {name: dict(r) for name, r in rankings.items()}
        hits = list(pinned[:k])
        for row, score in fused:
            if len(hits) >= k:
                break
            provision = filters.in_force(self.units.provision(row))
            if provision is None or any(related(provision, h.provision) for h in hits):
                continue
            scores = tuple((name, round(per[name][row], 4)) for name in per if row in per[name])
            hits.append(Hit(provision, round(score, 6), scores + (("fused", round(score, 6)),)))
        return [replace(h, rank=i) for i, h in enumerate(hits, start=1)]


def _explain_tokens(tokens: list[str], result: SearchResult, pinned: list[Hit]) -> None:
    if not tokens:
        result.notices.append("the query has no searchable words for BM25 (only particles, symbols or "
                              "stop words); results come from the dense retriever"
                              + (" and the citations" if pinned else ""))
    elif not result.tokens:
        result.notices.append(f"none of the query words ({', '.join(tokens[:8])}) occur in the index; "
                              "results come from the dense retriever")


def open_index(cfg: Config, name: str | None = None, store: Store | None = None, embedder=None) -> Index:
    """Load the live build of index `name` (default cfg.index_name); raises IndexError_ saying what to run."""
    from ruleassist.index.loading import load
    return load(cfg, name or cfg.index_name, store, embedder)


def hit_dict(hit: Hit, words: list[str] = ()) -> dict:
    """A JSON-friendly hit (CLI --json, the app, reports)."""
    p: Provision = hit.provision
    return {"rank": hit.rank, "id": p.id, "citation": p.citation, "caption": p.caption, "pinned": hit.pinned,
            "score": hit.score, "scores": dict(hit.scores), "jurisdiction": p.jurisdiction, "kind": p.kind,
            "version": p.version, "snippet": snippet(p.text, list(words))}
