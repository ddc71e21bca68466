"""Gap reports: obligation extraction from real EU text, the status rules, the cache and resumption,
the XLSX/HTML/Markdown outputs read back, the CLI, the tab, the evaluation, and bad input.

The Japanese side is 地球温暖化対策の推進に関する法律 (温対法) and 脱炭素成長型経済構造移行推進法 (GX法)
from the shared corpus; the EU side is CBAM (EU JSON). The LLM is the deterministic fake backend
where the model's content does not matter (which status follows from which answer), and a
backend that fails on purpose for the mid-batch failure (it cannot be caused otherwise).
"""
from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from ruleassist.backends.fake import FakeBackend
from ruleassist.config import load_config
from ruleassist.errors import BackendError, QueryError
from ruleassist.ingest import ingest
from ruleassist.reports.gap_batch import GapCache, run_gaps
from ruleassist.reports.gap_index import LexicalIndex
from ruleassist.reports.gaps import GapChecker, GapResult, enforce_rules
from ruleassist.reports.obligations import (
    extract_obligations,
    obligation_from_text,
    obligations_from_file,
    resolve_act,
)
from ruleassist.store import Store
from ruleassist.workspace import Workspace

CORPORA = Path(__file__).resolve().parents[2] / "shared" / "corpora"
EVAL = CORPORA.parent / "eval" / "gaps" / "dev.jsonl"
ONDANKA = CORPORA / "jp/markdown/acts/410AC0000000117.md"        # 地球温暖化対策の推進に関する法律
GX = CORPORA / "jp/markdown/acts/505AC0000000032.md"             # 脱炭素成長型経済構造への円滑な移行の推進に関する法律
CBAM_JSON = CORPORA / "eu/json/cbam.json"
CSDDD_HTML = next((CORPORA / "eu/eurlex/works/32024l1760").rglob("en.html"), None)
ESRS_GHG = ("The undertaking discloses its gross Scope 1, Scope 2 and Scope 3 and total greenhouse gas emissions "
            "in metric tonnes of CO2 equivalent.")
YES = {"Yes": -0.05, "yes": -0.05, "No": -4.0, "no": -4.0}
NO = {"Yes": -4.0, "yes": -4.0, "No": -0.05, "no": -0.05}


def _store(folder: Path, files) -> Store:
    """A store of copies of the files (a copy can be amended in place and ingested again)."""
    folder.mkdir(parents=True, exist_ok=True)
    copies = []
    for f in files:
        shutil.copyfile(f, folder / f.name)
        copies.append(folder / f.name)
    store = Store(folder / "provisions.sqlite")
    report = ingest(store, copies)
    assert not report.failed, report.failed
    return store


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> Store:
    return _store(tmp_path_factory.mktemp("gaps"), [ONDANKA, GX, CBAM_JSON])


@pytest.fixture(scope="module")
def lexical(store) -> LexicalIndex:
    return LexicalIndex(store)


@pytest.fixture(scope="module")
def cbam(store):
    return extract_obligations(store, resolve_act(store, "CBAM"))


def _ws(tmp_path: Path, store: Store, index, scores=YES, backend=None) -> Workspace:
    cfg = load_config(cache_dir=tmp_path / "cache", llm_backend="fake")
    return Workspace(cfg, store, _index=index, _backend=backend or FakeBackend(cfg, scores=scores))


# ------------------------------------------------------------------------------------------ extraction

def test_point_level_obligation_keeps_its_pinpoint_and_chapeau(cbam):
    row = next(o for o in cbam if o.heading == "Article 35(2)(a)")
    assert row.citation == "Regulation (EU) 2023/956, Article 35(2)(a)"
    assert row.text.startswith("2. The CBAM report shall include the following information: (a) the total quantity")
    assert row.addressee == ("importers",) and row.inferred_addressee and row.compare
    assert "applies from 1 October 2023" in row.dates          # Article 36(2): the transitional reporting period


def test_annex_duties_are_split_on_the_annexs_own_numbering(cbam):
    row = next(o for o in cbam if o.heading == "Annex VI, point 1(a)")
    assert row.text.startswith("(a) verifiers shall carry out verifications with an attitude of professional")
    assert row.addressee == ("verifiers",) and row.compare
    points = [o.heading for o in cbam if o.heading.startswith("Annex VI, point 2(")]
    assert "Annex VI, point 2(k)(ii)" in points and "Annex VI, point 2(n)" in points   # nested (k)(i)-(iii)
    assert not any(o.heading == "Annex VI, point 2" for o in cbam)     # the chapeau travels with its points


def test_every_article_with_duties_on_importers_or_declarants_appears(cbam):
    business = {"importers", "authorised CBAM declarants", "indirect customs representatives", "declarants"}
    articles = {int(m.group(1)) for o in cbam if set(o.addressee) & business and o.compare
                if (m := re.match(r"Article (\d+)", o.heading))}
    assert {4, 5, 6, 7, 8, 9, 22, 23, 26, 35} <= articles


def test_legal_technique_is_not_an_obligation_and_public_duties_are_not_compared(cbam):
    texts = [o.text for o in cbam]
    assert not any("shall enter into force" in t or "is empowered to" in t.split("shall")[0] for t in texts)
    assert not any(o.heading.startswith("Article 36") for o in cbam)          # entry into force and application
    customs = next(o for o in cbam if o.heading == "Article 25(1)")
    assert customs.group == "Member States" and customs.modal == "shall not" and not customs.compare
    commission = [o for o in cbam if o.addressee == ("the Commission",)]
    assert commission and not any(o.compare for o in commission)
    declaration = next(o for o in cbam if o.heading == "Article 6(1)")
    assert "By 31 May of each year" in declaration.dates


@pytest.mark.skipif(CSDDD_HTML is None, reason="CSDDD EUR-Lex HTML not in the corpus")
def test_member_states_shall_ensure_that_companies_is_a_duty_on_companies():
    rows = obligations_from_file(CSDDD_HTML)
    row = next(o for o in rows if o.heading == "Article 8(1)")
    assert row.addressee == ("companies",) and row.via_member_states and row.compare
    assert row.modal == "shall ensure"


# ------------------------------------------------------------------------------------------ status rules

def test_a_judgement_without_a_verified_citation_can_only_be_a_gap(cbam):
    result = GapResult(act_id="eu:x", act_title="x", heading="Article 1", citation="x, Article 1", addressee="",
                       group="economic operators", obligation="…", dates="", key="k", status="partial",
                       missing=["content: x"])
    assert enforce_rules(result).status == "gap" and enforce_rules(result).missing == []


def test_verified_citation_gives_partial_with_what_is_missing(store, lexical):
    result = GapChecker(store, lexical, FakeBackend(load_config(), scores=YES)).compare(obligation_from_text(ESRS_GHG))
    assert result.status == "partial"
    assert [c["citation"] for c in result.jp_citations] == ["地球温暖化対策の推進に関する法律第二十六条"]
    assert store.get_by_id(result.jp_citations[0]["id"]) is not None          # exists in the store
    assert any(m.startswith("content: Scope 3") for m in result.missing)
    assert any(m.startswith("thresholds") for m in result.missing)           # 相当程度多い温室効果ガスの排出をする者
    assert "地球温暖化対策の推進に関する法律第二十六条" in result.explanation_ja and "特定排出者" in result.explanation_ja
    assert result.explanation_en.startswith("地球温暖化対策の推進に関する法律第二十六条 requires")


def test_the_model_saying_no_leaves_a_gap_without_citations(store, lexical):
    result = GapChecker(store, lexical, FakeBackend(load_config(), scores=NO)).compare(obligation_from_text(ESRS_GHG))
    assert result.status == "gap" and result.jp_citations == [] and result.llm_calls >= 1
    assert any("does not read it" in r["reason"] for r in result.related)


def test_out_of_scope_duty_is_a_gap_without_asking_the_model(store, lexical):
    text = "Importers submit a quarterly CBAM report on the goods imported and the greenhouse gas emissions embedded in them."
    result = GapChecker(store, lexical, FakeBackend(load_config(), scores=YES)).compare(obligation_from_text(text))
    assert result.status == "gap" and result.llm_calls == 0
    assert "輸入者" in result.explanation_ja and result.explanation_en.startswith("No Japanese provision")
    assert any("imported goods" in r["reason"] for r in result.related)     # 温対法第26条: reporting, not imports


# ------------------------------------------------------------------------------------------ batch, cache, resume

def _amend(path: Path, article: str, old: str, new: str) -> None:
    data = json.loads(path.read_text(encoding="utf-8"))
    art = next(a for a in data["articles"] if a["number"] == article)
    assert old in art["text"]
    art["text"] = art["text"].replace(old, new)
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")


def test_interrupted_run_resumes_and_amendment_redoes_only_what_changed(tmp_path):
    store = _store(tmp_path / "corpus", [ONDANKA, GX, CBAM_JSON])
    ws = _ws(tmp_path, store, LexicalIndex(store))

    events = []

    def interrupt(event):                  # Ctrl-C after 30 obligations are computed
        events.append(event)
        if len(events) > 30:
            raise KeyboardInterrupt
    with pytest.raises(KeyboardInterrupt):
        run_gaps(ws, ["CBAM"], progress=interrupt)
    cache = GapCache(ws.cfg.cache_dir / "gaps.sqlite")
    done_before = cache.count()
    assert 0 < done_before < 104

    run = run_gaps(ws, ["CBAM"])
    act = run.acts[0]
    compared = sum(r.status != "not compared" for r in act.results)
    assert act.cached == done_before and act.computed == compared - done_before
    assert len(act.results) == len(extract_obligations(store, "eu:32023R0956"))

    again = run_gaps(ws, ["CBAM"]).acts[0]
    assert again.computed == 0 and again.cached == compared
    assert [r.status for r in again.results] == [r.status for r in act.results]

    _amend(tmp_path / "corpus" / "cbam.json", "35", "submit a report (‘CBAM report’)", "submit a quarterly report (‘CBAM report’)")
    ingest(store, [tmp_path / "corpus" / "cbam.json"])
    amended = run_gaps(ws, ["CBAM"]).acts[0]
    assert amended.computed == 1 and amended.cached == compared - 1


class _FailingBackend(FakeBackend):
    """A server that goes away: every scoring request fails (cannot be caused otherwise in a test)."""

    def score_options(self, messages, options):
        raise BackendError("connection refused by http://127.0.0.1:8000/v1")


def test_backend_failing_mid_batch_loses_nothing_and_the_run_resumes(tmp_path, store, lexical):
    cfg = load_config(cache_dir=tmp_path / "cache", llm_backend="fake")
    failing = Workspace(cfg, store, _index=lexical, _backend=_FailingBackend(cfg))
    run = run_gaps(failing, ["CBAM"])
    assert "LLM backend failed" in run.stopped and "run the same command again" in run.stopped
    kept = GapCache(cfg.cache_dir / "gaps.sqlite").count()
    assert kept > 0 and any("incomplete" in n for n in run.acts[0].notices)
    resumed = run_gaps(Workspace(cfg, store, _index=lexical, _backend=FakeBackend(cfg, scores=YES)), ["CBAM"])
    assert not resumed.stopped and resumed.acts[0].cached == kept and resumed.acts[0].computed >= 1


def test_server_backend_compares_in_parallel_with_the_same_results(tmp_path, store, lexical):
    """llm_backend = "openai" with llm_concurrency > 1 runs comparisons in threads (the backend object
    is the fake one: what is tested is the batching, not a server)."""
    sequential = run_gaps(_ws(tmp_path / "seq", store, lexical), ["CBAM"]).acts[0]
    cfg = load_config(cache_dir=tmp_path / "par" / "cache", llm_backend="openai", llm_concurrency=4)
    parallel = run_gaps(Workspace(cfg, store, _index=lexical, _backend=FakeBackend(cfg, scores=YES)), ["CBAM"]).acts[0]
    assert parallel.computed == sequential.computed > 0
    assert [(r.heading, r.status) for r in parallel.results] == [(r.heading, r.status) for r in sequential.results]
    failing = Workspace(load_config(cache_dir=tmp_path / "fail", llm_backend="openai", llm_concurrency=4), store,
                        _index=lexical, _backend=_FailingBackend(cfg))
    run = run_gaps(failing, ["CBAM"])
    assert run.stopped and GapCache(tmp_path / "fail" / "gaps.sqlite").count() > 0


# ------------------------------------------------------------------------------------------ reports

def test_xlsx_html_markdown_are_written_and_read_back(tmp_path, store, lexical):
    from openpyxl import load_workbook

    from ruleassist.catalogue import load_catalogue
    from ruleassist.reports.gap_batch import ActGaps
    from ruleassist.reports.gap_report import COLUMNS, write_gap_reports

    ws = _ws(tmp_path, store, lexical)
    run = run_gaps(ws, ["CBAM"])
    esrs = ActGaps("ESRS E1-6", "eu:32023R2772", "Delegated Regulation (EU) 2023/2772", "")
    esrs.results = [GapChecker(store, lexical, ws.backend()).compare(obligation_from_text(ESRS_GHG, heading="E1-6"))]
    run.acts.append(esrs)
    sources = load_catalogue(Path(__file__).resolve().parents[1] / "corpora" / "sources.toml")
    paths = write_gap_reports(run, tmp_path / "out", sources)
    assert set(paths) == {"CBAM", "ESRS E1-6", "combined"}

    book = load_workbook(paths["combined"][0])
    assert book.sheetnames[0] == "summary"
    sheet = book["CBAM"]
    rows = list(sheet.iter_rows(values_only=True))
    header_at = next(i for i, r in enumerate(rows) if r[0] == "EU citation")
    assert tuple(rows[header_at][:len(COLUMNS)]) == COLUMNS
    body = rows[header_at + 1:]
    assert len(body) == len(run.acts[0].results)
    assert {r[3] for r in body} <= {"covered", "partial", "gap", "conflict", "not compared"}
    assert any(r[0] == "Regulation (EU) 2023/956, Article 35(1)" and r[3] == "gap" for r in body)
    header_text = " ".join(str(r[0]) for r in rows[:header_at])
    assert "e-Gov" in header_text and "European Union" in header_text            # attribution lines
    esrs_row = list(book["ESRS-E1-6"].iter_rows(values_only=True))[-1]
    assert esrs_row[3] == "partial" and esrs_row[4] == "地球温暖化対策の推進に関する法律第二十六条"

    page = paths["combined"][1].read_text(encoding="utf-8")
    assert page.count("data:image/png;base64") == 3                             # combined + one per act
    assert "<details>" in page and "display:flex" in page                        # both texts side by side
    assert "特定排出者" in page and "Each importer or" in page
    assert "e-Gov" in page
    md = paths["CBAM"][2].read_text(encoding="utf-8")
    assert md.startswith("# Gap report: CBAM") and "| EU citation |" in md


# ------------------------------------------------------------------------------------------ bad input

def test_unknown_act_name_suggests_the_known_ones(store):
    with pytest.raises(QueryError, match=r"unknown act 'CBMA'.*did you mean.*CBAM"):
        resolve_act(store, "CBMA")
    assert resolve_act(store, "32023R0956") == resolve_act(store, "cbam") == "eu:32023R0956"


def test_act_with_no_obligations_is_reported_and_the_batch_goes_on(tmp_path, store, lexical):
    data = json.loads(CBAM_JSON.read_text(encoding="utf-8"))
    data["articles"] = [a for a in data["articles"] if a["number"] in ("1", "3")]     # subject matter, definitions
    data["celex_id"], data["id"] = "32023R9999", "NODUTY"
    (tmp_path / "noduty.json").write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    run = run_gaps(_ws(tmp_path, store, lexical), [str(tmp_path / "noduty.json"), "CBAM"])
    assert len(run.acts[0].results) == 0 and len(run.acts[1].results) > 0
    assert "no obligations found" in run.acts[0].notices[0]


def test_a_corpus_without_japanese_documents_is_refused_with_the_fix(tmp_path):
    eu_only = _store(tmp_path / "eu", [CBAM_JSON])
    with pytest.raises(QueryError, match="no Japanese documents.*ruleassist ingest"):
        run_gaps(_ws(tmp_path, eu_only, None), ["CBAM"])


# ------------------------------------------------------------------------------------------ CLI, tab, eval

def test_cli_writes_the_reports(tmp_path, store, monkeypatch):
    from typer.testing import CliRunner

    from ruleassist.cli import app

    monkeypatch.setenv("RULEASSIST_LLM_BACKEND", "fake")
    monkeypatch.setenv("RULEASSIST_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("RULEASSIST_INDEX_DIR", str(tmp_path / "no-index"))
    result = CliRunner().invoke(app, ["gaps", "CBAM", "--out", str(tmp_path / "reports"), "--store", str(store.path)])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "reports" / "CBAM-gaps.xlsx").is_file() and (tmp_path / "reports" / "CBAM-gaps.html").is_file()
    bad = CliRunner().invoke(app, ["gaps", "CBMA", "--store", str(store.path)])
    assert bad.exit_code == 2 and "did you mean" in bad.output


def test_gradio_tab_builds_and_lists_the_acts(tmp_path, store, lexical):
    import gradio as gr

    from ruleassist.ui.gaps import act_choices, build_tab, table_rows

    ws = _ws(tmp_path, store, lexical)
    assert "CBAM" in act_choices(store)
    with gr.Blocks():
        build_tab(ws)
    rows = table_rows(run_gaps(ws, ["CBAM"]), "gap")
    assert rows and all(r[3] == "gap" for r in rows) and rows[0][0] == "CBAM"


def test_evaluation_reports_the_metrics_the_issue_asks_for(tmp_path, store, lexical, monkeypatch):
    import importlib.util

    spec = importlib.util.spec_from_file_location("eval_gaps", Path(__file__).resolve().parents[1] / "eval" / "gaps.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    items = [json.loads(line) for line in EVAL.read_text(encoding="utf-8").splitlines() if line.strip()]
    items = [i for i in items if i["id"] in ("dev-cbam-35", "dev-esrs-e1-ghg")]
    ws = _ws(tmp_path, store, lexical)
    monkeypatch.setattr(module, "open_retriever", lambda ws, dense=True: (lexical, []))
    result = module.evaluate(ws, items, progress=lambda m: None)
    assert {"status_accuracy", "must_cite_recall", "false_coverage_claims", "nonexistent_citations",
            "seconds_per_obligation"} <= set(result)
    assert result["status_accuracy"] == 1.0 and result["must_cite_recall"] == 1.0
    assert result["nonexistent_citations"] == 0 and result["false_coverage_claims"] == 0


@pytest.mark.slow
def test_the_real_index_retrieves_across_languages(tmp_path):
    """The index's own API: dense retrieval from the English obligation plus the glossary BM25 query."""
    from ruleassist.index import build_index, make_embedder, open_index
    from ruleassist.models import is_pulled

    cfg = load_config(store_path=tmp_path / "store.sqlite", index_dir=tmp_path / "indexes", embedder="minilm")
    if not is_pulled(cfg.models_dir, "minilm"):
        pytest.skip("minilm is not pulled; run: ruleassist models pull minilm")
    store = Store(cfg.store_path)
    ingest(store, [ONDANKA])
    emb = make_embedder(cfg)
    build_index(cfg, store, progress=False, embedder=emb)
    index = open_index(cfg, store=store, embedder=emb)
    result = GapChecker(store, index, FakeBackend(cfg, scores=YES)).compare(obligation_from_text(ESRS_GHG))
    assert result.status == "partial"
    assert [c["citation"] for c in result.jp_citations] == ["地球温暖化対策の推進に関する法律第二十六条"]
