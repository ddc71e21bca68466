"""The "Friction report" tab: enter a plan, watch progress, read the table, download the files.

    with gr.Tab("Friction report"):
        build_tab(ws)
"""
from __future__ import annotations

from ruleassist.errors import RuleAssistError

FIELDS = (("technology", "Technology / 技術"), ("activity", "Activity / 活動"), ("place", "Place / 場所"),
          ("people", "People involved / 関係者"), ("data", "Data handled / データ"), ("payment", "Payment / 対価"))
TABLE_COLUMNS = ("activity", "citation", "requirement", "type_label", "severity", "decision_maker", "exception",
                 "relief", "relief_citation", "url")
EXAMPLE = "過疎地の町で、運転者が乗車しない自動運転バス（レベル4）を公道の決められたルートで運行し、住民から運賃を受け取る。"


def report_outputs(report) -> tuple[str, list[list[str]], list[str], str | None]:
    """(summary Markdown, table rows, files to download, chart path) for a report."""
    head = [f"**{report.id}** — {report.status}, {report.seconds:.1f} s", "", report.summary.replace("\n", "  \n")]
    head += [f"> {n}" for n in report.notices]
    rows = [[str(r.get(c, "")) for c in TABLE_COLUMNS] for r in report.rows]
    folder = report.folder
    files = [str(folder / f"report.{ext}") for ext in ("xlsx", "html", "md", "csv") if (folder / f"report.{ext}").is_file()]
    chart = folder / "chart.png"
    return "\n".join(head), rows, files, str(chart) if chart.is_file() else None


def build_tab(ws) -> None:
    import gradio as gr

    from ruleassist.reports.friction import load_report, make_friction_report

    with gr.Row():
        plan = gr.Textbox(label="Plan (Japanese or English) / 計画", lines=9, placeholder=EXAMPLE)
        with gr.Column():
            with gr.Accordion("Structured fields (optional)", open=False):
                fields = [gr.Textbox(label=label, lines=1) for _, label in FIELDS]
            use_llm = gr.Checkbox(value=True, label="Confirm weakly cued activities with the LLM (yes/no)")
            report_id = gr.Textbox(label="Report id (to show again or resume)", lines=1)
    with gr.Row():
        run = gr.Button("Make friction report", variant="primary")
        again = gr.Button("Show / resume by id")
    summary = gr.Markdown()
    table = gr.Dataframe(headers=list(TABLE_COLUMNS), wrap=True, interactive=False)
    with gr.Row():
        chart = gr.Image(label="Rows per friction type and severity", type="filepath", interactive=False)
        files = gr.File(label="Downloads", file_count="multiple", interactive=False)

    def _make(text, *rest, progress=gr.Progress()):
        *values, llm = rest
        given = {name: v for (name, _), v in zip(FIELDS, values) if v and v.strip()}
        try:
            report = make_friction_report(ws, text, given, use_llm=llm,
                                          progress=lambda f, m: progress(f, desc=m))
        except RuleAssistError as exc:
            raise gr.Error(str(exc)) from None
        out = report_outputs(report)
        return out[0], out[1], out[3], out[2], report.id

    def _again(rid, llm, progress=gr.Progress()):
        try:
            report = load_report(ws.cfg, rid.strip())
            if report.status != "complete":
                report = make_friction_report(ws, resume=report.id, use_llm=llm,
                                              progress=lambda f, m: progress(f, desc=m))
        except RuleAssistError as exc:
            raise gr.Error(str(exc)) from None
        out = report_outputs(report)
        return out[0], out[1], out[3], out[2]

    run.click(_make, [plan, *fields, use_llm], [summary, table, chart, files, report_id])
    again.click(_again, [report_id, use_llm], [summary, table, chart, files])
