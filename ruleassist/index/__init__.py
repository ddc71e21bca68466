"""Hybrid retrieval over the provision store: citations first, then BM25 (Sudachi) + FAISS fused.

    from ruleassist.index import build_index, update_index, index_status, open_index
    build_index(cfg, store)                       # indexes/<cfg.index_name>/, atomic, cached embeddings
    update_index(cfg, store)                      # redo only documents whose content hash changed
    index = open_index(cfg)                       # -> Index; load once, search many times
    hits = index.search("特定自動運行の許可", k=10, jurisdiction="JP")      # -> list[Hit]
    result = index.query("CBAM Article 35")       # -> SearchResult(hits, notices, tokens, seconds)

Modules: tokenize (Sudachi + Latin tokens), bm25, embedders (registry), cache (embedding
cache), dense (windows + FAISS), units/table (what is indexed), manifest (layout, atomic
switch), build, loading, filters, pinning (citations), search, langchain (BaseRetriever).
"""
from ruleassist.index.build import (
           BuildReport,
           IndexStatus,
           build_index,
           index_status,
           update_index,
)
from ruleassist.index.embedders import EMBEDDERS, embedder, make_embedder
from ruleassist.index.search import Index, SearchResult, hit_dict, open_index

__all__ = [
           "EMBEDDERS",
           "BuildReport",
           "Index",
           "IndexStatus",
           "SearchResult",
           "build_index",
           "embedder",
           "hit_dict",
           "index_status",
           "make_embedder",
           "open_index",
           "update_index",
]
