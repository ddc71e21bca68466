"""Friction reports on the real statutes: classification, verification of rows, exports, resumption, bad input."""
from __future__ import annotations

import csv
import json

import pytest
from conftest import AVIATION_HTML, CORPORA, ROAD_TRAFFIC_HTML

from ruleassist.backends.fake import FakeBackend
from ruleassist.config import load_config
from ruleassist.errors import BackendError
from ruleassist.reports import rows as rows_module
from ruleassist.reports.activities import PlanError, detect_activities, read_plan
from ruleassist.reports.classify import claims_hold, classify
from ruleassist.reports.friction import load_report, make_friction_report
from ruleassist.verify import verify_citation_text
from ruleassist.workspace import Workspace

HTML = CORPORA / "jp/egov-html"
FILES = [ROAD_TRAFFIC_HTML, AVIATION_HTML,
         HTML / "326AC0000000183_20250601_504AC0000000068.html",      # 道路運送法
         HTML / "415AC0000000057_20250601_504AC0000000068.html",      # 個人情報の保護に関する法律
         HTML / "323AC0000000201_20250601_504AC0000000068.html",      # 医師法
         HTML / "330AC0000000097_20250601_504AC0000000068.html",      # 自動車損害賠償保障法
         CORPORA / "jp/markdown/acts/425AC0000000107.md",             # 国家戦略特別区域法 (relief routes)
         CORPORA / "jp/markdown/acts/335AC0000000145.md"]             # 医薬品医療機器等法
L4_BUS = "過疎地の町で、運転者が乗車しない自動運転バス（レベル4）を公道の決められたルートで運行し、住民から運賃を受け取る。"
RIDESHARE = "路線バスが撤退した地域で、住民ボランティアが自家用車を使って高齢者を病院や商店まで送迎し、1回500円を受け取る。"
DRONE = "離島の診療所から住宅地の上空を通って、補助者を置かずに目視外でドローンにより医薬品を配送する（レベル4飛行）。"
WATCH = ("A start-up installs motion and door sensors in the homes of elderly people who live alone, detects falls and "
         "signs of illness, and shares alerts and health-related observations with the municipality and with family members.")


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    from ruleassist.ingest import ingest
    from ruleassist.store import Store

    db = Store(tmp_path_factory.mktemp("friction") / "provisions.sqlite")
    report = ingest(db, FILES)
    assert not report.failed, report.failed
    return db


def workspace(store, tmp_path, **flags) -> Workspace:
    cfg = load_config(store_path=store.path, reports_dir=tmp_path / "reports", index_dir=tmp_path / "no-index", **flags)
    return Workspace(cfg, store)


def cite(store, text):
    return verify_citation_text(store, text)


# ------------------------------------------------------------------------------------------ classification

def test_permission_decided_by_public_safety_commission(store):
    c = classify(cite(store, "道路交通法第75条の12"), ("特定自動運行",))
    assert (c.type, c.severity, c.decision_maker, c.decision_maker_source) == \
        ("permission", "approval needed", "公安委員会", "text")
    assert c.requirement.startswith("特定自動運行を行おうとする者は") and c.paragraph == 1


@pytest.mark.parametrize("citation, gap_terms, kind, severity, who", [
    ("道路運送法第4条", (), "permission", "approval needed", "国土交通大臣"),
    ("道路運送法第78条", (), "prohibition", "approval needed", "国土交通大臣"),     # except by registration (第79条)
    ("航空法第132条の85", (), "prohibition", "approval needed", "国土交通大臣"),
    ("航空法第132条の88", (), "reporting", "compliance burden", "国土交通大臣"),
    ("医師法第20条", ("自ら診察",), "gap", "blocking", "厚生労働大臣"),           # the rule presumes meeting the patient
    ("個人情報の保護に関する法律第27条", (), "personal_data", "approval needed", "個人情報保護委員会"),
    ("自動車損害賠償保障法第5条", (), "liability", "compliance burden", "国土交通大臣"),
])
def test_classification_of_known_provisions(store, citation, gap_terms, kind, severity, who):
    c = classify(cite(store, citation), (), gap_terms)
    assert (c.type, c.severity) == (kind, severity)
    assert c.decision_maker.startswith(who)


def test_exceptions_are_quoted_from_the_text(store):
    flight_plan = classify(cite(store, "航空法第132条の88"))
    assert flight_plan.exception.startswith("ただし、あらかじめ飛行計画を通報することが困難な場合")
    paid_rides = classify(cite(store, "道路運送法第78条"))
    assert paid_rides.exception.startswith("除外：災害のため緊急を要するとき")
    assert classify(cite(store, "道路交通法第2条")) is None        # definitions impose nothing


# ------------------------------------------------------------------------------------------ verification

def test_a_claim_the_provision_does_not_bear_out_is_caught(store):
    p = cite(store, "道路交通法第75条の12")
    c = classify(p, ("特定自動運行",))
    assert claims_hold(c, p) == []
    from dataclasses import replace
    assert claims_hold(replace(c, decision_maker="国土交通大臣"), p)          # it names 公安委員会, not the minister
    assert claims_hold(replace(c, type="prohibition", marker="てはならない"), p)


def test_rows_whose_provision_does_not_say_what_they_claim_are_dropped(store, tmp_path, monkeypatch):
    from dataclasses import replace

    real = rows_module.classify

    def misread(provision, terms=(), gap_terms=()):      # a classifier that misattributes who decides
        c = real(provision, terms, gap_terms)
        if c and provision.address == "a75-12":
            return replace(c, decision_maker="厚生労働大臣", decision_maker_source="text")
        return c

    monkeypatch.setattr(rows_module, "classify", misread)
    report = make_friction_report(workspace(store, tmp_path), L4_BUS, use_llm=False, formats=("md",))
    assert "jp:335AC0000000105/a75-12" not in {r["article_id"] for r in report.rows}
    assert any("厚生労働大臣" in d for d in report.dropped)


# ------------------------------------------------------------------------------------------ reports

@pytest.fixture(scope="module")
def bus_report(store, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("bus")
    return make_friction_report(workspace(store, tmp), L4_BUS, use_llm=False)


def test_bus_plan_names_the_permissions_it_needs(bus_report, store):
    articles = {r["article_id"] for r in bus_report.rows}
    assert {"jp:335AC0000000105/a75-12", "jp:335AC0000000105/a75-13", "jp:326AC0000000183/a4"} <= articles
    assert bus_report.status == "complete" and 0 < len(bus_report.rows) <= 15
    for r in bus_report.rows:                     # every citation shown exists and is the provision of the row
        if r["citation"]:
            assert cite(store, r["citation"]).id == r["provision_id"]
            assert r["url"].startswith("https://laws.e-gov.go.jp/law/")
    # 道路運送車両法 is not in this store: the activity is reported as a gap, without a citation
    gap = next(r for r in bus_report.rows if r["activity_key"] == "vehicle_equipment")
    assert gap["type"] == "gap" and gap["citation"] == "" and "no provision" in gap["requirement"]
    row = next(r for r in bus_report.rows if r["article_id"].endswith("/a75-12"))
    assert row["citation"] == "道路交通法第七十五条の十二第一項" and row["decision_maker"] == "公安委員会"


def test_exports_read_back(bus_report):
    from openpyxl import load_workbook

    folder = bus_report.folder
    sheet = load_workbook(folder / "report.xlsx").active
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    header = next(i for i, row in enumerate(values) if row[0] == "活動")
    assert values[header][:5] == ["活動", "条項", "要件", "摩擦の種類", "深刻度"]
    body = values[header + 1:]
    assert len(body) == len(bus_report.rows)
    assert "道路交通法第七十五条の十二第一項" in [row[1] for row in body]
    assert any("e-Gov" in str(row[0]) for row in values[:header])      # attribution on top
    with open(folder / "report.csv", encoding="utf-8-sig") as f:
        assert len(list(csv.DictReader(f))) == len(bus_report.rows)
    page = (folder / "report.html").read_text(encoding="utf-8")
    assert "<img" in page and "道路交通法第七十五条の十二第一項" in page
    md = (folder / "report.md").read_text(encoding="utf-8")
    assert "## 運転者が乗車しない公道での自動運行" in md
    saved = load_report(bus_report_cfg(bus_report), bus_report.id)
    assert [r["citation"] for r in saved.rows] == [r["citation"] for r in bus_report.rows]


def bus_report_cfg(report):
    return load_config(reports_dir=report.folder.parent)


def test_rideshare_points_to_the_registration_route(store, tmp_path):
    report = make_friction_report(workspace(store, tmp_path), RIDESHARE, use_llm=False, formats=())
    ban = next(r for r in report.rows if r["article_id"].endswith("/a78"))
    assert ban["type"] == "prohibition" and "道路運送法第七十九条" in ban["relief_citation"]
    assert "jp:326AC0000000183/a79" in {r["article_id"] for r in report.rows}


def test_english_plan_is_mapped_to_japanese_provisions(store, tmp_path):
    report = make_friction_report(workspace(store, tmp_path), WATCH, use_llm=False, formats=())
    articles = {r["article_id"] for r in report.rows}
    assert {"jp:415AC0000000057/a27", "jp:415AC0000000057/a20"} <= articles
    assert report.lang == "en" and report.summary.startswith(f"{len(report.rows)} provisions")


# ------------------------------------------------------------------------------------------ LLM and resumption

class FailingBackend(FakeBackend):
    def score_options(self, messages, options):
        raise BackendError("the model server went away")


def test_partial_report_is_kept_and_resumed(store, tmp_path):
    ws = workspace(store, tmp_path)
    ws._backend = FailingBackend(ws.cfg)     # drone flight is clearly cued; the medicines activity asks the LLM
    first = make_friction_report(ws, DRONE, formats=("md",))
    assert first.status == "partial" and "resume with: ruleassist friction --resume" in first.notices[-1]
    assert [a["status"] for a in first.activities] == ["done", "pending"]
    assert any(r["article_id"].endswith("/a132-85") for r in first.rows)
    assert (first.folder / "report.md").is_file()
    ws._backend = FakeBackend(ws.cfg, scores={"はい": -0.1, "いいえ": -3.0})
    done = make_friction_report(ws, resume=first.id, formats=("md",))
    assert done.status == "complete" and [a["status"] for a in done.activities] == ["done", "done"]
    assert done.activities[1]["confirmed"] == "llm"
    assert {r["article_id"] for r in first.rows} < {r["article_id"] for r in done.rows}


def test_llm_no_leaves_a_weak_activity_out(store, tmp_path):
    ws = workspace(store, tmp_path)
    ws._backend = FakeBackend(ws.cfg, scores={"はい": -4.0, "いいえ": -0.05})
    report = make_friction_report(ws, DRONE, formats=())
    assert report.activities[1]["confirmed"] == "llm-no"
    assert all(r["activity_key"] == "drone_flight" for r in report.rows)


# ------------------------------------------------------------------------------------------ bad input

@pytest.mark.parametrize("plan, words", [
    ("", "empty"),
    ("   \n ", "empty"),
    ("今日は天気が良いので公園を散歩して、夕方に友人とお茶を飲みました。", "no regulated activity"),
    ("在偏远山区，居民志愿者用私家车接送老人去医院，每次收取五百日元费用。", "Chinese"),
    ("Des bénévoles transportent les personnes âgées à l'hôpital dans leur voiture contre paiement.", "neither Japanese nor English"),
])
def test_bad_plans_get_clear_messages(store, tmp_path, plan, words):
    with pytest.raises(PlanError, match=words):
        make_friction_report(workspace(store, tmp_path), plan, use_llm=False)


def test_a_fifty_page_plan_is_capped_and_says_so():
    plan = read_plan(RIDESHARE * 2000)
    assert len(plan.text) == 20_000 and "only the first 20,000" in plan.notices[0]


def test_missing_report_id_names_the_saved_ones(tmp_path):
    with pytest.raises(Exception, match="no friction report"):
        load_report(load_config(reports_dir=tmp_path), "friction-nope")


# ------------------------------------------------------------------------------------------ with a search index

def test_report_through_the_search_index(store, tmp_path):
    from ruleassist.index import open_index
    from ruleassist.index.build import build_index

    ws = workspace(store, tmp_path)
    cfg = load_config(store_path=store.path, reports_dir=tmp_path / "reports", index_dir=tmp_path / "idx", embedder="none")
    build_index(cfg, store, progress=False)
    ws = Workspace(cfg, store, _index=open_index(cfg, store=store))
    report = make_friction_report(ws, RIDESHARE, use_llm=False, dense=False, formats=())
    assert not any("no search index" in n for n in report.notices)
    assert {"jp:326AC0000000183/a78", "jp:326AC0000000183/a79", "jp:326AC0000000183/a4"} <= \
        {r["article_id"] for r in report.rows}


def test_a_plan_outside_the_taxonomy_is_searched_with_its_own_words(store, tmp_path):
    from ruleassist.index import open_index
    from ruleassist.index.build import build_index

    cfg = load_config(store_path=store.path, reports_dir=tmp_path / "reports", index_dir=tmp_path / "idx", embedder="none")
    build_index(cfg, store, progress=False)
    ws = Workspace(cfg, store, _index=open_index(cfg, store=store))
    plan = "医師が、診療所で診察した患者の同意を得ずに、その診療録の写しを保険会社に渡す。"
    assert not detect_activities(read_plan(plan))
    report = make_friction_report(ws, plan, use_llm=False, dense=False, formats=())
    assert [a["key"] for a in report.activities] == ["plan"] and "計画文そのもので検索" in report.notices[-1]
    assert report.rows and all(cite(store, r["citation"]) for r in report.rows)        # verified, existing
    again = make_friction_report(ws, resume=report.id, use_llm=False, dense=False, formats=())   # the spec is kept
    assert again.rows == report.rows
    with pytest.raises(PlanError, match="no regulated activity"):
        make_friction_report(ws, "今日は天気が良いので公園を散歩して、夕方に友人とお茶を飲みました。", use_llm=False, formats=())


def test_e_scooter_rental_names_the_age_limit(store, tmp_path):
    plan = "駅前で電動キックボードを貸し出し、16歳以上なら免許なしで誰でも利用でき、歩道も走れるようにする。"
    report = make_friction_report(workspace(store, tmp_path), plan, use_llm=False, formats=())
    assert "jp:335AC0000000105/a64-2" in {r["article_id"] for r in report.rows}     # 十六歳未満の者は…運転してはならない


# ------------------------------------------------------------------------------------------ CLI

def test_cli_writes_the_format_of_the_extension_and_the_others_beside(store, tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from ruleassist.cli import app

    monkeypatch.setenv("RULEASSIST_REPORTS_DIR", str(tmp_path / "reports"))
    monkeypatch.setenv("RULEASSIST_INDEX_DIR", str(tmp_path / "no-index"))
    plan = tmp_path / "plan.txt"
    plan.write_text(RIDESHARE, encoding="utf-8")
    out = tmp_path / "out" / "report.xlsx"
    result = CliRunner().invoke(app, ["friction", str(plan), "--out", str(out), "--formats", "xlsx,csv",
                                      "--no-llm", "--store", str(store.path)])
    assert result.exit_code == 0, result.output
    assert out.is_file() and out.with_suffix(".csv").is_file() and not out.with_suffix(".md").exists()
    report_id = json.loads(next((tmp_path / "reports").glob("*/report.json")).read_text())["id"]
    shown = CliRunner().invoke(app, ["friction", "--show", report_id, "--store", str(store.path)])
    assert shown.exit_code == 0 and report_id in shown.output
    missing = CliRunner().invoke(app, ["friction", str(tmp_path / "nope.txt"), "--store", str(store.path)])
    assert missing.exit_code == 2 and "no such file" in missing.output
