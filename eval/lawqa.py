#!/usr/bin/env python
"""Answer evaluation on lawqa_jp-style four-choice questions (Digital Agency lawqa_jp format).

    eval/lawqa.py ../shared/eval/lawqa_jp/selection.json --mode reader --json eval/results/lawqa_reader.json
    eval/lawqa.py ../shared/eval/lawqa_jp/selection.json --mode system --json eval/results/lawqa_system.json

Modes:
  reader  the gold `コンテキスト` is given; measures how ruleassist reads (ruleassist.reading);
  system  no gold context: retrieval over the whole indexed corpus, then the same reader
          (ruleassist.answer.ask_choice); measures ruleassist end to end.

Keys written: accuracy (refusals count as wrong), accuracy_all_orders (over the four choice orders
of selection_randomized.json when it sits beside PATH: an item counts only when every order is
answered right; null otherwise), refusal_rate, citation_precision (cited provisions whose law and
article are among the gold ones, the `##` / `###` headings of the context), latency_mean_s and
ttft_mean_s (the reader streams nothing before it has judged every choice, so its first token is
the chosen letter: ttft is the time to that letter), plus per-item details.
"""
from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import time
import unicodedata
from collections import defaultdict
from pathlib import Path

from tqdm import tqdm

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from common import gold_articles

from ruleassist.config import load_config
from ruleassist.reading import context_passages, parse_choices, read_choices
from ruleassist.reports.export import write_text_atomic

# ------------------------------------------------------------------------------------ data

def load_items(path: Path) -> list[dict]:
    data = json.loads(path.read_text(encoding="utf-8"))
    items = data["samples"] if isinstance(data, dict) else data
    for i, item in enumerate(items):
        for key in ("問題文", "選択肢", "output"):
            if key not in item:
                raise SystemExit(f"{path}: item {i} has no {key!r}; expected the lawqa_jp format "
                                 "({'samples': [{'問題文', '選択肢', 'output', 'コンテキスト', ...}]})")
    return items


def gold_keys(context: str) -> set[tuple[str, str]]:
    """(law, article address) pairs named by the context's `##` / `###` headings (eval/common.py)."""
    return {(_norm(law), address) for law, address in gold_articles(context)[1]}


def _norm(name: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", name))


def _article_address(address: str) -> str:
    """'a19/p1/i2' -> 'a19', 'suppl/a3/p1' -> 'suppl/a3'; '' when it is not an article of a law."""
    m = re.match(r"((?:suppl/)?a[0-9][0-9\-]*)", address)
    return m.group(1) if m else ""


# ------------------------------------------------------------------------------------ a cached backend

class CachedBackend:
    """Same yes/no scores for the same prompt: the four choice orders re-ask identical questions."""

    def __init__(self, backend):
        self.inner, self.cache = backend, {}
        self.name, self.model_id = backend.name, backend.model_id

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def score_options(self, messages, options):
        key = json.dumps([messages, options], ensure_ascii=False)
        if key not in self.cache:
            self.cache[key] = self.inner.score_options(messages, options)
        return self.cache[key]


# ------------------------------------------------------------------------------------ one item

def run_item(item: dict, mode: str, backend, ws) -> dict:
    choices = parse_choices(item["選択肢"])
    start = time.perf_counter()
    if mode == "reader":
        passages = context_passages(item.get("コンテキスト", ""))
        reading = read_choices(backend, item["問題文"], choices, passages)
        letter = reading.letter
        cited = [(_norm(p.law), f"a{p.article}") for p in reading.cited if p.article]
    else:
        from ruleassist.answer import ask_choice
        found = ask_choice(ws, item["問題文"], choices)
        reading, letter = found.reading, found.letter
        cited = [(_norm(p.title), _article_address(p.address)) for p in found.cited]
    seconds = time.perf_counter() - start
    gold = gold_keys(item.get("コンテキスト", ""))
    cited = list(dict.fromkeys(c for c in cited if c[1]))
    return {"id": item.get("ファイル名", ""), "order": item.get("回答オーダーマップ番号", ""),
            "gold": item["output"], "letter": letter, "correct": letter == item["output"], "refused": not letter,
            "kind": getattr(reading, "kind", ""), "negative": getattr(reading, "negative", None),
            "cited": [f"{law} {address}" for law, address in cited],
            "cited_gold": sum(c in gold for c in cited), "seconds": round(seconds, 2), "ttft": round(seconds, 2),
            "signals": {k: {"llm": round(c.llm, 3), "coverage": round(c.coverage, 3),
                            "contradiction": c.contradiction, "score": round(c.score, 3),
                            "evidence": [p.label for p in c.evidence]}
                        for k, c in (reading.choices.items() if reading else [])}}


# ------------------------------------------------------------------------------------ summary

def summarise(rows: list[dict], order_rows: list[dict] | None) -> dict:
    n = len(rows)
    cited = sum(len(r["cited"]) for r in rows)
    out = {"n": n, "accuracy": round(sum(r["correct"] for r in rows) / n, 4) if n else 0.0,
           "accuracy_all_orders": None,
           "refusal_rate": round(sum(r["refused"] for r in rows) / n, 4) if n else 0.0,
           "citation_precision": round(sum(r["cited_gold"] for r in rows) / cited, 4) if cited else None,
           "latency_mean_s": round(statistics.mean(r["seconds"] for r in rows), 2) if n else 0.0,
           "ttft_mean_s": round(statistics.mean(r["ttft"] for r in rows), 2) if n else 0.0}
    if order_rows:
        by_id: dict[str, list[bool]] = defaultdict(list)
        for r in order_rows:
            by_id[r["id"]].append(r["correct"])
        out["accuracy_all_orders"] = round(sum(all(v) for v in by_id.values()) / len(by_id), 4)
        out["orders_n"] = len(by_id)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 epilog="example: eval/lawqa.py ../shared/eval/lawqa_jp/selection.json --mode reader "
                                        "--json eval/results/lawqa_reader.json")
    ap.add_argument("path", type=Path)
    ap.add_argument("--mode", choices=("reader", "system"), default="reader")
    ap.add_argument("--json", type=Path, help="write the results here")
    ap.add_argument("--limit", type=int, default=0, help="first N items only (a quick estimate)")
    ap.add_argument("--no-orders", action="store_true", help="skip selection_randomized.json")
    ap.add_argument("--store", type=Path, help="provision store (system mode; default from the config)")
    ap.add_argument("--index-dir", type=Path, help="index folder (system mode)")
    ap.add_argument("--embedder", help="the embedder the index was built with (system mode; default from the config)")
    ap.add_argument("--model", help="llm_model (registry name, path or served model)")
    ap.add_argument("--backend", help="llm_backend: llama_cpp / openai / transformers")
    args = ap.parse_args(argv)

    cfg = load_config(store_path=args.store, index_dir=args.index_dir, llm_model=args.model,
                      llm_backend=args.backend, embedder=args.embedder)
    from ruleassist.backends import make_backend
    from ruleassist.workspace import Workspace
    backend = CachedBackend(make_backend(cfg))
    ws = None
    if args.mode == "system":
        ws = Workspace.open(cfg)
        ws._backend = backend                # the cache also serves the choice orders in system mode
    items = load_items(args.path)[:args.limit or None]
    head = {"mode": args.mode, "path": str(args.path), "backend": cfg.llm_backend, "model": cfg.llm_model,
            "embedder": cfg.embedder if args.mode == "system" else None}
    rows: list[dict] = []
    for item in tqdm(items, desc=f"lawqa {args.mode}", file=sys.stderr):
        rows.append(run_item(item, args.mode, backend, ws))
        save(args.json, {**head, "partial": True, **summarise(rows, None), "items": rows})   # survives a stop
    order_rows = None
    randomized = args.path.with_name("selection_randomized.json")
    if randomized.is_file() and randomized != args.path and not args.no_orders:
        ids = {r["id"] for r in rows}
        orders = [it for it in load_items(randomized) if it.get("ファイル名") in ids]
        order_rows = [run_item(it, args.mode, backend, ws) for it in tqdm(orders, desc="choice orders", file=sys.stderr)]
    summary = {**head, **summarise(rows, order_rows), "items": rows, "orders": order_rows}
    print(json.dumps({k: v for k, v in summary.items() if k not in ("items", "orders")}, ensure_ascii=False, indent=1))
    save(args.json, summary)
    return 0


def save(path: Path | None, summary: dict) -> None:
    if path is not None:
        write_text_atomic(path, json.dumps(summary, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    sys.exit(main())
