"""Pinpoint citations: parse them out of free text and render them back, both numeral styles.

    parse_citations("金融商品取引法第5条第6項により…")  -> [Citation(JP, "金融商品取引法", "5", "6")]
    render(c)               -> "金融商品取引法第五条第六項"
    render(c, arabic=True)  -> "金融商品取引法第5条第6項"

Japanese law names are matched against the titles and short names the caller knows (the
store's documents) first, longest first, and otherwise by their shape (…法, …令, …規則).
EU acts are recognised by their formal number ("Regulation (EU) 2023/956" -> CELEX
32023R0956) or by a short name the caller knows ("CBAM"). ISO/IEC references keep their
stage ("ISO/CD 12345-1 5.2.1").
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import replace
from typing import Iterable

from ruleassist.numerals import article_heading, number_key
from ruleassist.records import Citation

NUM = r"[0-9０-９〇一二三四五六七八九十百千]+"
# 第七十五条の十二第一項第二号イ   (条/項/号 each optional after the first that appears)
JP_PINPOINT = re.compile(
    rf"(?P<suppl>附則)?第(?P<art>{NUM})条(?P<art_branch>(?:の{NUM})*)"
    rf"(?:第(?P<para>{NUM})項)?(?:第(?P<item>{NUM})号(?P<item_branch>(?:の{NUM})*))?(?P<sub>[イロハニホヘトチリヌルヲワカヨタレソツネナラム](?![ぁ-んァ-ヶ]))?")
# A law's name by its shape: kanji/katakana with the particles that law titles use, ending in a law word.
JP_LAW_SHAPE = re.compile(
    r"(?:[一-龥ァ-ヶー・]|の(?=[一-龥ァ-ヶ])|に関する|における|による|及び|並びに|又は|等)+?"
    r"(?:法律施行令|法律施行規則|法施行令|法施行規則|法律|施行令|施行規則|府令|省令|規則|基準|法|令)$")
SAME_LAW = ("同法", "本法", "この法律")

EU_ACT = re.compile(
    r"(?P<kind>Delegated Regulation|Implementing Regulation|Regulation|Directive|Decision)\s*"
    r"(?:\((?P<org>EU|EC|EEC|Euratom)\)\s*)?(?:No\.?\s*)?"
    r"(?P<a>\d{1,4})/(?P<b>\d{1,4})(?:/(?P<org2>EU|EC|EEC))?")
EU_PINPOINT = re.compile(
    r"(?:Article|Art\.)\s*(?P<art>\d+[a-z]?)(?P<parts>(?:\s*\((?:\d+[a-z]?|[a-z]{1,4})\))*)"
    r"|(?P<annex>Annex)\s+(?P<annex_no>[IVXLC]+|\d+)\b"
    r"|(?P<recital>Recital)\s+(?P<recital_no>\d+)")
ISO_REF = re.compile(
    r"(?P<ref>(?:ISO|IEC)(?:/(?:IEC|ISO|IEEE))?(?:/|\s)?(?:(?P<stage>PWI|NP|AWI|WD|CD|DIS|FDIS|PRF|TS|TR|PAS)\s*)?"
    r"\d{3,6}(?:-\d+)*(?::\d{4})?)"
    r"(?:,?\s*(?:clause|subclause|Clause)?\s*(?P<clause>(?:\d+(?:\.\d+)*|[A-Z](?:\.\d+)+)))?")

CELEX_TYPE = {"Regulation": "R", "Delegated Regulation": "R", "Implementing Regulation": "R",
              "Directive": "L", "Decision": "D"}


def _nfkc(text: str) -> str:
    return unicodedata.normalize("NFKC", text)


def celex_for(kind: str, a: str, b: str, org2: str | None = None) -> str:
    """'Regulation', '2023', '956' -> '32023R0956'; old style 'Directive 2013/34/EU' -> '32013L0034'."""
    year, num = (a, b) if len(a) == 4 else (b, a)
    if org2 and len(a) == 4:        # "Directive 2013/34/EU": year first, then number
        year, num = a, b
    if len(year) == 2:
        year = ("19" if int(year) > 50 else "20") + year
    return f"3{year}{CELEX_TYPE[kind]}{int(num):04d}"


def eu_act_name(celex: str) -> str:
    """'32023R0956' -> 'Regulation (EU) 2023/956' (the form EU citations take)."""
    m = re.fullmatch(r"3(\d{4})([RLD])(\d{4})", celex.upper())
    if not m:
        return celex
    year, kind, num = m.group(1), m.group(2), int(m.group(3))
    name = {"R": "Regulation", "L": "Directive", "D": "Decision"}[kind]
    if int(year) < 2015 and kind == "L":
        return f"{name} {year}/{num}/EU"
    return f"{name} (EU) {year}/{num}"


# ---------------------------------------------------------------------------------------------
# Japanese


def _jp_pinpoint(m: re.Match, document: str, span: tuple[int, int]) -> Citation:
    article = number_key(m["art"]) + "".join("-" + number_key(b) for b in m["art_branch"].split("の") if b)
    return Citation("JP", document, article=article,
                    paragraph=str(number_key(m["para"])) if m["para"] else "",
                    item=number_key(m["item"] + (m["item_branch"] or "")) if m["item"] else "",
                    subitem=m["sub"] or "", suppl=bool(m["suppl"]), span=span)


def _law_before(text: str, end: int, names: list[str]) -> tuple[str, int] | None:
    """The law name that ends right at `end`: a known name (longest first), else one by shape."""
    head = text[max(0, end - 60):end]
    for name in names:
        if head.endswith(name):
            return name, end - len(name)
    for same in SAME_LAW:
        if head.endswith(same):
            return same, end - len(same)
    m = re.search(r"[一-龥ァ-ヶー・ぁ-ん]+$", head)
    if not m:
        return None
    candidate = m.group(0)
    # Trim leading words that belong to the sentence, not the name ("により", "は", "では" ...).
    for start in range(len(candidate)):
        tail = candidate[start:]
        if JP_LAW_SHAPE.fullmatch(tail) and not tail.startswith(("の", "に", "は", "を", "が", "と", "で")):
            return tail, end - len(tail)
    return None


def parse_jp(text: str, known_names: Iterable[str] = (), default_law: str = "") -> list[Citation]:
    names = sorted(set(known_names), key=len, reverse=True)
    found, last_law = [], default_law
    for m in JP_PINPOINT.finditer(text):
        law = _law_before(text, m.start(), names)
        start = m.start()
        if law:
            name, start = law
            if name in SAME_LAW:
                name = last_law
            last_law = name or last_law
        else:
            name = last_law if _follows_same_law(text, m.start()) else default_law
        if not name:
            continue
        found.append(_jp_pinpoint(m, name, (start, m.end())))
    return found


def _follows_same_law(text: str, pos: int) -> bool:
    """'道路交通法第75条の12及び第75条の13' — a bare 第N条 right after a list keeps the law."""
    return bool(re.search(r"(?:及び|並びに|又は|若しくは|、|から|・)$", text[max(0, pos - 4):pos]))


def render_jp(c: Citation, arabic: bool = False) -> str:
    head = article_heading(c.article, c.paragraph, c.item, c.subitem, arabic=arabic)
    return f"{c.document}{'附則' if c.suppl else ''}{head}"


# ---------------------------------------------------------------------------------------------
# EU


def _eu_parts(parts: str) -> tuple[str, str]:
    """'(2)(a)(ii)' -> paragraph '2', points 'a.ii'."""
    bits = re.findall(r"\(([^)]+)\)", parts or "")
    if not bits:
        return "", ""
    if bits[0][0].isdigit():
        return bits[0], ".".join(bits[1:])
    return "", ".".join(bits)


def parse_eu(text: str, short_names: dict[str, str] | None = None) -> list[Citation]:
    """EU citations: an act (formal number or short name) with optional Article/Annex/Recital."""
    short_names = short_names or {}
    acts: list[tuple[int, int, str]] = [(m.start(), m.end(), celex_for(m["kind"], m["a"], m["b"], m["org2"]))
                                        for m in EU_ACT.finditer(text)]
    for name, celex in short_names.items():
        for m in re.finditer(rf"(?<![A-Za-z]){re.escape(name)}(?![A-Za-z])", text):
            acts.append((m.start(), m.end(), celex))
    acts.sort()
    found: list[Citation] = []
    used_acts: set[int] = set()
    for m in EU_PINPOINT.finditer(text):
        act = _nearest_act(acts, m.start(), m.end())
        if act is None:
            continue
        used_acts.add(act[0])
        span = (min(act[0], m.start()), max(act[1], m.end()))
        if m["annex"]:
            found.append(Citation("EU", act[2], annex=m["annex_no"], span=span))
        elif m["recital"]:
            found.append(Citation("EU", act[2], recital=m["recital_no"], span=span))
        else:
            para, points = _eu_parts(m["parts"])
            found.append(Citation("EU", act[2], article=m["art"], paragraph=para, item=points, span=span))
    for start, end, celex in acts:        # an act named without a pinpoint is still a citation
        if start not in used_acts:
            found.append(Citation("EU", celex, span=(start, end)))
    return sorted(found, key=lambda c: c.span or (0, 0))


def _nearest_act(acts, start: int, end: int):
    """Act named right after ('Article 35 of Regulation …') or before ('CBAM Article 35')."""
    after = [a for a in acts if 0 <= a[0] - end <= 25]
    if after:
        return after[0]
    before = [a for a in acts if 0 <= start - a[1] <= 12]
    return before[-1] if before else None


def render_eu(c: Citation) -> str:
    act = eu_act_name(c.document)
    if c.annex:
        return f"{act}, Annex {c.annex}"
    if c.recital:
        return f"{act}, Recital {c.recital}"
    if not c.article:
        return act
    parts = (f"({c.paragraph})" if c.paragraph else "") + "".join(f"({p})" for p in c.item.split(".") if p)
    return f"{act}, Article {c.article}{parts}"


# ---------------------------------------------------------------------------------------------
# ISO / IEC


def parse_iso(text: str) -> list[Citation]:
    out = []
    for m in ISO_REF.finditer(text):
        ref = re.sub(r"\s+", " ", m["ref"]).strip()
        out.append(Citation("INTL", ref, clause=m["clause"] or "", span=(m.start(), m.end())))
    return out


def render_iso(c: Citation) -> str:
    return f"{c.document} {c.clause}".strip()


# ---------------------------------------------------------------------------------------------
# Public entry points


def parse_citations(text: str, jp_names: Iterable[str] = (), eu_short_names: dict[str, str] | None = None,
                    default_law: str = "") -> list[Citation]:
    """Every citation in `text`, in order of appearance."""
    text = _nfkc(text) if not re.search("[一-龥]", text) else text.replace("（", "(").replace("）", ")")
    found = parse_jp(text, jp_names, default_law) + parse_eu(text, eu_short_names) + parse_iso(text)
    return sorted(found, key=lambda c: c.span or (0, 0))


def parse_citation(text: str, **known) -> Citation:
    """Exactly one citation (for `ruleassist show`); raises ValueError when there is none."""
    found = parse_citations(text.strip(), **known)
    if not found:
        raise ValueError(f"no citation recognised in {text!r}; try e.g. 道路交通法第75条の12第1項 "
                         "or 'Regulation (EU) 2023/956, Article 35(2)'")
    return found[0]


def render(c: Citation, arabic: bool = False) -> str:
    if c.jurisdiction == "JP":
        return render_jp(c, arabic)
    if c.jurisdiction == "EU":
        return render_eu(c)
    return render_iso(c)


def citation_address(c: Citation) -> str:
    """The store address a citation names: 'a75-12/p1/i2', 'suppl/a1', 'a35/p2/pt-a', 'r12', 'annex-I', 'c5.2'."""
    if c.clause:
        return f"c{c.clause}"
    if c.annex:
        return f"annex-{c.annex}"
    if c.recital:
        return f"r{c.recital}"
    parts = [f"a{c.article}"] if c.article else []
    if c.paragraph:
        parts.append(f"p{c.paragraph}")
    if c.item:
        parts += ([f"i{c.item}"] if c.jurisdiction == "JP" else [f"pt-{p}" for p in c.item.split(".")])
    if c.subitem:
        parts.append(f"s{c.subitem}")
    address = "/".join(parts)
    return f"suppl/{address}" if c.suppl else address


def article_level(c: Citation) -> Citation:
    """The same citation cut to its article (how the evaluation sets compare citations)."""
    return replace(c, paragraph="", item="", subitem="", span=None)
