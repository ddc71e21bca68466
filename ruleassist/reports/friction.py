"""Friction reports: which provisions a pilot-zone plan collides with, how hard, who decides, the way through.

    report = make_friction_report(ws, "運転者が乗車しない自動運転バスを公道で運行し、運賃を受け取る。")
    report.rows          # one verified row per provision, grouped by activity
    report.folder        # reports/<id>/: plan.txt, state.json, report.json, report.{md,html,csv,xlsx}
    make_friction_report(ws, resume=report.id)      # go on after a failure (checkpoint per activity)

Steps: read and check the plan -> find its activities (cue words; weak ones confirmed by the LLM
with a yes/no judgement) -> per activity, retrieve candidate articles (terms + index), classify
each from its text, rank, verify (exists, says what the row claims), attach relief routes ->
cap the report so an official can read it -> save and export.
"""
from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path

from ruleassist.errors import RuleAssistError
from ruleassist.reports import export
from ruleassist.reports.activities import (
    BY_KEY,
    Activity,
    PlanError,
    detect_activities,
    read_plan,
    taxonomy_summary,
)
from ruleassist.reports.candidates import ArticleCache, plan_activity
from ruleassist.reports.rows import activity_rows, cap_rows

log = logging.getLogger(__name__)
Progress = Callable[[float, str], None]
MAX_ROWS = 15
WEAK = 1.0          # one cue per group: ask the LLM whether the plan really involves the activity
LLM_NO = 0.3        # below this P(yes) the activity is left out


@dataclass
class FrictionReport:
    id: str
    plan: str
    lang: str
    fields: dict = field(default_factory=dict)
    activities: list[dict] = field(default_factory=list)   # key, label, cues, strength, status, confirmed, rows
    rows: list[dict] = field(default_factory=list)         # the final, capped rows
    notices: list[str] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)       # rows that failed verification, and why
    status: str = "running"                                 # running / partial / complete
    created: str = ""
    seconds: float = 0.0
    folder: Path | None = None

    def to_json(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if k != "folder"}

    @classmethod
    def from_json(cls, data: dict, folder: Path | None = None) -> FrictionReport:
        return cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__ and k != "folder"}, folder=folder)

    @property
    def summary(self) -> str:
        from ruleassist.reports.friction_export import summary_text
        return summary_text(self)


def reports_root(cfg) -> Path:
    return Path(cfg.reports_dir)


def _save_state(report: FrictionReport) -> None:
    export.write_text_atomic(report.folder / "state.json", json.dumps(report.to_json(), ensure_ascii=False, indent=1))


def load_report(cfg, report_id: str) -> FrictionReport:
    """A saved report (finished or partial) by id, as the discussion refers to it."""
    folder = reports_root(cfg) / report_id
    for name in ("report.json", "state.json"):
        if (folder / name).is_file():
            return FrictionReport.from_json(json.loads((folder / name).read_text(encoding="utf-8")), folder)
    known = sorted(p.name for p in reports_root(cfg).glob("friction-*")) if reports_root(cfg).is_dir() else []
    raise RuleAssistError(f"no friction report {report_id!r} in {reports_root(cfg)}; "
                          + (f"saved reports: {', '.join(known[-5:])}" if known else "make one with: ruleassist friction PLAN.txt"))


def _start(ws, plan_text: str, fields: dict | None, report_id: str | None, cache: ArticleCache,
           retrievers: tuple[str, ...]) -> FrictionReport:
    plan = read_plan(plan_text, fields)
    found = detect_activities(plan)
    report = FrictionReport(report_id or export.report_id("friction"), plan.text, plan.lang, plan.fields,
                            notices=list(plan.notices), created=datetime.now().isoformat(timespec="seconds"))
    report.activities = [{"key": f.activity.key, "label": f.activity.label_ja if plan.lang == "ja" else f.activity.label_en,
                          "cues": list(f.cues), "strength": round(f.strength, 2), "status": "pending",
                          "confirmed": "cues" if f.strength > WEAK else "", "rows": []} for f in found]
    if not found:
        report.activities = [_plan_entry(ws, report, plan, cache, retrievers)]
    report.folder = reports_root(ws.cfg) / report.id
    report.folder.mkdir(parents=True, exist_ok=True)
    export.write_text_atomic(report.folder / "plan.txt", plan_text)
    return report


def _plan_entry(ws, report: FrictionReport, plan, cache: ArticleCache, retrievers: tuple[str, ...]) -> dict:
    """No catalogued activity matched: search with the plan's own words, and say so in the report."""
    activity = plan_activity(plan, cache, _open_index(ws, report), retrievers)
    if activity is None:
        raise PlanError("no regulated activity was recognised in the plan, and searching its words found no Japanese "
                        "law. Say what will be done in concrete terms (who drives or flies what, where, for whom, "
                        "whether money is paid, which data are collected and shared). Activities covered: "
                        f"{taxonomy_summary(plan.lang)}")
    report.notices.append(
        "計画に既知の活動類型が見つからなかったため、計画文そのもので検索した条文を示します。関連性を確認してください。"
        if plan.lang == "ja" else "No catalogued activity matched the plan: the provisions below were found by "
        f"searching with the plan's own words in {', '.join(activity.laws)}; check that they apply.")
    return {"key": activity.key, "label": activity.label_ja if plan.lang == "ja" else activity.label_en, "cues": [],
            "strength": 0.0, "status": "pending", "confirmed": "search", "rows": [], "spec": asdict(activity)}


def activity_of(entry: dict) -> Activity:
    """The taxonomy's activity for an entry, or the ad-hoc one a plan outside the taxonomy was given."""
    if entry["key"] in BY_KEY:
        return BY_KEY[entry["key"]]
    spec = entry["spec"]
    return Activity(**{k: tuple(tuple(x) if isinstance(x, list) else x for x in v) if isinstance(v, list) else v
                       for k, v in spec.items()})


def _open_index(ws, report: FrictionReport):
    try:
        return ws.index()
    except RuleAssistError as exc:
        report.notices.append(f"no search index ({exc}); provisions were found by term matching over the store only")
        return None


def _confirm(ws, report: FrictionReport, entry: dict, use_llm: bool) -> None:
    """Ask the LLM (yes/no, log-probabilities) whether a weakly cued activity is really in the plan."""
    if entry["confirmed"]:
        return
    if not use_llm:
        entry["confirmed"] = "unconfirmed"
        return
    from ruleassist.judge import provision_block, yes_probability
    activity = activity_of(entry)
    label = activity.label_ja if report.lang == "ja" else activity.label_en
    question = (f"この計画には「{label}」が含まれますか。" if report.lang == "ja"
                else f"Does this plan involve: {label}?")
    p_yes = yes_probability(ws.backend(), question, provision_block("plan", report.plan, limit=1500), report.lang)
    entry["p_yes"] = round(p_yes, 3)
    entry["confirmed"] = "llm" if p_yes >= LLM_NO else "llm-no"


def make_friction_report(ws, plan: str = "", fields: dict | None = None, *, resume: str = "", report_id: str | None = None,
                         use_llm: bool = True, dense: bool = True, progress: Progress | None = None,
                         formats: tuple[str, ...] = ("md", "html", "csv", "xlsx")) -> FrictionReport:
    """Analyse a plan (or resume a saved partial run) and write the report and its exports."""
    start = time.perf_counter()
    step = progress or (lambda f, m: None)
    retrievers = ("bm25", "dense") if dense else ("bm25",)
    cache = ArticleCache(ws.store)
    report = load_report(ws.cfg, resume) if resume else _start(ws, plan, fields, report_id, cache, retrievers)
    if resume and report.status == "complete":
        return report
    report.status = "running"
    _save_state(report)
    index = _open_index(ws, report)
    todo = [a for a in report.activities if a["status"] != "done"]
    for i, entry in enumerate(todo):
        step(i / (len(todo) + 1), f"{entry['label']}")
        try:
            _confirm(ws, report, entry, use_llm)
        except RuleAssistError as exc:      # the LLM backend failed: keep what is done, say how to go on
            report.status = "partial"
            report.notices.append(f"stopped at “{entry['label']}”: {exc}. {len(report.activities) - len(todo) + i} of "
                                  f"{len(report.activities)} activities done; resume with: ruleassist friction --resume "
                                  f"{report.id} (or run with --no-llm)")
            break
        if entry["confirmed"] == "llm-no":
            entry["status"] = "done"
            continue
        taken = {r["article_id"] for a in report.activities if a is not entry for r in a["rows"] if r.get("article_id")}
        rows, dropped = activity_rows(cache, index, activity_of(entry), entry["label"], retrievers, taken)
        entry["rows"], entry["status"] = rows, "done"
        report.dropped += dropped
        _save_state(report)
    return _finish(ws, report, start, formats, step)


def _finish(ws, report: FrictionReport, start: float, formats: tuple[str, ...], step: Progress) -> FrictionReport:
    from ruleassist.reports.friction_export import write_exports
    if report.status != "partial":
        report.status = "complete"
    step(0.95, "report")
    report.rows = cap_rows([a for a in report.activities if a["status"] == "done"], MAX_ROWS, report.notices)
    report.seconds = round(report.seconds + time.perf_counter() - start, 1)
    _save_state(report)
    export.write_text_atomic(report.folder / "report.json",
                             json.dumps(report.to_json(), ensure_ascii=False, indent=1))
    write_exports(ws, report, formats)
    step(1.0, "done")
    return report
