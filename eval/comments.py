"""Evaluate ballot comments on a draft with a gold file (../shared/eval/comments/ or any pair in that format).

    .venv/bin/python eval/comments.py                                           # the dev draft, default store/index/LLM
    .venv/bin/python eval/comments.py DRAFT.pdf GOLD.json --json out.json
    .venv/bin/python eval/comments.py --store /tmp/jp.sqlite --bm25-index /tmp/idx --no-llm --json out.json

Gold: {"technical": [{"clause", "lines": [a, b], "must_cite": [...]}], "editorial": [{"clause", "lines", "rule"}]}.
A drafted comment matches a gold item when its line falls inside the item's lines (±1) and, for a
technical item, when it cites every must_cite provision (compared at article level). Scores:
technical_recall, technical_comments (how many were drafted), editorial_recall, editorial_precision
(editorial-check comments that match a gold line), template_valid_rate (rows that pass the template
checks, 0 when the DOCX itself fails: one 8-column table, no merged cells, no embedded objects),
seconds_per_draft (reading, checks, retrieval, verification and the LLM, not the index build).
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path


ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ruleassist.citations import article_level, parse_citations
from ruleassist.config import load_config
from ruleassist.workspace import Workspace

DEV = ROOT.parent / "shared" / "eval" / "comments"
DEFAULT_DRAFT = DEV / "dev-draft-iso-cd-39712-1.pdf"


def articles(store, texts) -> set[tuple[str, str]]:
    jp, eu = store.known_names()
    out = set()
    for text in texts:
        for c in parse_citations(text, jp_names=jp, eu_short_names=eu):
            c = article_level(c)
            out.add((c.document, c.article))
    return out


def within(line, lines, slack: int = 1) -> bool:
    return line is not None and lines[0] - slack <= line <= lines[1] + slack


def score(store, sheet, gold: dict) -> dict:
    technical = [c for c in sheet.comments if c.origin == "technical"]
    editorial = [c for c in sheet.comments if c.origin == "editorial"]
    tech_hits = [g for g in gold.get("technical", [])
                 if any(within(c.line, g["lines"]) and articles(store, g["must_cite"]) <= articles(store, c.citations)
                        for c in technical)]
    ed_gold = gold.get("editorial", [])
    ed_hits = [g for g in ed_gold if any(within(c.line, g["lines"]) for c in editorial)]
    ed_right = [c for c in editorial if any(within(c.line, g["lines"]) for g in ed_gold)]
    return {"technical_recall": round(len(tech_hits) / max(1, len(gold.get("technical", []))), 4),
            "technical_comments": len(technical),
            "editorial_recall": round(len(ed_hits) / max(1, len(ed_gold)), 4),
            "editorial_precision": round(len(ed_right) / max(1, len(editorial)), 4),
            "max_citations_per_comment": max((len(c.citations) for c in technical), default=0),
            "technical_missed": [f"{g['clause']} {g['lines']}" for g in gold.get("technical", []) if g not in tech_hits],
            "editorial_missed": [f"{g['clause']} {g['lines']}: {g['rule']}" for g in ed_gold if g not in ed_hits],
            "editorial_extra": [f"{c.clause} line {c.line}: {c.rule}" for c in editorial if c not in ed_right]}


def template_valid_rate(sheet) -> float:
    from ruleassist.reports.template import (
        docx_problems,
        read_sheet,
        row_problems,
        write_docx,
    )
    with tempfile.TemporaryDirectory() as tmp:
        path = write_docx(sheet, Path(tmp) / "comments.docx")
        if docx_problems(path):
            return 0.0
        rows = read_sheet(path).comments       # judged as reopened: what the secretariat receives
    return round(sum(not row_problems(c) for c in rows) / max(1, len(rows)), 4)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("draft", nargs="?", type=Path, default=DEFAULT_DRAFT)
    ap.add_argument("gold", nargs="?", type=Path, help="gold JSON (default: DRAFT with .gold.json)")
    ap.add_argument("--store", type=Path, help="provision store (default: the configured one)")
    ap.add_argument("--bm25-index", type=Path, help="build (if missing) and use a BM25-only index in this folder")
    ap.add_argument("--no-llm", action="store_true", help="write gists without the LLM")
    ap.add_argument("--mb", default="JP")
    ap.add_argument("--out", type=Path, help="also write the comment sheet here (.docx/.xlsx/.csv)")
    ap.add_argument("--json", type=Path, help="write the scores here")
    args = ap.parse_args(argv)
    from tqdm import tqdm

    from ruleassist.reports.ballot import ballot_comments
    from ruleassist.reports.template import write_sheet

    gold_path = args.gold or args.draft.with_suffix("").with_suffix(".gold.json")
    gold = json.loads(gold_path.read_text(encoding="utf-8"))
    flags = {"store_path": args.store}
    if args.bm25_index:
        flags.update(index_dir=args.bm25_index, embedder="none")
    ws = Workspace.open(load_config(**flags))
    if args.bm25_index and not (args.bm25_index / ws.cfg.index_name / "CURRENT").exists():
        from ruleassist.index.build import build_index
        print(build_index(ws.cfg, ws.store, progress=True).summary(), file=sys.stderr)
    ws.index()                              # loading the index is set-up, not time per draft
    with tqdm(total=100, desc="comments", unit="%", file=sys.stderr) as bar:
        def step(fraction: float, message: str) -> None:
            bar.set_description(message[:50])
            bar.update(round(100 * fraction) - bar.n)
        start = time.perf_counter()
        sheet = ballot_comments(ws, args.draft, mb=args.mb, progress=step, use_llm=not args.no_llm,
                                dense=False if args.bm25_index else None)
        seconds = time.perf_counter() - start
    if args.out:
        write_sheet(sheet, args.out)
    scores = score(ws.store, sheet, gold)
    scores.update(template_valid_rate=template_valid_rate(sheet), seconds_per_draft=round(seconds, 1),
                  draft=str(args.draft), llm="off" if args.no_llm else f"{ws.cfg.llm_backend}:{ws.cfg.llm_model}",
                  index=str(args.bm25_index or ws.cfg.index_dir / ws.cfg.index_name),
                  dense="off" if args.bm25_index else ws.cfg.embedder)
    for c in sheet.comments:
        print(f"{c.id} {c.type} line {c.line} {c.clause:8} {c.rule:20} {'; '.join(c.citations)}")
    print(json.dumps(scores, ensure_ascii=False, indent=1))
    if args.json:
        args.json.write_text(json.dumps(scores, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
