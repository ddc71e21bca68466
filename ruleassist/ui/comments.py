"""The "Ballot comments" tab: upload a draft, watch progress, edit, accept or reject rows, download.

    with gr.Tab("Ballot comments"):
        build_tab(ws)

The table is editable: change any cell, untick "accept" to drop a row; the downloads (DOCX in the
ISO/IEC template, XLSX, CSV) are written from the table as it stands, renumbered JP-001 ...
"""
from __future__ import annotations

import tempfile
from dataclasses import replace
from pathlib import Path

from ruleassist.errors import RuleAssistError
from ruleassist.reports.template import (
    Comment,
    CommentSheet,
    merge,
    number_comments,
    write_sheet,
)

HEADERS = ["accept", "id", "MB/NC", "Line number", "Clause/Subclause", "Paragraph/Figure/Table",
           "Type of comment", "Comments", "Proposed change", "Provisions cited"]
TYPES = ("ge", "te", "ed")


def sheet_rows(sheet: CommentSheet) -> list[list]:
    return [[c.accepted, c.id, c.mb, "" if c.line is None else c.line, c.clause, c.paragraph, c.type,
             c.comment, c.proposed, "; ".join(c.citations)] for c in sheet.comments]


def rows_sheet(rows, header: dict) -> CommentSheet:
    """The sheet the edited table describes (rejected rows left out), renumbered."""
    comments = []
    for r in _records(rows):
        if not _truthy(r[0]) or not str(r[7]).strip():
            continue
        line = str(r[3]).strip()
        comments.append(Comment(line=int(float(line)) if line else None, clause=str(r[4]).strip() or "General",
                                paragraph=str(r[5] or ""), type=str(r[6]).strip().lower(), comment=str(r[7]).strip(),
                                proposed=str(r[8] or "").strip(), mb=str(r[2]).strip().upper() or header["mb"],
                                citations=tuple(c for c in str(r[9] or "").split("; ") if c)))
    sheet = CommentSheet(header["document"], header["project"], header["date"], tuple(comments))
    return number_comments(sheet)


def _records(rows) -> list[list]:
    if hasattr(rows, "values") and hasattr(rows, "columns"):      # gradio hands a pandas DataFrame back
        return rows.values.tolist()
    return list(rows or [])


def _truthy(value) -> bool:
    return value is True or str(value).strip().lower() in ("true", "1", "yes", "y", "x")


def chart(sheet: CommentSheet) -> str | None:
    """Comments per clause and type, as a PNG file (None when there are none)."""
    from ruleassist.reports.export import bar_chart_png
    if not sheet.comments:
        return None
    counts: dict[str, dict[str, int]] = {}
    for c in sheet.comments:
        top = c.clause.split(".")[0]
        counts.setdefault(top, {}).setdefault(c.type, 0)
        counts[top][c.type] += 1
    path = Path(tempfile.mkdtemp(prefix="ruleassist-comments-")) / "comments.png"
    path.write_bytes(bar_chart_png(counts, TYPES, ("#999999", "#c0392b", "#2e86c1"), "Comments per clause"))
    return str(path)


def build_tab(ws) -> None:
    import gradio as gr

    from ruleassist.reports.ballot import ballot_comments
    from ruleassist.reports.template import read_sheet

    with gr.Row():
        draft = gr.File(label="Draft (PDF with line numbers, DOCX or text)", file_types=[".pdf", ".docx", ".txt", ".md"])
        with gr.Column():
            mb = gr.Textbox(value="JP", label="MB/NC (two-letter code)", max_lines=1)
            own = gr.File(label="Your own comment sheet to merge (DOCX or XLSX, optional)", file_types=[".docx", ".xlsx"])
            papers = gr.File(label="Position papers (optional)", file_count="multiple")
            use_llm = gr.Checkbox(value=True, label="Write the provisions' gists with the LLM")
            technical = gr.Checkbox(value=True, label="Technical comments (Japanese law); untick for editorial only")
    run = gr.Button("Draft comments", variant="primary")
    summary = gr.Markdown()
    table = gr.Dataframe(headers=HEADERS, datatype=["bool", "str", "str", "str", "str", "str", "str", "str", "str",
                                                    "str"], interactive=True, wrap=True, column_count=(len(HEADERS), "fixed"))
    header = gr.State({})
    with gr.Row():
        export = gr.Button("Download accepted rows")
        picture = gr.Image(label="Comments per clause and type", type="filepath", interactive=False)
        files = gr.File(label="Comment sheet", file_count="multiple", interactive=False)

    def _draft(upload, code, sheet_file, paper_files, llm, tech, progress=gr.Progress()):
        if upload is None:
            raise gr.Error("Upload the draft first (PDF, DOCX or text).")
        code = (code or "").strip().upper()
        if len(code) != 2 or not code.isalpha():
            raise gr.Error("MB/NC must be a two-letter code, e.g. JP.")
        try:
            theirs = read_sheet(Path(_path(sheet_file))) if sheet_file is not None else None
            sheet = ballot_comments(ws, Path(_path(upload)), mb=code, use_llm=llm, technical=tech,
                                    position_papers=[Path(_path(f)) for f in paper_files or []],
                                    progress=lambda f, m: progress(f, desc=m))
        except RuleAssistError as exc:
            raise gr.Error(str(exc)) from None
        if theirs is not None:
            sheet = merge(sheet, theirs)
        sheet = replace(sheet, comments=tuple(replace(c, accepted=True) for c in sheet.comments))
        kinds = {t: sum(c.type == t for c in sheet.comments) for t in TYPES}
        text = (f"**{sheet.document}**: {len(sheet.comments)} comments ({kinds['te']} technical, {kinds['ed']} "
                "editorial). Edit cells, untick *accept* to drop a row, then download.")
        state = {"document": sheet.document, "project": sheet.project, "date": sheet.date, "mb": code}
        return text, sheet_rows(sheet), state, chart(sheet)

    def _export(rows, state):
        if not state:
            raise gr.Error("Draft the comments first.")
        sheet = rows_sheet(rows, state)
        folder = Path(tempfile.mkdtemp(prefix="ruleassist-comments-"))
        stem = (state["document"] or "comments").replace("/", "-").replace(" ", "_")
        try:
            return [str(write_sheet(sheet, folder / f"{stem}-comments.{ext}")) for ext in ("docx", "xlsx", "csv")]
        except (RuleAssistError, ValueError) as exc:
            raise gr.Error(str(exc)) from None

    run.click(_draft, [draft, mb, own, papers, use_llm, technical], [summary, table, header, picture])
    export.click(_export, [table, header], [files])


def _path(upload) -> str:
    return upload if isinstance(upload, str) else getattr(upload, "name", str(upload))
