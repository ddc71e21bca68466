"""The retriever a gap run uses: the built index, or a Japanese BM25 over the store when there is none.

A dense index of the whole corpus takes hours to embed on a 2-core CPU; a gap report should
not wait for it. Without an index, Japanese article units are tokenised with the index's own
tokenizer and ranked by BM25 (a minute for the whole Japanese corpus); the glossary query
expansion then carries the cross-language step alone, and the run says so in a notice.
"""
from __future__ import annotations

import logging

from ruleassist.errors import IndexError_
from ruleassist.records import Hit
from ruleassist.store import Store

log = logging.getLogger(__name__)
NO_DENSE = ("no search index is built, so Japanese provisions were found by BM25 over the glossary's Japanese "
            "terms only (no dense cross-language retrieval); build the index for better recall: ruleassist index build")


class LexicalIndex:
    """BM25 over the article-level units of the current Japanese documents of a store."""

    def __init__(self, store: Store):
        from ruleassist.index import tokenize
        from ruleassist.index.bm25 import Bm25Index
        from ruleassist.index.units import document_units

        self.store = store
        self.units = [u for d in store.documents() if d["jurisdiction"] == "JP"
                      for u in document_units(store, d["doc_id"])]
        self.bm25 = Bm25Index.build([tokenize.tokens(u.text) for u in self.units])
        self._tokenize = tokenize.tokens

    def search(self, query: str, k: int = 10, jurisdiction: str | None = "JP",
               retrievers: tuple[str, ...] = ("bm25",), **_) -> list[Hit]:
        if "bm25" not in retrievers or jurisdiction not in (None, "JP") or not self.units:
            return []
        ranking = self.bm25.search(self._tokenize(query), k)
        return [Hit(self.units[i].provision, round(s, 4), (("bm25", round(s, 4)),), rank=r)
                for r, (i, s) in enumerate(ranking, start=1)]


def open_retriever(ws, dense: bool = True) -> tuple[object, list[str]]:
    """(index, notices): the workspace's index, else a LexicalIndex with a notice saying so."""
    if not dense:
        return LexicalIndex(ws.store), ["dense retrieval switched off (--no-dense): Japanese BM25 with glossary terms only"]
    try:
        index = ws.index()
    except IndexError_ as exc:
        log.warning("no index (%s); using Japanese BM25 over the store", exc)
        return LexicalIndex(ws.store), [NO_DENSE]
    if getattr(index, "dense", True) is None:       # an index built with embedder "none"
        return index, [(f"index {index.name!r} has no dense vectors: Japanese provisions were found by BM25 over "
                        "the glossary's Japanese terms only; rebuild it with an embedder for cross-language recall")]
    return index, []
