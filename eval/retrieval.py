"""Retrieval evaluation on lawqa_jp (or any file in its format).

    .venv/bin/python eval/retrieval.py ../shared/eval/lawqa_jp/selection.json --json out.json
        [--store data/provisions.sqlite] [--index default] [--embedder NAME] [--build] [--sweep]

For each item two queries: the item as a user would paste it (問題文 then 選択肢) and the
question alone. Four retrievers over the same index: bm25, dense, hybrid (their fusion) and
hybrid+citation (explicit citations pinned first, the default search). The JSON holds one
object per retriever: recall@1/5/10/20, all@10, mrr@10, latency_p50_ms, latency_p95_ms for the
pasted item, the same under "question_only", plus the index facts. A Markdown table is printed.
--sweep also prints hybrid+citation for fusion weights 0.0 ... 1.0 (how the default was chosen).
"""
from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from common import (
    DEFAULT_LAWQA,
    KS,
    latency,
    load_items,
    markdown_table,
    metrics,
    ranked_articles,
    resolve_gold,
)

from ruleassist.config import load_config
from ruleassist.errors import RuleAssistError
from ruleassist.index import build_index, open_index
from ruleassist.store import Store

RETRIEVERS = {"bm25": ("bm25",), "dense": ("dense",), "hybrid": ("bm25", "dense"),
              "hybrid+citation": ("citation", "bm25", "dense")}
COLUMNS = [f"recall@{k}" for k in KS] + ["all@10", "mrr@10", "latency_p50_ms", "latency_p95_ms"]
DEPTH = max(KS)


def run(index, queries: list[str], gold, retrievers: tuple[str, ...]) -> dict:
    ranked, seconds = [], []
    for q in queries:
        index.forget_queries()                  # time the query embedding too, every time
        start = time.perf_counter()
        hits = index.search(q, k=DEPTH, retrievers=retrievers)
        seconds.append(time.perf_counter() - start)
        ranked.append(ranked_articles(hits))
    return {**metrics(ranked, gold), **latency(seconds)}


def sweep(index, queries: list[str], gold) -> dict[str, dict]:
    """hybrid+citation at each dense weight; rankings are computed once and re-fused."""
    out = {}
    for w in [i / 10 for i in range(11)]:
        index.dense_weight = w
        out[f"w_dense={w:.1f}"] = metrics([ranked_articles(index.search(q, k=DEPTH)) for q in queries], gold)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("path", nargs="?", type=Path, default=DEFAULT_LAWQA)
    ap.add_argument("--json", type=Path, help="write the results here")
    ap.add_argument("--store", type=Path)
    ap.add_argument("--index", default=None, help="index name (default: config index_name)")
    ap.add_argument("--embedder", default=None)
    ap.add_argument("--index-dir", type=Path, default=None, help="default: config index_dir (indexes/)")
    ap.add_argument("--build", action="store_true", help="build the index first and time it")
    ap.add_argument("--sweep", action="store_true", help="also try fusion weights 0.0 ... 1.0")
    args = ap.parse_args(argv)
    cfg = load_config(store_path=args.store, embedder=args.embedder, index_dir=args.index_dir)
    try:
        store = Store(cfg.store_path)
        if args.build:
            build_index(cfg, store, args.index)
        index = open_index(cfg, args.index, store=store)
    except RuleAssistError as exc:
        print(f"error: {exc}")
        return 2
    items = load_items(args.path)
    gold = resolve_gold(items, store.aliases())
    forms = {"pasted": [i.pasted for i in items], "question_only": [i.question for i in items]}
    results: dict[str, dict] = {}
    for name, retrievers in RETRIEVERS.items():
        if "dense" in retrievers and index.dense is None:
            if name == "dense":
                continue                        # an index built with embedder "none": nothing to measure
            retrievers = tuple(r for r in retrievers if r != "dense")
        row = run(index, forms["pasted"], gold.articles, retrievers)
        row["question_only"] = run(index, forms["question_only"], gold.articles, retrievers)
        row.update(index_build_s=index.manifest.build_seconds, n_items=len(items),
                   n_scored=len(items) - len(gold.outside), n_outside_corpus=len(gold.outside),
                   embedder=index.manifest.embedder_id, dense_weight=index.dense_weight,
                   n_units=index.manifest.n_units, n_windows=index.manifest.n_windows)
        results[name] = row
    _print(results, gold, index)
    if args.sweep:
        table = sweep(index, forms["pasted"], gold.articles)
        print("\nfusion weight sweep (hybrid+citation, pasted item)\n")
        print(markdown_table(table, [f"recall@{k}" for k in KS] + ["all@10", "mrr@10"]))
        q_table = sweep(index, forms["question_only"], gold.articles)
        print("\nfusion weight sweep (hybrid+citation, question only)\n")
        print(markdown_table(q_table, [f"recall@{k}" for k in KS] + ["all@10", "mrr@10"]))
        for name in results:
            results[name]["sweep"] = {"pasted": table, "question_only": q_table}
    if args.json:
        args.json.write_text(json.dumps(results, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


def _print(results: dict, gold, index) -> None:
    m = index.manifest
    print(f"index {m.name}: {len(m.documents)} documents, {m.n_units} units, {m.n_windows} windows, "
          f"embedder {m.embedder_id}, built in {m.build_seconds:.0f} s; dense weight {index.dense_weight}")
    print(f"{results['bm25']['n_items']} items, {len(gold.outside)} with gold only outside the corpus "
          f"(not scored); laws not in the store: {', '.join(sorted(gold.missing_laws)) or 'none'}\n")
    print("pasted item (問題文 + 選択肢)\n")
    print(markdown_table(results, COLUMNS))
    print("\nquestion only (問題文)\n")
    print(markdown_table({k: v["question_only"] for k, v in results.items()}, COLUMNS))


if __name__ == "__main__":
    raise SystemExit(main())
