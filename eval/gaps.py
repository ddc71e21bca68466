"""Evaluate gap judgements on a dev set (../shared/eval/gaps/dev.jsonl or any file in its format).

    .venv/bin/python eval/gaps.py                                  # default store, index and model
    .venv/bin/python eval/gaps.py ITEMS.jsonl --json out.json --store /tmp/full.sqlite

Each line gives an EU citation, the obligation as an analyst words it, the gold status and the
Japanese provisions a report must (or may) cite. The given obligation is judged as it stands
(no cache). Metrics:
- status_accuracy: share of items whose status is the gold one;
- must_cite_recall: share of must_cite provisions (article level) among the cited ones;
- false_coverage_claims: on gold-gap items, cited provisions outside may_cite;
- nonexistent_citations: cited provisions that do not resolve in the store (must be 0);
- seconds_per_obligation: mean wall time of one comparison (retrieval + model).
Provisions shown as "looked at, not equivalent" are not citations and are counted apart
(related_outside_may_cite) for transparency.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ruleassist.citations import parse_citations  # noqa: E402
from ruleassist.config import load_config  # noqa: E402
from ruleassist.errors import CitationNotFound, RuleAssistError  # noqa: E402
from ruleassist.reports.gap_index import open_retriever  # noqa: E402
from ruleassist.reports.gaps import GapChecker  # noqa: E402
from ruleassist.reports.obligations import obligation_from_text  # noqa: E402
from ruleassist.workspace import Workspace  # noqa: E402

DEFAULT_ITEMS = ROOT.parent / "shared" / "eval" / "gaps" / "dev.jsonl"


def load_items(path: Path) -> list[dict]:
    items = []
    for n, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            raise SystemExit(f"{path}:{n}: not JSON ({exc}); each line must be one item")
        missing = [k for k in ("id", "obligation", "status") if k not in item]
        if missing:
            raise SystemExit(f"{path}:{n}: missing field(s) {', '.join(missing)}; see ../shared/eval/gaps/README.md")
        items.append(item)
    return items


def article_keys(store, citations: list[str]) -> tuple[set[tuple], int]:
    """(law doc id, article, supplementary) of each citation that resolves, and how many do not."""
    jp, eu = store.known_names()
    keys, missing = set(), 0
    for text in citations:
        found = parse_citations(text, jp_names=jp, eu_short_names=eu)
        try:
            if not found:
                raise CitationNotFound(text)
            provision = store.resolve(found[0])
        except CitationNotFound:
            missing += 1
            continue
        keys.add((provision.doc_id, found[0].article, found[0].suppl))
    return keys, missing


def evaluate(ws, items: list[dict], dense: bool = True, progress=print) -> dict:
    index, notices = open_retriever(ws, dense)
    checker = GapChecker(ws.store, index, ws.backend())
    rows, correct, must_total, must_hit, false_claims, nonexistent, related_out = [], 0, 0, 0, 0, 0, 0
    seconds = []
    for item in items:
        o = obligation_from_text(item["obligation"], heading=item.get("eu", item["id"]))
        start = time.perf_counter()
        result = checker.compare(o)
        seconds.append(time.perf_counter() - start)
        cited = [c["citation"] for c in result.jp_citations]
        cited_keys, missing = article_keys(ws.store, cited)
        nonexistent += missing
        must_keys, _ = article_keys(ws.store, item.get("must_cite", []))
        may_keys, _ = article_keys(ws.store, item.get("may_cite", []))
        must_total += len(item.get("must_cite", []))
        must_hit += len(must_keys & cited_keys)
        if item["status"] == "gap":
            false_claims += len(cited_keys - may_keys)
            related_keys, _ = article_keys(ws.store, [c["citation"] for c in result.related])
            related_out += len(related_keys - may_keys)
        correct += result.status == item["status"]
        rows.append({"id": item["id"], "gold": item["status"], "status": result.status, "cited": cited,
                     "must_cite": item.get("must_cite", []), "missing": result.missing,
                     "explanation_en": result.explanation_en, "explanation_ja": result.explanation_ja,
                     "seconds": round(seconds[-1], 1), "llm_calls": result.llm_calls})
        progress(f"{item['id']}: gold {item['status']}, got {result.status} {cited} ({seconds[-1]:.1f} s)")
    n = max(1, len(items))
    return {"items": len(items), "status_accuracy": round(correct / n, 3),
            "must_cite_recall": round(must_hit / must_total, 3) if must_total else 1.0,
            "false_coverage_claims": false_claims, "nonexistent_citations": nonexistent,
            "seconds_per_obligation": round(sum(seconds) / n, 2), "related_outside_may_cite": related_out,
            "retrieval": "dense + glossary BM25" if not notices else "glossary BM25 only (no dense index)",
            "llm": f"{ws.cfg.llm_backend}:{ws.cfg.llm_model}", "rows": rows}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("items", nargs="?", type=Path, default=DEFAULT_ITEMS, help="JSONL file in the dev-set format")
    ap.add_argument("--json", type=Path, help="write the metrics (and per-item rows) here")
    ap.add_argument("--store", type=Path, help="provision store (default: the configured one)")
    ap.add_argument("--no-dense", action="store_true", help="Japanese BM25 with glossary terms only")
    args = ap.parse_args(argv)
    try:
        ws = Workspace.open(load_config(store_path=args.store))
        result = evaluate(ws, load_items(args.items), dense=not args.no_dense,
                          progress=lambda m: print(m, file=sys.stderr))
    except RuleAssistError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    summary = {k: v for k, v in result.items() if k != "rows"}
    print(json.dumps(summary, ensure_ascii=False, indent=2))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
