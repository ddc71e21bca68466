"""Evaluate friction reports on a plan set (../shared/eval/friction/dev.jsonl or any file in its format).

    .venv/bin/python eval/friction.py                                   # default store, index and LLM
    .venv/bin/python eval/friction.py --store /tmp/jp.sqlite --no-llm --json out.json
    .venv/bin/python eval/friction.py --store /tmp/jp.sqlite --bm25-index /tmp/idx   # build a BM25-only index first

Each line: {"id", "lang", "plan", "must_cite": [...], "should_cite": [...]} with citations such as
"道路交通法第75条の12". Scores (citations compared at article level):
- must_recall: share of must_cite articles among the articles the report's rows cite;
- all_recall: the same over must_cite ∪ should_cite;
- cited_exist_rate: share of the citations shown (rows and relief routes) that resolve in the store;
- rows_per_plan, seconds_per_plan: means over the plans.
Only the rows' own citations count for recall (a relief route citing an article does not).
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path


ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ruleassist.citations import parse_citations
from ruleassist.config import load_config
from ruleassist.verify import verify_citation_text
from ruleassist.workspace import Workspace

DEFAULT_DATA = ROOT.parent / "shared" / "eval" / "friction" / "dev.jsonl"


def article_key(store, citation_text: str) -> str | None:
    """'道路交通法第75条の12(第1項)' -> 'jp:335AC0000000105/a75-12'; None when the law is unknown."""
    jp, eu = store.known_names()
    found = parse_citations(citation_text, jp_names=jp, eu_short_names=eu)
    if not found or not found[0].article:
        return None
    doc_id = store.doc_id_for(found[0])
    return f"{doc_id}/{'suppl/' if found[0].suppl else ''}a{found[0].article}" if doc_id else None


def score_plan(store, item: dict, report) -> dict:
    cited = {r["article_id"] for r in report.rows if r.get("article_id")}
    must = {article_key(store, c) or c for c in item.get("must_cite", [])}
    every = must | {article_key(store, c) or c for c in item.get("should_cite", [])}
    shown = [c for r in report.rows for k in ("citation", "relief_citation") for c in r.get(k, "").split("; ") if c]
    exist = [verify_citation_text(store, c) is not None for c in shown]
    return {"id": item["id"], "rows": len(report.rows), "seconds": report.seconds, "report": report.id,
            "must_hit": len(must & cited), "must": len(must), "all_hit": len(every & cited), "all": len(every),
            "exist": sum(exist), "shown": len(exist), "missed": sorted(every - cited), "status": report.status}


def build_bm25_index(cfg, store) -> None:
    from ruleassist.index.build import build_index
    print(build_index(cfg, store, progress=True).summary(), file=sys.stderr)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("data", nargs="?", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--store", type=Path, help="provision store (default: the configured one)")
    ap.add_argument("--bm25-index", type=Path, help="build (if missing) and use a BM25-only index in this folder")
    ap.add_argument("--no-llm", action="store_true", help="do not confirm weak activities with the LLM")
    ap.add_argument("--no-dense", action="store_true", help="search with BM25 only")
    ap.add_argument("--reports", type=Path, help="where the reports are written (default: a folder under /tmp)")
    ap.add_argument("--json", type=Path, help="write the scores here")
    args = ap.parse_args(argv)
    from ruleassist.reports.friction import make_friction_report

    flags = {"store_path": args.store, "reports_dir": args.reports or Path("/tmp/ruleassist-friction-eval")}
    if args.bm25_index:
        flags.update(index_dir=args.bm25_index, embedder="none")
    ws = Workspace.open(load_config(**flags))
    if args.bm25_index and not (args.bm25_index / ws.cfg.index_name / "CURRENT").exists():
        build_bm25_index(ws.cfg, ws.store)
    items = [json.loads(line) for line in args.data.read_text(encoding="utf-8").splitlines() if line.strip()]
    results, no_index = [], False
    for item in items:
        start = time.perf_counter()
        report = make_friction_report(ws, item["plan"], use_llm=not args.no_llm, dense=not (args.no_dense or args.bm25_index))
        report.seconds = round(time.perf_counter() - start, 1)
        no_index |= any("no search index" in n for n in report.notices)
        results.append(score_plan(ws.store, item, report))
        r = results[-1]
        print(f"{r['id']:24} must {r['must_hit']}/{r['must']}  all {r['all_hit']}/{r['all']}  rows {r['rows']:2}  "
              f"exist {r['exist']}/{r['shown']}  {r['seconds']:5.1f}s  {r['report']}  missed {r['missed']}")
    n = len(results) or 1
    scores = {"must_recall": round(sum(r["must_hit"] for r in results) / max(1, sum(r["must"] for r in results)), 4),
              "all_recall": round(sum(r["all_hit"] for r in results) / max(1, sum(r["all"] for r in results)), 4),
              "cited_exist_rate": round(sum(r["exist"] for r in results) / max(1, sum(r["shown"] for r in results)), 4),
              "rows_per_plan": round(sum(r["rows"] for r in results) / n, 2),
              "seconds_per_plan": round(sum(r["seconds"] for r in results) / n, 2),
              "plans": results, "llm": "off" if args.no_llm else f"{ws.cfg.llm_backend}:{ws.cfg.llm_model}",
              "index": "none (term matching over the store)" if no_index
              else str(args.bm25_index or ws.cfg.index_dir / ws.cfg.index_name)}
    print(json.dumps({k: v for k, v in scores.items() if k != "plans"}, ensure_ascii=False))
    if args.json:
        args.json.write_text(json.dumps(scores, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
