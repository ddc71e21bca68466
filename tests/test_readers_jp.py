"""Japanese law readers on the real corpora: e-Gov XML, e-Gov HTML and law Markdown."""
from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import pytest

from ruleassist.errors import ParseError
from ruleassist.numerals import article_heading
from ruleassist.readers._jp import MD_NOTE, label_key, law_kind, suppl_prefix
from ruleassist.readers.egov_html import EgovHtmlReader
from ruleassist.readers.egov_xml import EgovXmlReader
from ruleassist.readers.law_markdown import LawMarkdownReader

from conftest import AVIATION_HTML, AVIATION_XML, CORPORA, ROAD_TRAFFIC_HTML

JP = CORPORA / "jp"
ROAD_TRAFFIC_MD = JP / "markdown/acts/335AC0000000105.md"
AVIATION_MD = JP / "markdown/acts/327AC0000000231.md"
HTML_FILES = sorted((JP / "egov-html").glob("*.html"))
XML_FILES = sorted((JP / "egov-xml").glob("*.xml"))
MD_FILES = sorted(p for d in ("acts", "cabinet_orders", "misc") for p in (JP / "markdown" / d).glob("*.md"))
READERS = {".xml": EgovXmlReader(), ".html": EgovHtmlReader(), ".md": LawMarkdownReader()}


@lru_cache(maxsize=None)
def parsed(path: Path):
    return READERS[path.suffix].read(path)


def by_address(path: Path) -> dict:
    return {p.address: p for p in parsed(path).provisions}


# ---------------------------------------------------------------- e-Gov HTML / XML

def test_road_traffic_html_article_75_12_paragraph_1():
    p = by_address(ROAD_TRAFFIC_HTML)["a75-12/p1"]
    assert p.heading == "第七十五条の十二第一項"
    assert p.citation == "道路交通法第七十五条の十二第一項"
    assert p.text.startswith("特定自動運行を行おうとする者は")
    assert p.caption == "（特定自動運行の許可）"
    assert p.path[0].startswith("第四章") and p.path[-2:] == ("第七十五条の十二", "第一項")
    assert (p.level, p.jurisdiction, p.kind, p.version) == ("paragraph", "JP", "statute", "2025-06-01")


def test_article_text_numbers_later_paragraphs_and_items_as_egov_does():
    text = by_address(ROAD_TRAFFIC_HTML)["a75-12"].text
    assert text.startswith("特定自動運行を行おうとする者は")
    assert "\n２\u3000前項の許可を受けようとする者は" in text
    assert "\n一\u3000特定自動運行を行う者の氏名" in text


def test_items_and_subitems_have_their_own_addresses():
    provisions = by_address(ROAD_TRAFFIC_HTML)
    item = provisions["a75-12/p2/i2"]
    assert item.heading == "第七十五条の十二第二項第二号" and item.level == "item"
    assert "\nイ\u3000特定自動運行に使用する自動車" in item.text          # an item's text includes its subitems
    sub = provisions["a75-12/p2/i2/sロ/s(1)"]
    assert (sub.level, sub.heading, sub.text) == ("subitem", "第七十五条の十二第二項第二号ロ（１）", "特定自動運行の経路")
    branch = provisions["a2/p1/i3-2"]                                        # 第三号の二
    assert branch.heading == article_heading("2", "1", "3-2") and branch.text.startswith("本線車道")
    xml = by_address(AVIATION_XML)["a101/p1/i5/sイ"]
    assert xml.heading == "第百一条第一項第五号イ" and xml.text == "第四条第一項各号に掲げる者"


def test_aviation_xml_and_html_agree_on_the_drone_flight_articles():
    wanted = {f"a132-{n}" for n in range(85, 91)}

    def pick(path):
        return {p.address: (p.heading, p.caption, p.text) for p in parsed(path).provisions
                if p.address.split("/")[0] in wanted}

    xml, html = pick(AVIATION_XML), pick(AVIATION_HTML)
    assert {a for a in xml if "/" not in a} == wanted
    assert xml == html
    assert xml["a132-85"][:2] == ("第百三十二条の八十五", "（飛行の禁止空域）")


def test_aviation_xml_and_html_give_the_same_addresses_for_the_whole_law():
    xml, html = set(by_address(AVIATION_XML)), set(by_address(AVIATION_HTML))
    assert xml <= html      # the HTML is a year newer: it only adds the 令和七年 amendment's 附則
    assert {a.split("/")[0] for a in html - xml} == {"suppl-令和七年法律第五五号"}


def test_supplementary_provisions_are_all_kept_and_marked():
    raw = AVIATION_XML.read_text(encoding="utf-8")
    provisions = parsed(AVIATION_XML).provisions
    blocks = {p.address.split("/")[0] for p in provisions if p.address.startswith("suppl")}
    assert len(blocks) == len(re.findall(r"<SupplProvision[\s>]", raw))
    assert all(p.suppl == p.address.startswith("suppl") for p in provisions)
    addresses = by_address(AVIATION_XML)
    original = addresses["suppl/a1"]
    assert original.heading == "附則第一条" and original.path[0] == "附則"
    amended = addresses["suppl-令和五年法律第六三号/a1/p1"]
    assert amended.heading == "附則第一条第一項" and amended.caption == "（施行期日）"
    bare = addresses["suppl-昭和四一年法律第七五号/p1"]                    # a 附則 with paragraphs only
    assert bare.heading == "附則第一項" and bare.level == "paragraph"


def test_html_keeps_every_supplementary_block():
    raw = ROAD_TRAFFIC_HTML.read_text(encoding="utf-8")
    blocks = {p.address.split("/")[0] for p in parsed(ROAD_TRAFFIC_HTML).provisions if p.suppl}
    assert len(blocks) == raw.count('class="active SupplProvision"')


def test_tables_keep_their_text_as_rows_and_tab_separated_cells():
    xml = by_address(AVIATION_XML)
    assert "\n航空機\t業務\n" in xml["a65/p2"].text
    for path in (AVIATION_XML, AVIATION_HTML):
        annex = by_address(path)["annex-別表"]
        assert annex.level == "annex" and annex.text.startswith("資格\t業務範囲\n定期運送用操縦士\t")


def test_ruby_readings_are_dropped():
    assert "禁錮以上" in by_address(AVIATION_XML)["a101/p1/i5/sハ"].text
    html_text = "\n".join(p.text for p in parsed(AVIATION_HTML).provisions)
    assert "まつ消" in html_text and "ヽ" not in html_text


def test_deleted_article_ranges_keep_the_range_address():
    for path in (AVIATION_XML, AVIATION_HTML):
        p = by_address(path)["a121:122"]
        assert p.heading == "第百二十一条及び第百二十二条" and p.text == "削除"


# ---------------------------------------------------------------- Markdown

def test_markdown_is_article_level_only_and_says_so():
    result = parsed(ROAD_TRAFFIC_MD)
    assert result.document.article_level_only and result.document.version == ""
    assert result.document.doc_id == "jp:335AC0000000105" and result.document.format == "law_markdown"
    assert {p.level for p in result.provisions} == {"article"}
    assert all(p.note == MD_NOTE for p in result.provisions)
    p = by_address(ROAD_TRAFFIC_MD)["a75-12"]
    assert p.heading == "第七十五条の十二" and p.text.startswith("特定自動運行を行おうとする者は")


def test_markdown_links_and_markup_are_stripped():
    text = by_address(ROAD_TRAFFIC_MD)["a2"].text
    assert "道路法（昭和二十七年法律第百八十号）第二条第一項に規定する道路" in text
    for p in parsed(ROAD_TRAFFIC_MD).provisions:
        assert not re.search(r"\]\(|\*\*|<a |^#", p.text, re.M), p.address


def test_markdown_headings_split_by_the_converter_and_table_cells():
    aviation = by_address(AVIATION_MD)
    assert aviation["a131-2-2"].heading == "第百三十一条の二の二"    # '**第百三十一条の二**の二'
    assert aviation["a121:122"].text == "削除"
    road = by_address(ROAD_TRAFFIC_MD)
    # '第七十五条の三' inside the 読替え table of 第七十五条の二十四 is a cell, not an article
    assert "第七十五条の三" in road["a75-24"].text
    assert not any(p.suppl for p in parsed(ROAD_TRAFFIC_MD).provisions if p.address.startswith("a"))


def test_markdown_supplementary_blocks_are_numbered_not_guessed():
    provisions = parsed(ROAD_TRAFFIC_MD).provisions
    suppl = [p for p in provisions if p.suppl]
    assert suppl and all(re.match(r"suppl-\d+/a", p.address) for p in suppl)
    first = by_address(ROAD_TRAFFIC_MD)["suppl-1/a1"]
    assert first.heading == "附則第一条" and first.text.startswith("この法律（以下「新法」という。）")


# ---------------------------------------------------------------- every corpus file

@pytest.mark.parametrize("path", HTML_FILES + XML_FILES + MD_FILES, ids=lambda p: f"{p.parent.name}/{p.name[:15]}")
def test_every_jp_file_reads(path):
    reader = READERS[path.suffix]
    assert reader.accepts(path)
    result = parsed(path)
    doc, provisions = result.document, result.provisions
    lawid = path.name[:15]
    assert doc.doc_id == f"jp:{lawid}" and doc.kind == law_kind(lawid) != "other"
    assert doc.official_url == f"https://laws.e-gov.go.jp/law/{lawid}" and doc.title
    articles = [p for p in provisions if p.level == "article" and not p.suppl]
    assert len(articles) >= (3 if path.suffix == ".md" else 5), "too few articles"
    if path.suffix != ".md":
        assert len(provisions) >= len(articles) * 2                        # each article has paragraphs
    assert len({p.address for p in provisions}) == len(provisions)
    assert all(p.text and p.title == doc.title and p.version == doc.version for p in provisions)


# ---------------------------------------------------------------- helpers and bad input

def test_law_kind_from_law_id():
    assert law_kind("335AC0000000105") == "statute"
    assert law_kind("335CO0000000270") == "cabinet_order"
    for lawid in ("335M50000002060", "326M50000800074", "428M60020000003"):
        assert law_kind(lawid) == "ministerial_ordinance"
    assert law_kind("321IO0000000000") == "other"


def test_label_keys_and_supplementary_prefixes():
    assert label_key("第七十五条の十二") == "75-12" and label_key("２") == "2" and label_key("三の二") == "3-2"
    assert label_key("一から二十五まで") == "1:25" and label_key("第百二十一条及び第百二十二条") == "121:122"
    assert suppl_prefix("") == "suppl/"
    assert suppl_prefix("令和四年六月一〇日法律第三二号") == "suppl-令和四年法律第三二号/"


def test_truncated_xml_raises_a_parse_error_naming_the_file(tmp_path):
    broken = tmp_path / AVIATION_XML.name
    broken.write_bytes(AVIATION_XML.read_bytes()[:20000])
    assert EgovXmlReader().accepts(broken)
    with pytest.raises(ParseError) as err:
        EgovXmlReader().read(broken)
    assert broken.name in str(err.value) and "not well-formed XML at line" in str(err.value)


def test_xml_that_is_not_egov_is_refused(tmp_path):
    formex = next((CORPORA / "eu/eurlex/works").rglob("*.xml"))
    assert not EgovXmlReader().accepts(formex)
    other = tmp_path / "327AC0000000231_20240401_x.xml"
    other.write_text("<?xml version='1.0'?><ACT><TITLE>x</TITLE></ACT>", encoding="utf-8")
    with pytest.raises(ParseError, match="no <Law> root"):
        EgovXmlReader().read(other)


def test_xml_without_egov_file_name_says_how_to_name_it(tmp_path):
    renamed = tmp_path / "aviation.xml"
    renamed.write_bytes(AVIATION_XML.read_bytes())
    with pytest.raises(ParseError, match="e-Gov law id"):
        EgovXmlReader().read(renamed)


@pytest.mark.parametrize("suffix", [".xml", ".html", ".md"])
def test_empty_file_raises_parse_error(tmp_path, suffix):
    empty = tmp_path / f"335AC0000000105_20250601_504AC0000000068{suffix}"
    empty.write_bytes(b"")
    assert not READERS[suffix].accepts(empty)
    with pytest.raises(ParseError):
        READERS[suffix].read(empty)


def test_non_egov_html_and_markdown_are_not_accepted():
    eurlex = next((CORPORA / "eu/eurlex/works").rglob("*.html"))
    assert not EgovHtmlReader().accepts(eurlex)
    assert not EgovHtmlReader().accepts(AVIATION_XML)
    assert not LawMarkdownReader().accepts(CORPORA / "eu/esrs/esrs-2023-2772.md")
    assert not LawMarkdownReader().accepts(CORPORA / "eu/eurlex/README.md")
    assert not EgovXmlReader().accepts(ROAD_TRAFFIC_HTML)
