"""Exports shared by every report: Markdown, HTML, CSV, XLSX, a chart, all written atomically.

A report is a list of rows (dicts with the same keys) plus a title, a summary and attribution
lines. Each writer takes exactly that and a path; nothing is left half-written (temp file,
then rename), so a crash never leaves a broken file where the user expects a report.
"""
from __future__ import annotations

import base64
import csv
import html
import io
import secrets
from datetime import datetime
from pathlib import Path
from typing import Sequence

from ruleassist.files import atomic_path, write_text_atomic  # noqa: F401  (re-exported: export.write_text_atomic)

Row = dict


def report_id(prefix: str) -> str:
    """A stable, sortable id a discussion can refer to: friction-20261127-1302-a1b2."""
    return f"{prefix}-{datetime.now():%Y%m%d-%H%M}-{secrets.token_hex(2)}"


def _columns(rows: Sequence[Row], columns: Sequence[str] | None) -> list[str]:
    if columns:
        return list(columns)
    return list(rows[0].keys()) if rows else []


def _cell(value) -> str:
    if isinstance(value, (list, tuple)):
        return "; ".join(map(str, value))
    return "" if value is None else str(value)


def write_csv(path: Path, rows: Sequence[Row], columns: Sequence[str] | None = None) -> Path:
    cols = _columns(rows, columns)
    with atomic_path(path) as tmp, open(tmp, "w", encoding="utf-8-sig", newline="") as f:   # BOM: Excel reads Japanese
        writer = csv.writer(f)
        writer.writerow(cols)
        writer.writerows([_cell(r.get(c)) for c in cols] for r in rows)
    return Path(path)


def write_xlsx(path: Path, sheets: dict[str, tuple[Sequence[Row], Sequence[str] | None]],
               header_lines: Sequence[str] = ()) -> Path:
    """One sheet per entry {name: (rows, columns)}; header lines (title, date, attribution) on top."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    wb = Workbook()
    wb.remove(wb.active)
    for name, (rows, columns) in sheets.items():
        ws = wb.create_sheet(name[:31])
        for line in header_lines:
            ws.append([line])
        cols = _columns(rows, columns)
        ws.append(cols)
        for cell in ws[ws.max_row]:
            cell.font = Font(bold=True)
        for r in rows:
            ws.append([_cell(r.get(c)) for c in cols])
        for i, col in enumerate(cols, start=1):
            letter = ws.cell(row=1, column=i).column_letter
            ws.column_dimensions[letter].width = min(60, max(10, len(col) + 2))
        for row in ws.iter_rows(min_row=len(header_lines) + 2):
            for cell in row:
                cell.alignment = Alignment(wrap_text=True, vertical="top")
    with atomic_path(path) as tmp:
        wb.save(tmp)
    return Path(path)


def markdown_table(rows: Sequence[Row], columns: Sequence[str] | None = None) -> str:
    cols = _columns(rows, columns)
    esc = lambda v: _cell(v).replace("|", "\\|").replace("\n", " ")
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    lines += ["| " + " | ".join(esc(r.get(c)) for c in cols) + " |" for r in rows]
    return "\n".join(lines)


def html_table(rows: Sequence[Row], columns: Sequence[str] | None = None, details: str | None = None) -> str:
    """An HTML table; when `details` names a key, its value is shown in an expandable row below."""
    cols = _columns(rows, columns)
    out = ["<table>", "<thead><tr>" + "".join(f"<th>{html.escape(c)}</th>" for c in cols) + "</tr></thead><tbody>"]
    for r in rows:
        out.append("<tr>" + "".join(f"<td>{html.escape(_cell(r.get(c)))}</td>" for c in cols) + "</tr>")
        if details and r.get(details):
            out.append(f'<tr class="details"><td colspan="{len(cols)}"><details><summary>texts</summary>'
                       f"{r[details]}</details></td></tr>")
    out.append("</tbody></table>")
    return "\n".join(out)


def bar_chart_png(counts: dict[str, dict[str, int]], categories: Sequence[str], colors: Sequence[str],
                  title: str = "") -> bytes:
    """Stacked horizontal bars, one per group (e.g. per EU act), one segment per category."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    groups = list(counts)
    fig, ax = plt.subplots(figsize=(7, 0.5 + 0.45 * max(1, len(groups))))
    left = [0] * len(groups)
    for cat, color in zip(categories, colors):
        values = [counts[g].get(cat, 0) for g in groups]
        ax.barh(groups, values, left=left, color=color, label=cat)
        left = [a + b for a, b in zip(left, values)]
    ax.set_title(title)
    ax.legend(loc="lower right", fontsize=8)
    ax.invert_yaxis()
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110)
    plt.close(fig)
    return buf.getvalue()


def img_tag(png: bytes, alt: str) -> str:
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{base64.b64encode(png).decode()}">'


HTML_PAGE = """<!doctype html><html lang="{lang}"><head><meta charset="utf-8"><title>{title}</title>
<style>body{{font-family:system-ui,'Noto Sans JP',sans-serif;margin:2em;max-width:1200px}}
table{{border-collapse:collapse;width:100%;font-size:14px}}th,td{{border:1px solid #ccc;padding:4px 6px;
vertical-align:top}}th{{background:#f3f3f3}}tr.details td{{background:#fafafa}}.attribution{{color:#555;
font-size:12px;margin-top:2em}}</style></head><body>
<h1>{title}</h1>{body}<div class="attribution">{attribution}</div></body></html>"""


def html_page(title: str, body: str, attribution: Sequence[str], lang: str = "ja") -> str:
    lines = "<br>".join(html.escape(a) for a in attribution)
    return HTML_PAGE.format(lang=lang, title=html.escape(title), body=body, attribution=lines)
