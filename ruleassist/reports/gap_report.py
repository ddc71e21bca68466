"""Gap reports: XLSX matrix, HTML with a coverage chart and side-by-side texts, Markdown; per act and combined.

    paths = write_gap_reports(run, Path("reports"), sources)   # -> {"CBAM": [xlsx, html, md], "combined": [...]}

One row per obligation: EU citation, addressee, obligation, status, Japanese citations,
explanation in Japanese and in English. Every file carries the attribution lines of the
sources it cites (the EU acts compared and every Japanese law cited).
"""
from __future__ import annotations

import html
import re
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from ruleassist.catalogue import Source, attribution_lines
from ruleassist.reports.export import (
    bar_chart_png,
    html_page,
    html_table,
    img_tag,
    markdown_table,
    write_text_atomic,
    write_xlsx,
)

CATEGORIES = ("covered", "partial", "gap", "conflict")
COLORS = ("#2e7d32", "#f9a825", "#c62828", "#6a1b9a")
COLUMNS = ("EU citation", "addressee", "obligation", "status", "Japanese citations", "missing",
           "explanation (ja)", "explanation (en)", "effective dates", "notices")
STATUS_JA = {"covered": "対応済み", "partial": "一部対応", "gap": "未対応", "conflict": "抵触", "not compared": "比較対象外"}


def rows_for(results, include_not_compared: bool = True) -> list[dict]:
    rows = []
    for r in results:
        if r.status == "not compared" and not include_not_compared:
            continue
        rows.append({
            "EU citation": r.citation, "addressee": r.addressee + (f" [{r.group}]" if r.group != "economic operators" else ""),
            "obligation": r.obligation, "status": r.status,
            "Japanese citations": [c["citation"] for c in r.jp_citations], "missing": r.missing,
            "explanation (ja)": r.explanation_ja, "explanation (en)": r.explanation_en,
            "effective dates": r.dates, "notices": r.notices, "details": _side_by_side(r)})
    return rows


def _side_by_side(r) -> str:
    """EU text on the left, the Japanese provisions cited (or looked at and set aside) on the right."""
    eu = f"<b>{html.escape(r.citation)}</b><p>{_para(r.obligation)}</p>"
    if r.eu_text and r.eu_text.strip() != r.obligation.strip():
        eu += f"<details><summary>whole provision</summary><p>{_para(r.eu_text)}</p></details>"
    jp = "".join(f"<b>{html.escape(c['citation'])}</b> {html.escape(c.get('caption', ''))}"
                 f"<p>{_para(c['text'])}</p>" for c in r.jp_citations)
    if r.related:
        jp += "<p><i>Looked at, not equivalent / 参照したが同等でない規定:</i></p>" + "".join(
            f"<p><b>{html.escape(c['citation'])}</b>: {html.escape(c.get('reason', ''))}<br>{_para(c['text'][:600])}</p>"
            for c in r.related)
    jp = jp or "<p>No Japanese provision found / 該当する日本の規定なし</p>"
    return (f'<div style="display:flex;gap:1em"><div style="flex:1">{eu}</div>'
            f'<div style="flex:1" lang="ja">{jp}</div></div>')


def _para(text: str) -> str:
    return html.escape(text).replace("\n", "<br>")


def counts(results) -> dict[str, int]:
    out = {c: 0 for c in (*CATEGORIES, "not compared")}
    for r in results:
        out[r.status] = out.get(r.status, 0) + 1
    return out


def cited_doc_ids(acts) -> list[str]:
    """The EU acts compared and every Japanese law quoted (cited, or shown as looked at)."""
    ids = []
    for act in acts:
        ids.append(act.act_id)
        ids += [c["doc_id"] for r in act.results for c in (*r.jp_citations, *r.related)]
    return list(dict.fromkeys(ids))


def slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", Path(name).stem if Path(name).suffix else name).strip("-") or "act"


def _summary_line(act) -> str:
    c = counts(act.results)
    return (f"{act.title} ({act.name}): {len(act.results)} obligations; compared {sum(c[k] for k in CATEGORIES)}: "
            + ", ".join(f"{k} {c[k]}" for k in CATEGORIES) + f"; not compared (Member States / EU bodies) {c['not compared']}")


def _header(run, acts, attribution: Sequence[str]) -> list[str]:
    return [f"Gap report: EU obligations against Japanese law — generated {datetime.now():%Y-%m-%d %H:%M}",
            f"Japanese corpus version {run.corpus_version}; method {run.method}",
            *[_summary_line(a) for a in acts], *run.notices, *attribution]


def _html_act(act) -> str:
    c = counts(act.results)
    chart = bar_chart_png({act.name: {k: c[k] for k in CATEGORIES}}, CATEGORIES, COLORS,
                          title=f"{act.name}: coverage by Japanese law")
    notices = "".join(f"<p class=notice>{html.escape(n)}</p>" for n in act.notices)
    table = html_table(rows_for(act.results), COLUMNS, details="details")
    return (f"<h2>{html.escape(act.title)} ({html.escape(act.name)})</h2><p>{html.escape(_summary_line(act))}</p>"
            f"{notices}{img_tag(chart, f'coverage of {act.name}')}{table}")


def _markdown(run, acts, attribution) -> str:
    out = [f"# Gap report: {', '.join(a.name for a in acts)}", ""]
    out += [f"- {line}" for line in (_summary_line(a) for a in acts)] + [f"- {n}" for n in run.notices] + [""]
    for a in acts:
        out += [f"## {a.title} ({a.name})", "", *[f"> {n}" for n in a.notices],
                markdown_table(rows_for(a.results), COLUMNS), ""]
    out += ["---", *attribution]
    return "\n".join(out) + "\n"


def write_gap_reports(run, out_dir: Path, sources: list[Source]) -> dict[str, list[Path]]:
    """Per-act files and combined files in `out_dir` (written atomically); returns the paths by act."""
    out_dir = Path(out_dir)
    written: dict[str, list[Path]] = {}
    for act in run.acts:
        written[act.name] = _write(run, [act], out_dir / f"{slug(act.name)}-gaps", sources)
    if len(run.acts) > 1:
        written["combined"] = _write(run, run.acts, out_dir / "gaps-combined", sources)
    return written


def _write(run, acts, stem: Path, sources) -> list[Path]:
    attribution = attribution_lines(sources, cited_doc_ids(acts))
    header = _header(run, acts, attribution)
    sheets = {}
    if len(acts) > 1:
        summary = [{"act": a.name, "title": a.title, **counts(a.results)} for a in acts]
        sheets["summary"] = (summary, ["act", "title", *CATEGORIES, "not compared"])
    for a in acts:
        sheets[slug(a.name)[:31]] = (rows_for(a.results), COLUMNS)
    xlsx = write_xlsx(stem.with_suffix(".xlsx"), sheets, header)
    body = ""
    if len(acts) > 1:
        chart = bar_chart_png({a.name: {k: counts(a.results)[k] for k in CATEGORIES} for a in acts},
                              CATEGORIES, COLORS, title="Coverage of EU obligations by Japanese law")
        body += img_tag(chart, "coverage per act")
    body += "".join(f"<p>{html.escape(line)}</p>" for line in run.notices)
    body += "".join(_html_act(a) for a in acts)
    title = f"Gap report — {', '.join(a.name for a in acts)}"
    page = write_text_atomic(stem.with_suffix(".html"), html_page(title, body, attribution))
    md = write_text_atomic(stem.with_suffix(".md"), _markdown(run, acts, attribution))
    return [xlsx, page, md]
