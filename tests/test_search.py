"""Search: citations pinned first, Japanese BM25, cross-lingual dense retrieval, filters, bad input,
the LangChain retriever and the CLI. Real corpus files, real models, a real FAISS index.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from ruleassist.config import load_config
from ruleassist.errors import QueryError
from ruleassist.index import build_index, make_embedder, open_index
from ruleassist.ingest import ingest
from ruleassist.store import Store

CORPORA = Path(__file__).resolve().parents[2] / "shared" / "corpora"
FILES = ["jp/markdown/acts/406AC0000000085.md",        # 製造物責任法
         "jp/markdown/acts/403AC0000000090.md",        # 借地借家法
         "eu/json/cbam.json"]                          # Regulation (EU) 2023/956 (CBAM)
CBAM = "eu:32023R0956"


def _index(tmp: Path, embedder_name: str):
    from ruleassist.models import is_pulled
    cfg = load_config(store_path=tmp / "store.sqlite", index_dir=tmp / "indexes", embedder=embedder_name)
    model = {"minilm": "minilm"}.get(embedder_name)
    if model and not is_pulled(cfg.models_dir, model):
        pytest.skip(f"{model} is not pulled; run: ruleassist models pull {model}")
    store = Store(cfg.store_path)
    ingest(store, [CORPORA / f for f in FILES])
    emb = make_embedder(cfg)
    build_index(cfg, store, progress=False, embedder=emb)
    return cfg, open_index(cfg, store=store, embedder=emb)


@pytest.fixture(scope="module")
def index(tmp_path_factory):
    return _index(tmp_path_factory.mktemp("minilm"), "minilm")[1]


@pytest.fixture(scope="module")
def multilingual(tmp_path_factory):
    """EmbeddingGemma over CBAM Articles 30-36 and 製造物責任法: small enough to embed in seconds."""
    from ruleassist.models import is_pulled
    tmp = tmp_path_factory.mktemp("gemma")
    cfg = load_config(store_path=tmp / "store.sqlite", index_dir=tmp / "indexes", embedder="embeddinggemma")
    if not is_pulled(cfg.models_dir, "embeddinggemma"):
        pytest.skip("EmbeddingGemma is not pulled; run: ruleassist models pull embeddinggemma")
    cbam = json.loads((CORPORA / "eu/json/cbam.json").read_text(encoding="utf-8"))
    cbam["articles"] = [a for a in cbam["articles"] if 30 <= int(a["number"]) <= 36]
    cbam["recitals"] = cbam["recitals"][:2]
    (tmp / "cbam.json").write_text(json.dumps(cbam, ensure_ascii=False), encoding="utf-8")
    store = Store(cfg.store_path)
    ingest(store, [tmp / "cbam.json", CORPORA / FILES[0]])
    emb = make_embedder(cfg)
    build_index(cfg, store, progress=False, embedder=emb)
    return open_index(cfg, store=store, embedder=emb)


def test_cited_articles_are_pinned_first(index):
    hits = index.search("製造物責任法第3条とCBAM Article 35の関係は？", k=5)
    assert {h.provision.id for h in hits[:2]} == {"jp:406AC0000000085/a3", f"{CBAM}/a35"}
    assert hits[0].pinned and hits[1].pinned and not hits[2].pinned
    assert "製造物責任法第三条" in [h.provision.citation for h in hits[:2]]
    assert len({h.provision.id for h in hits}) == len(hits)


def test_unknown_citation_is_reported_not_dropped_silently(index):
    result = index.query("製造物責任法第99条の適用範囲")
    assert any("第99条" in n and "not found" in n for n in result.notices)
    assert result.hits and not result.hits[0].pinned


def test_japanese_query_scores_through_bm25(index):
    result = index.query("借地権の存続期間は何年か", retrievers=("bm25",))
    assert {"借地", "権", "存続", "期間"} <= set(result.tokens)
    assert result.hits and all(dict(h.scores)["bm25"] > 0 for h in result.hits)
    assert result.hits[0].provision.id == "jp:403AC0000000090/a3"


@pytest.mark.slow
def test_japanese_query_finds_english_cbam_reporting_article(multilingual):
    hits = multilingual.search("輸入者が四半期ごとに欧州委員会へ提出する報告書の内容", k=3, retrievers=("dense",))
    assert hits[0].provision.id.startswith(f"{CBAM}/a35")   # "Reporting obligation" (or its paragraph 1), in English only


def test_filters_narrow_inside_the_retrievers(index):
    hits = index.search("損害賠償の請求", k=5, jurisdiction="EU")
    assert len(hits) == 5 and {h.provision.jurisdiction for h in hits} == {"EU"}
    hits = index.search("損害賠償の請求", k=3, doc_ids=["製造物責任法"])
    assert {h.provision.doc_id for h in hits} == {"jp:406AC0000000085"}
    assert index.search("reporting", k=3, kinds=["regulation"])[0].provision.kind == "regulation"
    assert index.search("CBAM Article 35", as_of="2024-01-01")[0].provision.id == f"{CBAM}/a35"
    assert index.search("CBAM reporting obligation", jurisdiction="EU", as_of="2020-01-01") == []   # not in force yet


@pytest.mark.parametrize("kwargs, message", [
    ({"doc_ids": ["製造物責任"]}, "no document in index.*did you mean 製造物責任法"),
    ({"jurisdiction": "US"}, "unknown jurisdiction 'US'"),
    ({"kinds": ["law"]}, "unknown kind 'law'"),
    ({"as_of": "2025/01/01"}, "not a date; use YYYY-MM-DD"),
])
def test_bad_filters_say_what_is_known(index, kwargs, message):
    with pytest.raises(QueryError, match=message):
        index.search("損害賠償", **kwargs)


@pytest.mark.parametrize("query, message", [
    ("", "empty"), ("   ", "empty"), ("、。！？!?…", "only punctuation"),
    ("損害" * 50_000, "100,000 characters long; the limit is"),
])
def test_bad_queries_get_a_clear_message(index, query, message):
    with pytest.raises(QueryError, match=message):
        index.search(query)


def test_query_without_usable_words_says_so(index):
    result = index.query("の")
    assert any("no searchable words" in n for n in result.notices)


def test_langchain_retriever(index):
    from ruleassist.index.langchain import RuleAssistRetriever
    docs = RuleAssistRetriever(index=index, k=3).invoke("CBAM Article 35 reporting")
    assert docs[0].metadata["citation"] == "Regulation (EU) 2023/956, Article 35" and docs[0].metadata["pinned"]
    assert "CBAM report" in docs[0].page_content


def test_cli_search_index_status_and_errors(index):
    from typer.testing import CliRunner

    from ruleassist.cli import app
    env = {"RULEASSIST_INDEX_DIR": str(index.cfg.index_dir), "RULEASSIST_EMBEDDER": "minilm"}
    store = str(index.store.path)
    out = CliRunner().invoke(app, ["search", "製造物責任法第3条", "--store", store, "--k", "3"], env=env)
    assert out.exit_code == 0 and "製造物責任法第三条" in out.stdout
    out = CliRunner().invoke(app, ["index", "status", "--store", store], env=env)
    assert out.exit_code == 0 and "up to date" in out.stdout
    out = CliRunner().invoke(app, ["search", "!!!", "--store", store], env=env)
    assert out.exit_code == 2 and "only punctuation" in out.output and "Traceback" not in out.output


def test_the_fusion_weight_is_the_measured_one_for_the_embedder_unless_configured():
    from ruleassist.config import load_config
    from ruleassist.index.embedders import fusion_weight

    measured = load_config(env={})
    assert fusion_weight(measured, "embeddinggemma") == 0.7 and fusion_weight(measured, "embeddinggemma-int8") == 0.7
    assert fusion_weight(measured, "use") == 0.2 and fusion_weight(measured, "minilm") == 0.5
    assert fusion_weight(load_config(env={"RULEASSIST_FUSION_DENSE_WEIGHT": "0.3"}), "embeddinggemma") == 0.3
