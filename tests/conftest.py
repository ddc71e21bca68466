"""Shared fixtures: real corpus files from ../shared/corpora, stores built from them once per session."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")          # no model hub here; models come from `models pull`
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
CORPORA = SHARED / "corpora"
EVAL = SHARED / "eval"

# A small real corpus that the retrieval / answer / report tests share.
ROAD_TRAFFIC_HTML = CORPORA / "jp/egov-html/335AC0000000105_20250601_504AC0000000068.html"
AVIATION_XML = CORPORA / "jp/egov-xml/327AC0000000231_20240401_505AC0000000063.xml"
AVIATION_HTML = CORPORA / "jp/egov-html/327AC0000000231_20250606_507AC0000000055.html"
CBAM_JSON = CORPORA / "eu/json/cbam.json"
CSRD_PDF = CORPORA / "eu/pdf/CELEX_32022L2464_EN_TXT.pdf"


def pytest_collection_modifyitems(config, items):
    if not CORPORA.is_dir():
        skip = pytest.mark.skip(reason=f"shared corpora not found at {CORPORA}")
        for item in items:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def small_store(tmp_path_factory):
    """道路交通法 (HTML), 航空法 (XML + HTML), 道路交通法 Markdown, CBAM JSON in one store."""
    from ruleassist.ingest import ingest
    from ruleassist.store import Store

    store = Store(tmp_path_factory.mktemp("store") / "provisions.sqlite")
    report = ingest(store, [ROAD_TRAFFIC_HTML, AVIATION_XML, AVIATION_HTML, CBAM_JSON,
                            CORPORA / "jp/markdown/acts/335AC0000000105.md",
                            CORPORA / "jp/markdown/acts/323AC0000000025.md"])
    assert not report.failed, report.failed
    return store
