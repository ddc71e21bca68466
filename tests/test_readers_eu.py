"""EU readers on the real corpora: Formex XML, EUR-Lex XHTML, JSON and the ESRS Markdown."""
from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path

import pytest

from ruleassist.errors import ParseError
from ruleassist.readers._eu import act_kind, act_title, base_celex
from ruleassist.readers.esrs_markdown import EsrsMarkdownReader
from ruleassist.readers.eu_json import EuJsonReader
from ruleassist.readers.eurlex import EurlexHtmlReader
from ruleassist.readers.formex import FormexReader
from ruleassist.records import KINDS

from conftest import CBAM_JSON, CORPORA

EU = CORPORA / "eu"
WORKS = EU / "eurlex/works"
ESRS_MD = EU / "esrs/esrs-2023-2772.md"
READERS = (FormexReader(), EurlexHtmlReader(), EuJsonReader(), EsrsMarkdownReader())
SIDECARS = ("meta.json", "manifest.json", "readme.md", "notice", "licenses.rst", "license-apache-2.0.txt")
EU_FILES = sorted(p for d in ("eurlex", "json", "esrs") for p in (EU / d).rglob("*")
                  if p.is_file() and p.name.lower() not in SIDECARS)
LEVELS = {"article", "paragraph", "point", "recital", "annex", "section"}


def version_file(celex: str, date: str, pattern: str = "en.*") -> Path:
    """The file of one version of a work: works/<celex>/versions/<date>--<hash>/<pattern>."""
    return next((WORKS / celex / "versions").glob(f"{date}--*/{pattern}"))


def reader_of(path: Path):
    accepting = [r for r in READERS if r.accepts(path)]
    assert len(accepting) == 1, f"{path}: accepted by {[r.name for r in accepting]}"
    return accepting[0]


@lru_cache(maxsize=None)
def parsed(path: Path):
    return reader_of(path).read(path)


def by_address(path: Path) -> dict:
    return {p.address: p for p in parsed(path).provisions}


def article_numbers(path: Path) -> list[str]:
    return [p.address[1:] for p in parsed(path).provisions if p.level == "article"]


# ---------------------------------------------------------------- JSON (CBAM)

def test_cbam_document_facts():
    doc = parsed(CBAM_JSON).document
    assert (doc.doc_id, doc.title, doc.kind, doc.version) == (
        "eu:32023R0956", "Regulation (EU) 2023/956", "regulation", "2023-10-01")
    assert doc.short_names[:2] == ("CBAM", "Carbon Border Adjustment Mechanism Regulation")
    assert doc.official_url == "https://eur-lex.europa.eu/legal-content/EN/TXT/?uri=CELEX:32023R0956"
    assert (doc.jurisdiction, doc.lang, doc.format) == ("EU", "en", "eu_json")


def test_cbam_article_35_paragraphs_and_points_are_separate():
    provs = by_address(CBAM_JSON)
    art = provs["a35"]
    assert (art.heading, art.caption, art.level) == ("Article 35", "Reporting obligation", "article")
    assert {"a35/p1", "a35/p2", "a35/p7"} <= provs.keys()
    p2 = provs["a35/p2"]
    assert p2.heading == "Article 35(2)" and p2.level == "paragraph"
    assert p2.text.startswith("2. The CBAM report shall include the following information:")
    assert p2.path[-2:] == ("Article 35", "paragraph 2")
    point = provs["a35/p2/pt-a"]
    assert point.heading == "Article 35(2)(a)" and point.level == "point"
    assert point.text.startswith("(a) the total quantity of each type of goods")
    assert point.text in p2.text and p2.text in art.text
    assert (point.title, point.jurisdiction, point.version) == ("Regulation (EU) 2023/956", "EU", "2023-10-01")


def test_cbam_recitals_definitions_and_annexes():
    provs = by_address(CBAM_JSON)
    assert provs["r1"].heading == "Recital 1" and provs["r1"].level == "recital"
    assert provs["r1"].text.startswith("In its communication of 11 December 2019")
    assert provs["a3/pt-1"].heading == "Article 3(1)"          # definitions: points without a paragraph
    assert provs["a3/pt-1"].text.startswith("(1) ‘goods’ means")
    assert "Done at" not in provs["a36"].text                   # signatures and annexes are cut off
    assert provs["r82"].text.count("should enter into force") == 1  # the file lists recital 82 twice
    assert provs["annex-I"].level == "annex" and provs["annex-I"].heading == "Annex I"


def test_json_and_official_journal_agree_on_structure():
    """The EUDR JSON and the OJ XHTML give the same article, paragraph and point addresses."""
    from_json = {a for a in by_address(EU / "json/eudr.json") if not a.startswith("annex")}
    from_oj = {a for a in by_address(version_file("32023r1115", "2023-05-31")) if not a.startswith("annex")}
    assert from_json == from_oj


def test_un_regulation_paragraph_numbers():
    provs = by_address(EU / "json/un-r155.json")
    doc = parsed(EU / "json/un-r155.json").document
    assert (doc.doc_id, doc.title, doc.kind) == ("eu:42021X0387", "UN Regulation No. 155", "other")
    assert provs["a6/p6.3"].heading == "Paragraph 6.3"
    assert provs["annex-1"].heading == "Annex 1"
    assert provs["a2/p2.1"].text.count("‘Vehicle type’ means") == 1   # repeated blocks removed


# ---------------------------------------------------------------- Formex XML and EUR-Lex XHTML

def test_batteries_official_journal_and_consolidated_text_agree():
    oj, consolidated = version_file("32023r1542", "2023-07-12"), version_file("32023r1542", "2025-07-31")
    assert isinstance(reader_of(oj), EurlexHtmlReader)          # OJ XHTML served under an .xml name
    assert article_numbers(oj)[:20] == article_numbers(consolidated)[:20] == [str(n) for n in range(1, 21)]
    assert article_numbers(oj) == article_numbers(consolidated)
    provs = by_address(oj)
    assert provs["a7"].caption.startswith("Carbon footprint of electric vehicle batteries")
    assert provs["a7"].path == ("Chapter II", "Article 7")
    assert provs["a7/p1/pt-a"].heading == "Article 7(1)(a)"
    # A second list in paragraph 1 starts again at (a): it is told apart by its subparagraph.
    assert provs["a7/p1/sp2/pt-a"].heading == "Article 7(1), second subparagraph, point (a)"
    assert provs["r1"].text.startswith("The Communication of the Commission of 11 December 2019")
    for version in (oj, consolidated):
        annexes = by_address(version)
        assert {"annex-I", "annex-XV", "annex-III/s-A"} <= annexes.keys()
        assert annexes["annex-III/s-A"].heading == "Annex III, Part A"


def test_formex_and_consolidated_xhtml_agree_on_first_articles():
    formex = version_file("32021r2178", "2023-01-01", "en.fmx4/*.xml")
    xhtml = version_file("32021r2178", "2026-01-01")
    assert isinstance(reader_of(formex), FormexReader) and isinstance(reader_of(xhtml), EurlexHtmlReader)
    assert article_numbers(formex)[:8] == article_numbers(xhtml)[:8] == [str(n) for n in range(1, 9)]
    provs = by_address(formex)
    assert provs["a2/p1"].heading == "Article 2(1)"
    assert provs["a1/pt-7/pt-a"].heading == "Article 1(7)(a)"
    assert provs["annex-I"].caption == "KPIs OF NON-FINANCIAL UNDERTAKINGS"
    assert provs["annex-I/s-1"].heading == "Annex I, point 1"
    doc = parsed(formex).document
    assert (doc.doc_id, doc.title, doc.kind, doc.version, doc.format) == (
        "eu:32021R2178", "Delegated Regulation (EU) 2021/2178", "delegated_act", "2023-01-01", "formex")


def test_inserted_articles_keep_their_letter():
    provs = by_address(version_file("32024r1689", "2026-07-27"))
    assert provs["a4a"].heading == "Article 4a"
    assert provs["a4a/p1/pt-a"].heading == "Article 4a(1)(a)"
    assert {"a60a", "a75a", "a75d"} <= provs.keys()
    assert "a2a" in by_address(version_file("32019r2088", "2026-07-02"))


def test_quoted_text_in_amending_articles_is_not_structure():
    provs = by_address(version_file("32024r1689", "2026-07-27"))
    assert not any("‘" in address for address in provs)
    assert not any(re.search(r"/pt-[^/]+/p\d", address) for address in provs)   # no paragraph inside a point


def test_truncated_formex_is_a_parse_error_naming_the_file(tmp_path):
    source = version_file("32021r2178", "2023-01-01", "en.fmx4/*.xml").read_bytes()
    broken = tmp_path / "CL2021R2178EN.xml"
    broken.write_bytes(source[: len(source) // 2])
    assert FormexReader().accepts(broken)
    with pytest.raises(ParseError) as err:
        FormexReader().read(broken)
    assert str(broken) in str(err.value) and "truncated" in str(err.value)


def test_truncated_xhtml_is_a_parse_error(tmp_path):
    source = version_file("32025l0794", "2025-04-14").read_bytes()
    broken = tmp_path / "en.xml"
    broken.write_bytes(source[: len(source) // 2])
    with pytest.raises(ParseError, match="truncated"):
        EurlexHtmlReader().read(broken)


def test_xhtml_outside_the_corpus_folders_reads_its_facts_from_the_text(tmp_path):
    copy = tmp_path / "batteries.html"
    copy.write_bytes(version_file("32023r1542", "2025-07-31").read_bytes())
    doc = EurlexHtmlReader().read(copy).document
    assert (doc.doc_id, doc.title, doc.version) == ("eu:32023R1542", "Regulation (EU) 2023/1542", "2025-07-31")


# ---------------------------------------------------------------- ESRS Markdown

def test_esrs_standards_disclosure_requirements_and_paragraphs():
    provs = by_address(ESRS_MD)
    doc = parsed(ESRS_MD).document
    assert (doc.doc_id, doc.title, doc.kind) == ("eu:32023R2772", "Delegated Regulation (EU) 2023/2772",
                                                 "delegated_act")
    standards = [a for a, p in provs.items() if p.level == "section" and "/" not in a]
    assert standards == ["esrs-1", "esrs-2", "esrs-E1", "esrs-E2", "esrs-E3", "esrs-E4", "esrs-E5",
                         "esrs-S1", "esrs-S2", "esrs-S3", "esrs-S4", "esrs-G1"]
    assert provs["esrs-E1"].caption == "Climate change"
    dr = provs["esrs-E1/dr-E1-6"]
    assert dr.heading == "ESRS E1, Disclosure Requirement E1-6"
    assert dr.caption == "Gross Scopes 1, 2, 3 and Total GHG emissions"
    p44 = provs["esrs-E1/p44"]
    assert p44.heading == "ESRS E1, paragraph 44"
    assert p44.path == ("ESRS E1", "Disclosure Requirement E1-6", "paragraph 44")
    assert provs["esrs-E1/p44/pt-a"].text == "(a) gross Scope 1 GHG emissions;"
    assert provs["esrs-E1/ar-1"].heading == "ESRS E1, AR 1"
    assert provs["esrs-2/dr-GOV-1"].caption.startswith("The role of the administrative")
    assert {"a1", "a2", "r1", "r6", "annex-II"} <= provs.keys()


def test_esrs_conversion_noise_is_cleaned():
    provs = by_address(ESRS_MD)
    p50 = provs["esrs-1/p50/pt-a"].text
    assert "the undertaking" in p50 and " pe " not in p50            # "th" read as "p" is repaired
    assert not any("ELI: http" in p.text or "OJ L, 22.12.2023" in p.text for p in provs.values())


# ---------------------------------------------------------------- every file, and what is not ours

@pytest.mark.parametrize("path", EU_FILES, ids=lambda p: str(p.relative_to(EU)))
def test_every_eu_file_reads(path):
    result = parsed(path)
    doc, provisions = result.document, result.provisions
    assert re.fullmatch(r"eu:[0-9]\d{4}[A-Z]{1,2}\d{4}", doc.doc_id) and doc.kind in KINDS
    assert doc.version and doc.title and doc.format == reader_of(path).name
    assert len(provisions) >= 20, f"only {len(provisions)} provisions"
    assert sum(p.level == "article" for p in provisions) >= 2
    addresses = [p.address for p in provisions]
    assert len(addresses) == len(set(addresses)), "addresses must be unique"
    for p in provisions:
        assert p.doc_id == doc.doc_id and p.title == doc.title and p.level in LEVELS
        assert p.heading and p.text.strip() and p.lang == "en" and p.jurisdiction == "EU"
        assert re.fullmatch(r"[A-Za-z0-9./-]+", p.address), p.address


def test_readers_leave_other_files_alone(tmp_path):
    no_articles = tmp_path / "cbam-recitals.json"
    no_articles.write_text(json.dumps({"id": "CBAM", "celex_id": "32023R0956", "recitals": []}))
    assert not EuJsonReader().accepts(no_articles)
    meta = next(WORKS.glob("*/versions/*/meta.json"))
    jp = CORPORA / "jp"
    others = [no_articles, meta, EU / "eurlex/manifest.json", CORPORA / "jp/markdown/laws_index.json",
              next((jp / "egov-xml").glob("*.xml")), next((jp / "egov-html").glob("*.html")),
              next((jp / "markdown/acts").glob("*.md"))]
    for path in others:
        assert not [r.name for r in READERS if r.accepts(path)], path


def test_citation_helpers():
    assert base_celex("02023R1542-20250731") == "32023R1542"
    assert act_title("32013L0034") == "Directive 2013/34/EU"
    assert act_title("32020R0852") == "Regulation (EU) 2020/852"
    assert act_title("32022L2464") == "Directive (EU) 2022/2464"
    assert act_title("32023R2772", "COMMISSION DELEGATED REGULATION (EU) 2023/2772") == \
        "Delegated Regulation (EU) 2023/2772"
    assert act_kind("32023R2772", "Commission Delegated Regulation (EU) 2023/2772 of 31 July 2023") == "delegated_act"
    assert act_kind("32024L1760") == "directive"
    # An OJ page header before the title, and an amended act named in it, do not confuse the kind.
    header = "Official Journal of the European Union L 443/9 COMMISSION DELEGATED REGULATION (EU) 2021/2178"
    assert act_kind("32021R2178", header) == "delegated_act"
    assert act_kind("32024R1781", "Regulation (EU) 2024/1781 amending Delegated Regulation (EU) 2021/2139") == \
        "regulation"
