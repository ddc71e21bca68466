"""A friction report as people read it: summary, rows grouped by activity, a chart; Markdown/HTML/CSV/XLSX."""
from __future__ import annotations

import html
from collections import Counter
from pathlib import Path

from ruleassist.errors import RuleAssistError
from ruleassist.reports import export
from ruleassist.reports.classify import SEVERITIES, SEVERITY_JA, TYPES

COLUMNS = {   # row key -> (Japanese header, English header)
    "activity": ("活動", "Activity"), "citation": ("条項", "Provision"), "requirement": ("要件", "Requirement"),
    "type_label": ("摩擦の種類", "Friction type"), "severity": ("深刻度", "Severity"),
    "decision_maker": ("判断者", "Decision-maker"), "exception": ("条文上の例外", "Exception in the text"),
    "relief": ("救済措置", "Relief route"), "relief_citation": ("救済措置の根拠", "Relief citation"),
    "url": ("URL", "URL"), "relief_url": ("救済措置のURL", "Relief URL"),
}
SEVERITY_COLORS = ("#c0392b", "#e67e22", "#2980b9")
FORMATS = ("md", "html", "csv", "xlsx")


def display_rows(report) -> tuple[list[dict], list[str]]:
    """Rows keyed by the headers of the report's language, and the header order."""
    i = 0 if report.lang == "ja" else 1
    headers = [h[i] for h in COLUMNS.values()]
    rows = []
    for r in report.rows:
        row = {COLUMNS[k][i]: r.get(k, "") for k in COLUMNS}
        if report.lang == "ja":
            row[COLUMNS["severity"][0]] = SEVERITY_JA.get(r["severity"], r["severity"])
        if r.get("also"):
            row[COLUMNS["activity"][i]] += " (+ " + ", ".join(r["also"]) + ")"
        if not r.get("citation"):
            row[COLUMNS["citation"][i]] = "（該当条項なし）" if report.lang == "ja" else "(no provision found)"
        rows.append(row)
    return rows, headers


def summary_text(report) -> str:
    """A few lines on top: what was analysed, how many rows of which severity, what stands in the way."""
    sev = Counter(r["severity"] for r in report.rows)
    blocking = [r["citation"] for r in report.rows if r["severity"] == "blocking" and r.get("citation")]
    done = [a for a in report.activities if a["status"] == "done" and a.get("confirmed") != "llm-no"]
    if report.lang == "ja":
        lines = [f"活動 {len(done)} 件（{'、'.join(a['label'] for a in done)}）について {len(report.rows)} 件の条項を確認。",
                 "深刻度：" + "、".join(f"{SEVERITY_JA[s]} {sev.get(s, 0)} 件" for s in SEVERITIES) + "。"]
        if blocking:
            lines.append("特例措置又は法改正なしには実施できない可能性：" + "、".join(blocking) + "。")
    else:
        lines = [f"{len(report.rows)} provisions for {len(done)} activities ({'; '.join(a['label'] for a in done)}).",
                 "Severity: " + ", ".join(f"{s} {sev.get(s, 0)}" for s in SEVERITIES) + "."]
        if blocking:
            lines.append("May not proceed without a special measure or a change of rule: " + ", ".join(blocking) + ".")
    if report.status == "partial":
        lines.append("PARTIAL REPORT: " + report.notices[-1] if report.notices else "PARTIAL REPORT")
    return "\n".join(lines)


def _attribution(ws, report) -> list[str]:
    from ruleassist.catalogue import attribution_lines, load_catalogue
    doc_ids = {i.split("/")[0] for r in report.rows for k in ("provision_id", "relief_id") for i in r.get(k, "").split("; ") if i}
    try:
        return attribution_lines(load_catalogue(ws.cfg.corpora_dir / "sources.toml"), doc_ids)
    except (RuleAssistError, OSError) as exc:     # a broken catalogue must not lose the report; say what is missing
        return [f"(attribution lines unavailable: {exc})"]


def chart_png(report) -> bytes:
    counts: dict[str, dict[str, int]] = {}
    for r in report.rows:
        counts.setdefault(TYPES[r["type"]][1], Counter())[r["severity"]] += 1
    return export.bar_chart_png(counts, SEVERITIES, SEVERITY_COLORS, title="rows per friction type and severity")


def markdown(report, rows, headers, attribution) -> str:
    parts = [f"# Friction report {report.id}", "", summary_text(report), ""]
    parts += [f"> {n}" for n in report.notices] + ([""] if report.notices else [])
    parts += ["## Plan", "", report.plan, ""]
    key = headers[0]
    for activity in dict.fromkeys(r[key] for r in rows):
        parts += [f"## {activity}", "", export.markdown_table([r for r in rows if r[key] == activity], headers[1:]), ""]
    return "\n".join(parts + ["---", *attribution, ""])


def html_report(report, rows, headers, attribution) -> str:
    body = [f"<p>{html.escape(summary_text(report)).replace(chr(10), '<br>')}</p>"]
    body += [f"<p class='notice'>{html.escape(n)}</p>" for n in report.notices]
    if report.rows:
        body.append(export.img_tag(chart_png(report), "rows per friction type and severity"))
    body.append(f"<h2>Plan</h2><p>{html.escape(report.plan)}</p>")
    key = headers[0]
    for activity in dict.fromkeys(r[key] for r in rows):
        group = [dict(r, texts=html.escape(src.get("text", "")).replace("\n", "<br>"))
                 for r, src in zip(rows, report.rows) if r[key] == activity]
        body += [f"<h2>{html.escape(activity)}</h2>", export.html_table(group, headers[1:], details="texts")]
    return export.html_page(f"Friction report {report.id}", "\n".join(body), attribution, lang=report.lang)


def _write_bytes(path: Path, data: bytes) -> None:
    with export.atomic_path(path) as tmp:
        tmp.write_bytes(data)


def write_exports(ws, report, formats=FORMATS, folder: Path | None = None) -> dict[str, Path]:
    """Write the requested formats as report.<ext> in the report's folder (or `folder`)."""
    folder = Path(folder or report.folder)
    rows, headers = display_rows(report)
    if report.rows:     # the app shows it beside the table; the HTML embeds its own copy
        _write_bytes(folder / "chart.png", chart_png(report))
    attribution = _attribution(ws, report)
    out = {}
    for fmt in formats:
        path = folder / f"report.{fmt}"
        if fmt == "md":
            export.write_text_atomic(path, markdown(report, rows, headers, attribution))
        elif fmt == "html":
            export.write_text_atomic(path, html_report(report, rows, headers, attribution))
        elif fmt == "csv":
            export.write_csv(path, rows, headers)
        elif fmt == "xlsx":
            head = [f"Friction report {report.id}", *summary_text(report).splitlines(), *report.notices, *attribution]
            export.write_xlsx(path, {"friction": (rows, headers)}, header_lines=head)
        else:
            raise ValueError(f"unknown format {fmt!r}")
        out[fmt] = path
    return out
