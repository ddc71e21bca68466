"""Index building: Japanese tokens, windows, the embedding cache, incremental update, crash safety.

Real corpus files in a temporary store, the real MiniLM embedder, a real FAISS index.
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from ruleassist.config import load_config
from ruleassist.errors import IndexError_
from ruleassist.index import (
    build_index,
    dense,
    embedder,
    index_status,
    make_embedder,
    open_index,
    tokenize,
    update_index,
)
from ruleassist.ingest import ingest
from ruleassist.store import Store

CORPORA = Path(__file__).resolve().parents[2] / "shared" / "corpora"
PL_LAW = "jp/markdown/acts/406AC0000000085.md"          # 製造物責任法: six articles
DRONE_LAW = "jp/markdown/acts/428AC1000000009.md"       # 小型無人機等飛行禁止法
LEASE_LAW = "jp/markdown/acts/403AC0000000090.md"       # 借地借家法


def _cfg(tmp: Path, **kw):
    from ruleassist.models import is_pulled
    cfg = load_config(store_path=tmp / "store.sqlite", index_dir=tmp / "indexes", embedder="minilm", **kw)
    if not is_pulled(cfg.models_dir, "minilm"):
        pytest.skip("MiniLM is not pulled; run: ruleassist models pull minilm")
    return cfg


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    """One store and one build, made once; tests that change them work on a copy."""
    root = tmp_path_factory.mktemp("template")
    for rel in (PL_LAW, DRONE_LAW, LEASE_LAW):
        dest = root / "corpus" / Path(rel).name
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(CORPORA / rel, dest)
        dest.chmod(0o644)
    cfg = _cfg(root)
    store = Store(cfg.store_path)
    ingest(store, [root / "corpus"])
    emb = make_embedder(cfg)
    build_index(cfg, store, progress=False, embedder=emb)
    return root, emb


@pytest.fixture
def built(tmp_path, template):
    """(cfg, store, embedder, build report): a private store and index; embeddings come from the template's cache."""
    root, emb = template
    shutil.copytree(root / "corpus", tmp_path / "corpus")
    cfg = _cfg(tmp_path)
    (cfg.index_dir / cfg.index_name).mkdir(parents=True)
    shutil.copyfile(root / "indexes" / cfg.index_name / "embeddings.sqlite",
                    cfg.index_dir / cfg.index_name / "embeddings.sqlite")
    store = Store(cfg.store_path)
    ingest(store, [tmp_path / "corpus"])
    report = build_index(cfg, store, progress=False, embedder=emb)
    return cfg, store, emb, report


@pytest.fixture
def corpus(built) -> Path:
    return built[0].store_path.parent / "corpus"


def test_japanese_tokens_are_content_words_and_english_stays_latin():
    toks = tokenize.tokens("無人航空機を飛行させる者は、国土交通大臣の許可を受けなければならない。CBAM reports")
    assert {"無人", "航空", "飛行", "許可", "国土", "交通", "大臣"} <= set(toks)
    assert "を" not in toks and "は" not in toks                 # particles dropped
    assert "cbam" in toks and "report" in toks                   # not turned into katakana (レポート)
    assert tokenize.tokens("、。！？…") == []


def test_long_provision_is_split_into_windows_that_cite_it(built):
    cfg, _store, emb, _ = built
    body = "。".join(f"第{i}項の規定により届出をした者は遅滞なく報告しなければならない" for i in range(200))
    ranges = dense.windows(body, emb.token_spans(body), 64)
    assert len(ranges) > 3 and ranges[0][0] == 0 and ranges[-1][1] == len(body)
    assert all(a < b for a, b in ranges) and all(ranges[i + 1][0] < ranges[i][1] for i in range(len(ranges) - 1))
    index = open_index(cfg, embedder=emb)
    per_unit = np.bincount(index.dense.window_unit)
    assert index.manifest.n_windows > index.manifest.n_units and per_unit.max() > 1   # long articles: several windows
    assert len(set(index.dense.window_unit.tolist())) == index.manifest.n_units    # every unit is searchable


def test_bm25_scores_japanese_query_above_zero(built):
    cfg, _, emb, _ = built
    index = open_index(cfg, embedder=emb)
    toks = tokenize.tokens("製造物の欠陥により損害が生じたときの賠償責任")
    scores = index.bm25.scores(toks)
    assert (scores > 0).sum() > 0 and scores.max() > 1.0
    hits = index.search("製造物の欠陥により他人の生命を侵害したときの損害賠償", k=3, retrievers=("bm25",))
    assert hits[0].provision.doc_id == "jp:406AC0000000085" and hits[0].provision.address == "a3"


def test_rebuild_embeds_nothing_already_cached(built):
    *_, rebuilt = built                  # the fixture rebuilt the template's index
    assert rebuilt.embedded == 0 and rebuilt.cached == rebuilt.manifest.n_windows > 0
    assert rebuilt.manifest.n_units == sum(d["units"] for d in rebuilt.manifest.documents.values())


def test_update_redoes_only_the_changed_document(built, corpus):
    cfg, store, emb, _ = built
    assert not update_index(cfg, store, progress=False, embedder=emb).rebuilt      # nothing changed
    law = corpus / Path(PL_LAW).name
    law.write_text(law.read_text(encoding="utf-8").replace("時効によって消滅する", "時効によって消滅する（試験用改正）"),
                   encoding="utf-8")
    ingest(store, [law])
    (corpus / Path(DRONE_LAW).name).unlink()
    store.db.execute("DELETE FROM documents WHERE doc_id='jp:428AC1000000009'")   # the law was repealed
    store.db.commit()
    assert index_status(cfg, store).changed == ["jp:406AC0000000085"]
    report = update_index(cfg, store, progress=False, embedder=emb)
    assert report.replaced == ["jp:406AC0000000085"] and report.removed == ["jp:428AC1000000009"]
    assert report.unchanged == 1 and 0 < report.embedded <= 2         # only the edited article's windows
    index = open_index(cfg, store=store, embedder=emb)
    assert "jp:428AC1000000009" not in index.manifest.documents
    hit = index.search("試験用改正", k=1, retrievers=("bm25",))[0]
    assert hit.provision.id == "jp:406AC0000000085/a5"


class Boom(RuntimeError):
    pass


def test_crash_mid_build_leaves_previous_index_usable(built, monkeypatch):
    cfg, store, emb, first = built
    calls = {"n": 0}

    @embedder("boom-on-second-batch")
    def _boom(_cfg):
        class Failing:
            id, dim = "boom/1", emb.dim

            def token_spans(self, text):
                return emb.token_spans(text)

            def encode_documents(self, texts):
                calls["n"] += 1
                if calls["n"] == 2:
                    raise Boom("disk full, say")
                return np.ones((len(texts), emb.dim), dtype=np.float32)   # batch 1 "succeeds"

            encode_queries = encode_documents
        return Failing()

    with pytest.raises(Boom):
        build_index(load_config(**{**cfg.__dict__, "embedder": "boom-on-second-batch"}), store, progress=False)
    root = cfg.index_dir / cfg.index_name
    assert not list(root.glob(".tmp-*")) and len(list(root.glob("build-*"))) == 1
    index = open_index(cfg, embedder=emb)
    assert index.manifest.built_at == first.manifest.built_at
    assert index.search("借地権の存続期間", k=3)


def test_damaged_or_foreign_index_gets_a_message_naming_the_fix(built):
    cfg, _store, emb, report = built
    with pytest.raises(IndexError_, match="embedder 'minilm'.*ruleassist index build"):
        open_index(load_config(**{**cfg.__dict__, "embedder": "use"}))
    faiss_file = report.folder / "dense.faiss"
    faiss_file.write_bytes(faiss_file.read_bytes()[:1000])
    with pytest.raises(IndexError_, match="truncated.*ruleassist index build"):
        open_index(cfg, embedder=emb)
    faiss_file.unlink()
    with pytest.raises(IndexError_, match="missing.*ruleassist index build"):
        open_index(cfg, embedder=emb)
    with pytest.raises(IndexError_, match="no index 'other'.*index build --name other"):
        open_index(cfg, "other", embedder=emb)
