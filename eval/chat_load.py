#!/usr/bin/env python
"""Several officials asking at once: fire N concurrent chat requests at the app, check every answer arrives.

    eval/chat_load.py --users 8 --json eval/results/chat_load.json                 # starts the app itself
    eval/chat_load.py --url http://127.0.0.1:7860/ --users 8                        # a running `ruleassist serve`

Bounded: loopback only, N requests (default 8), each with a deadline. For every user it records
the time to the first streamed token of the answer (TTFT), the time to the verified answer, and
whether an answer (or an honest refusal) arrived; errors are counted, never retried.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

QUESTIONS = ["レベル4の自動運転バスを走らせるには誰の許可が要るか", "特定自動運行の許可の申請書には何を書くか",
             "無人航空機を飛行させてはならない空域はどこか", "運転免許を受けなければならないのは誰か",
             "Who must approve a level 4 autonomous driving service?", "特定自動運行の許可の基準は何か",
             "普通自転車が歩道を通行できるのはどんなときか", "CBAMの申告者はいつまでに報告しなければならないか"]
WAITING = ("順番を待っています", "Waiting for a free slot")


def one_user(url: str, question: str, deadline_s: float) -> dict:
    from gradio_client import Client
    client = Client(url, verbose=False)
    start = time.perf_counter()
    job = client.submit(question, [], "", [], "", api_name="/ask")
    ttft, last = None, None
    try:
        for history, _, _ in job:
            text = history[-1]["content"][0]["text"] if history else ""
            if ttft is None and text and not text.startswith(WAITING):
                ttft = time.perf_counter() - start
            if time.perf_counter() - start > deadline_s:
                job.cancel()
                return {"question": question, "ok": False, "error": f"no answer within {deadline_s:.0f} s"}
        history, panel, _ = job.result(timeout=deadline_s)
        last = history[-1]["content"][0]["text"]
    except Exception as exc:  # noqa: BLE001 - any failure is counted and reported, never retried
        return {"question": question, "ok": False, "error": f"{type(exc).__name__}: {exc}"}
    seconds = time.perf_counter() - start
    refused = "資料からは分かりません" in last or "sources do not say" in last
    failed = last.startswith("⚠")
    return {"question": question, "ok": not failed, "refused": refused, "ttft_s": round(ttft or seconds, 2),
            "seconds": round(seconds, 2), "answer": last[:300], "cited": panel.count('class="ra-source"')}


def launch(args) -> tuple[str, object]:
    import importlib.util
    import socket

    from ruleassist.config import load_config
    from ruleassist.workspace import Workspace
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    cfg = load_config(store_path=args.store, index_dir=args.index_dir, embedder=args.embedder, llm_model=args.model,
                      llm_backend=args.backend, port=port, host="127.0.0.1")
    spec = importlib.util.spec_from_file_location("ruleassist_app", ROOT / "app.py")
    app = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(app)
    ws = Workspace.open(cfg)
    ws.index()
    ws.backend().count_tokens("warm-up")
    demo = app.build_app(ws)
    app.launch(demo, cfg, block=False)
    return f"http://127.0.0.1:{port}/", demo


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--url", help="a running app (default: start one on a free loopback port)")
    ap.add_argument("--users", type=int, default=8)
    ap.add_argument("--deadline", type=float, default=1800.0, help="seconds each user waits at most")
    ap.add_argument("--json", type=Path)
    ap.add_argument("--store", type=Path)
    ap.add_argument("--index-dir", type=Path)
    ap.add_argument("--embedder")
    ap.add_argument("--model")
    ap.add_argument("--backend")
    args = ap.parse_args(argv)
    if not 1 <= args.users <= 64:
        raise SystemExit("--users must be between 1 and 64 (this is a bounded loopback check)")
    url, demo = (args.url, None) if args.url else launch(args)
    if not url.startswith(("http://127.0.0.1", "http://localhost")):
        raise SystemExit("only loopback URLs are load-tested")
    questions = [QUESTIONS[i % len(QUESTIONS)] for i in range(args.users)]
    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=args.users) as pool:
        rows = list(pool.map(lambda q: one_user(url, q, args.deadline), questions))
    ok = [r for r in rows if r["ok"]]
    summary = {"users": args.users, "answered": len(ok), "errors": len(rows) - len(ok),
               "ttft_mean_s": round(statistics.mean(r["ttft_s"] for r in ok), 2) if ok else None,
               "ttft_first_user_s": min((r["ttft_s"] for r in ok), default=None),
               "seconds_mean": round(statistics.mean(r["seconds"] for r in ok), 2) if ok else None,
               "seconds_max": max((r["seconds"] for r in ok), default=None),
               "wall_s": round(time.perf_counter() - start, 2), "rows": rows}
    print(json.dumps({k: v for k, v in summary.items() if k != "rows"}, ensure_ascii=False, indent=1))
    if args.json:
        from ruleassist.reports.export import write_text_atomic
        write_text_atomic(args.json, json.dumps(summary, ensure_ascii=False, indent=1))
    if demo is not None:
        demo.close()
    return 0 if len(ok) == len(rows) else 1


if __name__ == "__main__":
    sys.exit(main())
