"""The "Gap report" tab: pick EU acts, run with progress, browse the matrix, download the files.

    with gr.Tab("Gap report"):
        build_tab(ws)
"""
from __future__ import annotations

from pathlib import Path

from ruleassist.errors import RuleAssistError

TABLE_COLUMNS = ("act", "EU citation", "addressee", "status", "Japanese citations", "missing", "explanation (ja)",
                 "explanation (en)")
STATUS_FILTER = ("all compared", "covered", "partial", "gap", "conflict", "not compared", "everything")


def act_choices(store) -> list[str]:
    """Short names of the EU acts in the store (their CELEX number when they have none)."""
    names = {}
    for name, doc_id in sorted(store.aliases().items()):
        if doc_id.startswith("eu:") and doc_id not in names.values() and len(name) <= 12:
            names[name] = doc_id
    covered = set(names.values())
    for d in store.documents():
        if d["jurisdiction"] == "EU" and d["doc_id"] not in covered:
            names[d["doc_id"].removeprefix("eu:")] = d["doc_id"]
    return sorted(names)


def table_rows(run, status: str = "all compared") -> list[list[str]]:
    from ruleassist.reports.gap_report import rows_for

    out = []
    for act in run.acts:
        for r in rows_for(act.results):
            if status == "everything" or r["status"] == status or (
                    status == "all compared" and r["status"] != "not compared"):
                out.append([act.name] + ["; ".join(v) if isinstance(v, list) else str(v)
                                         for v in (r[c] for c in TABLE_COLUMNS[1:])])
    return out


def summary_markdown(run, paths) -> str:
    from ruleassist.reports.gap_report import _summary_line

    lines = [f"- {_summary_line(a)}" + (f" — computed {a.computed}, cached {a.cached}" if a.results else "")
             for a in run.acts]
    lines += [f"> {n}" for n in run.notices + [n for a in run.acts for n in a.notices]]
    if run.stopped:
        lines.append(f"> **stopped**: {run.stopped}")
    return "\n".join(lines)


def build_tab(ws) -> None:
    import gradio as gr

    from ruleassist.catalogue import load_catalogue
    from ruleassist.reports.export import report_id
    from ruleassist.reports.gap_batch import run_gaps
    from ruleassist.reports.gap_report import write_gap_reports

    choices = act_choices(ws.store)
    with gr.Row():
        acts = gr.Dropdown(choices, value=[c for c in ("CBAM",) if c in choices], multiselect=True,
                           label="EU acts / EU法令", allow_custom_value=True)
        status = gr.Dropdown(list(STATUS_FILTER), value="all compared", label="Show / 表示")
    run_button = gr.Button("Make gap report / ギャップ分析を実行", variant="primary")
    summary = gr.Markdown()
    table = gr.Dataframe(headers=list(TABLE_COLUMNS), wrap=True, interactive=False)
    files = gr.File(label="Downloads (XLSX, HTML, Markdown)", file_count="multiple", interactive=False)
    state = gr.State()

    def _run(names, shown, progress=gr.Progress()):
        if not names:
            raise gr.Error("Pick at least one EU act (e.g. CBAM) / EU法令を選んでください")
        try:
            run = run_gaps(ws, list(names), progress=lambda e: progress(
                e["overall_done"] / max(1, e["overall_total"]),
                desc=f"{e['act']}: {e['done']}/{e['total']} (all: {e['overall_done']}/{e['overall_total']})"))
            folder = Path(ws.cfg.reports_dir) / report_id("gaps")
            paths = write_gap_reports(run, folder, load_catalogue(ws.cfg.corpora_dir / "sources.toml"))
        except RuleAssistError as exc:
            raise gr.Error(str(exc)) from None
        listed = [str(p) for ps in paths.values() for p in ps]
        return summary_markdown(run, paths), table_rows(run, shown), listed, run

    run_button.click(_run, [acts, status], [summary, table, files, state])
    status.change(lambda run, shown: table_rows(run, shown) if run else [], [state, status], [table])
