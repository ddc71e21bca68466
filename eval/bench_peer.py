"""ruleassist against the pipeline a typical LangChain user would build, on the same files and questions.

    .venv/bin/python eval/bench_peer.py [PATH] --json out.json --store /tmp/full.sqlite [--docs lawqa|all]
        [--embedder NAME] [--work DIR]

Peer: each law file loaded as text (Markdown as is, HTML/XML text content, JSON strings, PDF
text), RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200), a LangChain FAISS
vector store over the same embedder, similarity_search(query, k=10). ruleassist: the same
files ingested, `build_index` from cold (no embedding cache), `Index.search` with citations.
Both use the pasted item (問題文 + 選択肢) as the query. Each system runs in its own process,
so its peak memory (ru_maxrss) is its own. A peer chunk is credited with every article whose
text it overlaps (generous to the peer: a 1000-character chunk often spans two articles), and
recall@k counts the top k chunks (for ruleassist, the top k provisions).
"""
from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import resource
import shutil
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from common import (
    DEFAULT_LAWQA,
    KS,
    latency,
    load_items,
    markdown_table,
    ranked_articles,
    resolve_gold,
)

from ruleassist.config import Config, load_config
from ruleassist.store import Store

COLUMNS = ["recall@1", "recall@10", "all@10", "mrr@10", "build_s", "latency_p50_ms", "latency_p95_ms", "peak_rss_mb"]


def group_metrics(ranked: list[list[list[tuple[str, str]]]], gold: list[set]) -> dict[str, float]:
    """Metrics over ranked groups of articles (a chunk's articles, or one provision's)."""
    pairs = [(r, g) for r, g in zip(ranked, gold) if g]
    n = len(pairs) or 1

    def seen(groups, k):
        return {a for group in groups[:k] for a in group}
    out = {f"recall@{k}": sum(bool(seen(r, k) & g) for r, g in pairs) / n for k in KS}
    out["all@10"] = sum(g <= seen(r, 10) for r, g in pairs) / n
    out["mrr@10"] = sum(next((1 / i for i, grp in enumerate(r[:10], 1) if set(grp) & g), 0.0) for r, g in pairs) / n
    return {k: round(v, 3) for k, v in out.items()}


def _peak_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def file_text(path: Path) -> str:
    """What a LangChain document loader would hand the splitter for this file."""
    suffix = path.suffix.lower()
    if suffix in (".html", ".htm", ".xml"):
        from lxml import etree, html
        root = html.fromstring(path.read_bytes()) if suffix != ".xml" else etree.fromstring(path.read_bytes())
        text = "\n".join(t for t in root.itertext())
    elif suffix == ".json":
        def strings(x):
            if isinstance(x, str):
                yield x
            elif isinstance(x, dict):
                for v in x.values():
                    yield from strings(v)
            elif isinstance(x, list):
                for v in x:
                    yield from strings(v)
        text = "\n".join(strings(json.loads(path.read_text(encoding="utf-8"))))
    elif suffix == ".pdf":
        from pypdf import PdfReader
        text = "\n".join(page.extract_text() or "" for page in PdfReader(str(path)).pages)
    else:
        text = path.read_text(encoding="utf-8", errors="replace")
    return "\n".join(line.strip() for line in text.splitlines() if line.strip())


def article_spans(text: str, provisions) -> list[tuple[int, str]]:
    """(offset in `text`, article address) for each article found, in order; unfound ones are left out."""
    out, at = [], 0
    for p in provisions:
        key = next((line.strip() for line in p.text.splitlines() if len(line.strip()) >= 8), "")[:24]
        if not key:
            continue
        found = text.find(key, at)
        found = text.find(key) if found < 0 else found
        if found >= 0:
            out.append((found, p.address.split("/")[0]))
            at = found
    return sorted(out)


def _langchain(cfg: Config, docs: list[dict], queries: list[str], queue) -> None:
    from langchain_community.vectorstores import FAISS
    from langchain_core.embeddings import Embeddings
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    from ruleassist.index import make_embedder
    from ruleassist.index.units import document_units

    class SameEmbedder(Embeddings):
        def __init__(self, emb):
            self.emb = emb

        def embed_documents(self, texts):
            return self.emb.encode_documents(list(texts)).tolist()

        def embed_query(self, text):
            return self.emb.encode_queries([text])[0].tolist()

    store = Store(cfg.store_path)
    start = time.perf_counter()
    splitter = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200, add_start_index=True)
    chunks, spans = [], {}
    for d in docs:
        text = file_text(Path(d["source"]))
        spans[d["doc_id"]] = article_spans(text, [u.provision for u in document_units(store, d["doc_id"])])
        chunks += splitter.create_documents([text], metadatas=[{"doc_id": d["doc_id"]}])
    vs = FAISS.from_documents(chunks, SameEmbedder(make_embedder(cfg)))
    build_s = time.perf_counter() - start
    ranked, seconds = [], []
    for q in queries:
        t = time.perf_counter()
        found = vs.similarity_search(q, k=10)
        seconds.append(time.perf_counter() - t)
        ranked.append(_chunk_articles(found, spans))
    queue.put({"ranked": ranked, "seconds": seconds, "build_s": build_s, "peak_rss_mb": _peak_mb(),
               "chunks": len(chunks), "articles_located": sum(len(s) for s in spans.values())})


def _chunk_articles(found, spans) -> list[list[tuple[str, str]]]:
    """Per retrieved chunk, the articles its text overlaps."""
    out = []
    for doc in found:
        doc_id, start = doc.metadata["doc_id"], doc.metadata.get("start_index", 0)
        end = start + len(doc.page_content)
        marks = spans.get(doc_id, [])
        out.append([(doc_id, address) for i, (offset, address) in enumerate(marks)
                    if offset < end and (marks[i + 1][0] if i + 1 < len(marks) else 10**12) > start])
    return out


def _ruleassist(cfg: Config, queries: list[str], queue) -> None:
    from ruleassist.index import build_index, open_index
    store = Store(cfg.store_path)
    start = time.perf_counter()
    build_index(cfg, store, progress=False)
    build_s = time.perf_counter() - start
    index = open_index(cfg, store=store)
    ranked, seconds = [], []
    for q in queries:
        index.forget_queries()
        t = time.perf_counter()
        hits = index.search(q, k=10)
        seconds.append(time.perf_counter() - t)
        ranked.append([[a] for a in ranked_articles(hits)])
    queue.put({"ranked": ranked, "seconds": seconds, "build_s": build_s, "peak_rss_mb": _peak_mb(),
               "units": index.manifest.n_units, "windows": index.manifest.n_windows})


def _in_child(target, *args) -> dict:
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=target, args=(*args, queue))
    proc.start()
    result = queue.get()
    proc.join()
    return result


def _select_docs(store: Store, which: str, items) -> list[dict]:
    docs = store.documents()
    if which == "all":
        return docs
    aliases = store.aliases()
    law_list = json.loads((DEFAULT_LAWQA.parent / "law_list.json").read_text(encoding="utf-8"))
    wanted = {aliases.get(n) for i in items for n in i.laws} | {aliases.get(x["title"]) for x in law_list}
    return [d for d in docs if d["doc_id"] in wanted]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("path", nargs="?", type=Path, default=DEFAULT_LAWQA)
    ap.add_argument("--json", type=Path)
    ap.add_argument("--store", type=Path, help="a store holding the corpus (its current documents' files are used)")
    ap.add_argument("--docs", choices=["lawqa", "all"], default="all", help="lawqa: only the laws the items draw on")
    ap.add_argument("--embedder", default=None)
    ap.add_argument("--work", type=Path, default=None, help="keep the benchmark's store and index here")
    args = ap.parse_args(argv)
    base = load_config(store_path=args.store, embedder=args.embedder)
    items = load_items(args.path)
    docs = _select_docs(Store(base.store_path), args.docs, items)
    work = args.work or Path(tempfile.mkdtemp(prefix="bench-peer-"))
    work.mkdir(parents=True, exist_ok=True)
    cfg = load_config(store_path=work / "store.sqlite", index_dir=work / "indexes", index_name="bench",
                      embedder=base.embedder)
    shutil.rmtree(cfg.index_dir, ignore_errors=True)          # a cold build: no embedding cache
    from ruleassist.ingest import ingest
    ingest(Store(cfg.store_path), [Path(d["source"]) for d in docs])
    gold = resolve_gold(items, Store(cfg.store_path).aliases())
    queries = [i.pasted for i in items]
    results = {}
    for name, run in (("ruleassist", lambda: _in_child(_ruleassist, cfg, queries)),
                      ("langchain", lambda: _in_child(_langchain, cfg, docs, queries))):
        raw = run()
        row = {**group_metrics(raw.pop("ranked"), gold.articles), **latency(raw.pop("seconds"))}
        row.update(build_s=round(raw.pop("build_s"), 1), **raw, embedder=base.embedder, documents=len(docs),
                   n_scored=len(items) - len(gold.outside))
        results[name] = row
    print(f"{len(docs)} documents, {len(items)} questions ({len(gold.outside)} with gold outside the corpus), "
          f"embedder {base.embedder}\n")
    print(markdown_table(results, COLUMNS))
    if args.json:
        args.json.write_text(json.dumps(results, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
