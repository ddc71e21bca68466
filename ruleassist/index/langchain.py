"""The index as a LangChain retriever, so it plugs into LangChain chains unchanged.

    from ruleassist.index.langchain import RuleAssistRetriever
    retriever = RuleAssistRetriever(index=open_index(cfg), k=5, jurisdiction="JP")
    docs = retriever.invoke("特定自動運行の許可")      # list[langchain_core.documents.Document]

Each Document's page_content is the provision's text; its metadata carries the citation, the
provision id, whether it was pinned by an explicit citation, and each retriever's score.
"""
from __future__ import annotations

from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever

from ruleassist.index.search import hit_dict


class RuleAssistRetriever(BaseRetriever):
    index: Any                          # ruleassist.index.search.Index
    k: int = 10
    jurisdiction: str | None = None
    doc_ids: list[str] | None = None
    kinds: list[str] | None = None
    as_of: str | None = None

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun) -> list[Document]:
        result = self.index.query(query, k=self.k, jurisdiction=self.jurisdiction, doc_ids=self.doc_ids,
                                  kinds=self.kinds, as_of=self.as_of)
        docs = []
        for hit in result.hits:
            meta = hit_dict(hit, result.tokens)
            meta.update(doc_id=hit.provision.doc_id, title=hit.provision.title, heading=hit.provision.heading,
                        source=hit.provision.source, notices=list(result.notices))
            docs.append(Document(page_content=hit.provision.text, metadata=meta, id=hit.provision.id))
        return docs
