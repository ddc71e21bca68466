"""The provision store on real files: citations resolve, versions, re-ingest, bad input, transactions."""
from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys

import pytest

from conftest import AVIATION_HTML, AVIATION_XML, CORPORA, CSRD_PDF, ROAD_TRAFFIC_HTML, ROOT
from ruleassist.citations import parse_citation
from ruleassist.errors import CitationNotFound
from ruleassist.ingest import ingest
from ruleassist.store import Store


def resolve(store, text, **kw):
    jp, eu = store.known_names()
    return store.resolve(parse_citation(text, jp_names=jp, eu_short_names=eu), **kw)


def test_both_numeral_styles_resolve_to_the_same_provision(small_store):
    a = resolve(small_store, "道路交通法第七十五条の十二第一項")
    b = resolve(small_store, "道路交通法第75条の12第1項")
    assert a == b
    assert a.text.startswith("特定自動運行を行おうとする者は")
    assert a.citation == "道路交通法第七十五条の十二第一項"


def test_current_version_is_the_latest_dated_one(small_store):
    # 航空法 arrives as XML (2024-04-01) and HTML (2025-06-06): search uses the current one.
    assert small_store.current_version("jp:327AC0000000231") == "2025-06-06"
    assert small_store.current_version("jp:327AC0000000231", as_of="2024-12-31") == "2024-04-01"
    old = resolve(small_store, "航空法第132条の85", as_of="2024-12-31")
    assert old.version == "2024-04-01" and old.source.endswith(".xml")


def test_xml_and_html_agree_on_drone_articles(small_store):
    for n in range(85, 91):
        xml = small_store.get("jp:327AC0000000231", f"a132-{n}", version="2024-04-01")
        html = small_store.get("jp:327AC0000000231", f"a132-{n}", version="2025-06-06")
        assert xml and html, n
        assert (xml.heading, xml.caption) == (html.heading, html.caption)


def test_markdown_only_law_is_cited_at_article_level(small_store):
    # 金融商品取引法 exists only as Markdown, which has no paragraph numbers.
    p = resolve(small_store, "金融商品取引法第5条第6項")
    assert p.address == "a5" and "article level" in p.note


def test_paragraph_that_does_not_exist_is_not_found(small_store):
    with pytest.raises(CitationNotFound):
        resolve(small_store, "道路交通法第75条の12第99項")


def test_cbam_article_35_paragraphs_are_separate(small_store):
    article = resolve(small_store, "CBAM Article 35")
    assert article.doc_id == "eu:32023R0956"
    paragraphs = [p for p in small_store.children(article) if p.level == "paragraph"]
    assert len(paragraphs) >= 2
    assert resolve(small_store, "Regulation (EU) 2023/956, Article 35(2)").address == "a35/p2"


def test_reingest_unchanged_does_nothing_and_changed_file_replaces(tmp_path):
    store = Store(tmp_path / "s.sqlite")
    law = tmp_path / ROAD_TRAFFIC_HTML.name
    shutil.copy(ROAD_TRAFFIC_HTML, law)
    assert ingest(store, [law]).count("written") == 1
    assert ingest(store, [law]).count("unchanged") == 1
    text = law.read_text(encoding="utf-8")
    law.write_text(text.replace("特定自動運行を行おうとする者は", "特定自動運行を行う者は", 1), encoding="utf-8")
    again = ingest(store, [law])
    assert again.count("written") == 1
    assert store.get("jp:335AC0000000105", "a75-12/p1").text.startswith("特定自動運行を行う者は")


def test_bad_inputs_are_reported_and_the_batch_goes_on(tmp_path):
    bad_xml = tmp_path / "327AC0000000231_20240401_505AC0000000063.xml"
    bad_xml.write_bytes(AVIATION_XML.read_bytes()[:5000])
    empty = tmp_path / "empty.html"
    empty.write_text("")
    unknown = tmp_path / "data.xyz"
    unknown.write_text("hello")
    not_pdf = tmp_path / "fake.pdf"
    not_pdf.write_text("this is not a pdf")
    licence = tmp_path / "LICENSE.txt"
    licence.write_text("MIT")
    store = Store(tmp_path / "s.sqlite")
    report = ingest(store, [bad_xml, empty, unknown, not_pdf, licence, ROAD_TRAFFIC_HTML])
    by_name = {o.path.name: o for o in report.outcomes}
    assert by_name[ROAD_TRAFFIC_HTML.name].status == "written"
    assert by_name["LICENSE.txt"].status == "ignored"
    for name in (bad_xml.name, "empty.html", "data.xyz", "fake.pdf"):
        assert by_name[name].status == "skipped" and by_name[name].reason, name
    assert "empty" in by_name["empty.html"].reason


def test_a_failing_write_leaves_the_store_as_it_was(tmp_path):
    store = Store(tmp_path / "s.sqlite")
    ingest(store, [ROAD_TRAFFIC_HTML])
    before = store.db.execute("SELECT count(*) FROM provisions").fetchone()[0]
    from ruleassist.readers import read_file
    parsed = read_file(ROAD_TRAFFIC_HTML)
    broken = parsed.provisions + [parsed.provisions[0].__class__(doc_id="x", address=None, heading="", text="")]
    with pytest.raises(sqlite3.IntegrityError):
        store.write(parsed.document, broken, "other-hash")
    assert store.db.execute("SELECT count(*) FROM provisions").fetchone()[0] == before


def test_pdf_page_maps_back(tmp_path):
    store = Store(tmp_path / "s.sqlite")
    assert ingest(store, [CSRD_PDF]).count("written") == 1
    pages = {p.page for p in store.provisions("eu:32022L2464")}
    assert min(pages) == 1 and max(pages) > 10


def test_cli_show_and_ingest_summary(tmp_path):
    db = tmp_path / "cli.sqlite"
    run = lambda *a: subprocess.run([sys.executable, "-m", "ruleassist", *a, "--store", str(db)],
                                    capture_output=True, text=True, cwd=ROOT)
    out = run("ingest", str(ROAD_TRAFFIC_HTML), str(tmp_path / "missing.html"))
    assert out.returncode == 1 and "skipped" in out.stdout + out.stderr and "1 written" in out.stdout
    shown = run("show", "道路交通法第七十五条の十二第一項")
    assert shown.returncode == 0 and "特定自動運行を行おうとする者は" in shown.stdout
    assert "2025-06-01" in shown.stdout
    missing = run("show", "道路交通法第9999条")
    assert missing.returncode == 2 and "no provision" in missing.stderr


def test_corpus_sync_copies_from_the_mirror_once_and_names_what_is_missing(tmp_path):
    from ruleassist.catalogue import load_catalogue, sync

    sources = [s for s in load_catalogue(ROOT / "corpora" / "sources.toml") if s.starter][:3]
    mirror = CORPORA
    first = sync(sources, mirror, tmp_path / "corpora")
    files = [rel for s in sources for rel in s.files]
    assert first.copied == len(files) and not first.missing
    assert all((tmp_path / "corpora" / rel).read_bytes() == (mirror / rel).read_bytes() for rel in files)
    again = sync(sources, mirror, tmp_path / "corpora")
    assert again.copied == 0 and again.unchanged == len(files)
    empty = sync(sources, tmp_path / "no-mirror", tmp_path / "elsewhere")
    assert sorted(empty.missing) == sorted(files) and not list((tmp_path / "elsewhere").rglob("*.*"))
