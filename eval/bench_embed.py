"""Embedding speed and fidelity per embedder / precision, on real provisions from a store.

    .venv/bin/python eval/bench_embed.py --store /tmp/full.sqlite [--n 48] \
        embeddinggemma-fp32 embeddinggemma-bf16 embeddinggemma-int8 use

Prints passages/s for document windows (as the index builds them), query latency p50 (one
query at a time, as search does), and the mean cosine of each embedder's document vectors to
the first one named (fidelity of bf16 / int8 against fp32). The load average is printed with
each line: on a shared machine the numbers are only comparable within one run.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import common  # noqa: F401  (puts the project on sys.path)
import numpy as np

from ruleassist.config import load_config
from ruleassist.index import make_embedder
from ruleassist.index.units import document_units
from ruleassist.store import Store


def sample(store: Store, n: int) -> tuple[list[str], list[str]]:
    """n article texts spread over the store's documents, and n short question-like queries."""
    texts = []
    for d in store.documents():
        texts += [u.text for u in document_units(store, d["doc_id"])[:3]]
    step = max(1, len(texts) // n)
    docs = [t[:600] for t in texts[::step][:n]]
    return docs, [t.splitlines()[-1][:80] for t in docs]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("embedders", nargs="+")
    ap.add_argument("--store", type=Path, required=True)
    ap.add_argument("--n", type=int, default=48)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args(argv)
    docs, queries = sample(Store(args.store), args.n)
    base, rows = None, {}
    for name in args.embedders:
        emb = make_embedder(load_config(embedder=name))
        emb.encode_documents(docs[:2])
        start = time.perf_counter()
        vectors = emb.encode_documents(docs)
        per_s = len(docs) / (time.perf_counter() - start)
        lat = []
        for q in queries[:12]:
            t = time.perf_counter()
            emb.encode_queries([q])
            lat.append((time.perf_counter() - t) * 1000)
        base = vectors if base is None else base
        cos = float(np.mean(np.sum(vectors * base, axis=1))) if vectors.shape == base.shape else float("nan")
        rows[name] = {"passages_per_s": round(per_s, 2), "query_p50_ms": round(statistics.median(lat), 1),
                      "cos_to_first": round(cos, 4), "load_avg": round(os.getloadavg()[0], 1)}
        print(name, rows[name], flush=True)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
