"""Citations render and parse both ways; numerals convert both ways; citations are found in free text."""
import pytest

from ruleassist.citations import article_level, parse_citation, parse_citations, render
from ruleassist.numerals import int_to_kanji, kanji_to_int, number_key

JP_NAMES = ["道路交通法", "道路交通法施行令", "航空法", "金融商品取引法", "個人情報の保護に関する法律"]


@pytest.mark.parametrize("kanji,n", [("一", 1), ("十", 10), ("十二", 12), ("七十五", 75), ("百", 100),
                                     ("百三十二", 132), ("三百五", 305), ("千", 1000), ("千二百三十四", 1234)])
def test_kanji_numerals_both_ways(kanji, n):
    assert kanji_to_int(kanji) == n
    assert int_to_kanji(n) == kanji


def test_branch_numbers():
    assert number_key("七十五条の十二") == "75-12"
    assert number_key("132の85") == "132-85"


@pytest.mark.parametrize("kanji,arabic", [
    ("道路交通法第七十五条の十二第一項第二号", "道路交通法第75条の12第1項第2号"),
    ("航空法第百三十二条の八十五", "航空法第132条の85"),
    ("道路交通法第二条第一項第三号の二", "道路交通法第2条第1項第3号の2"),
    ("道路交通法施行令第一条の二第三項", "道路交通法施行令第1条の2第3項"),
])
def test_jp_round_trip(kanji, arabic):
    a, b = parse_citation(kanji, jp_names=JP_NAMES), parse_citation(arabic, jp_names=JP_NAMES)
    assert a == b
    assert render(a) == kanji and render(a, arabic=True) == arabic


def test_citation_found_inside_a_question():
    found = parse_citations("金融商品取引法第5条第6項により、届出書を提出する場合について", jp_names=JP_NAMES)
    assert [(c.document, c.article, c.paragraph) for c in found] == [("金融商品取引法", "5", "6")]


def test_unknown_law_is_found_by_its_shape():
    found = parse_citations("この場合には医師法第二十条ただし書の規定を適用する")
    assert [(c.document, c.article) for c in found] == [("医師法", "20")]


def test_list_of_articles_keeps_the_law():
    found = parse_citations("航空法第132条の85及び第132条の86による許可", jp_names=JP_NAMES)
    assert [(c.document, c.address) for c in found] == [("航空法", "a132-85"), ("航空法", "a132-86")]


def test_long_law_title_is_matched_whole():
    found = parse_citations("個人情報の保護に関する法律第27条第1項に違反する", jp_names=JP_NAMES)
    assert found[0].document == "個人情報の保護に関する法律" and found[0].address == "a27/p1"


def test_eu_citations():
    c = parse_citation("Regulation (EU) 2023/956, Article 35(2)(a)")
    assert (c.document, c.address) == ("32023R0956", "a35/p2/pt-a")
    assert render(c) == "Regulation (EU) 2023/956, Article 35(2)(a)"
    short = parse_citation("CBAM Article 35", eu_short_names={"CBAM": "32023R0956"})
    assert (short.document, short.address) == ("32023R0956", "a35")
    old = parse_citation("Article 19a of Directive 2013/34/EU")
    assert (old.document, old.article) == ("32013L0034", "19a")
    assert parse_citation("Directive (EU) 2022/2464, Annex I").address == "annex-I"


def test_iso_citation():
    c = parse_citation("ISO/CD 12345 5.2.1")
    assert (c.jurisdiction, c.document, c.clause, c.address) == ("INTL", "ISO/CD 12345", "5.2.1", "c5.2.1")
    assert render(c) == "ISO/CD 12345 5.2.1"


def test_article_level():
    c = parse_citation("道路交通法第75条の12第1項第2号", jp_names=JP_NAMES)
    assert article_level(c).address == "a75-12"


def test_no_citation_is_a_clear_error():
    with pytest.raises(ValueError, match="no citation"):
        parse_citation("こんにちは")
