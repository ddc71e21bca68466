"""Classify a provision's friction with a plan, deterministically, from the provision's own words.

    c = classify(provision, gap_terms=("自ら診察",))
    c.type, c.severity, c.decision_maker, c.exception, c.requirement
    # 道路交通法第七十五条の十二 -> "permission", "approval needed", "公安委員会", "", "特定自動運行を行おうとする者は、…"

The decisive sentence is the first obligation sentence of the article (…しなければならない,
…してはならない); its wording decides the type (してはならない -> prohibition; 許可を受けなければ
-> permission; 選任/配置/教育 -> qualification or staffing; 届出/報告/記録 -> reporting; ...), the
decision-maker is the authority the text names (公安委員会, 国土交通大臣, ...), and the exception
is the provision's own ただし書 or 「次に掲げる場合を除き」. Nothing here asks a model: a small
model reads Japanese statutes at chance, the statutes' drafting conventions do not change.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from ruleassist.records import Provision

TYPES = {   # key -> (Japanese label, English label)
    "prohibition": ("禁止", "prohibition"),
    "permission": ("許可・免許・登録等", "permission / licence / registration"),
    "qualification": ("資格・人員配置", "qualification or staffing duty"),
    "technical": ("技術基準・遵守事項", "technical standard"),
    "reporting": ("届出・報告・記録", "reporting / records"),
    "liability": ("賠償責任・保険", "liability / insurance"),
    "personal_data": ("個人情報", "personal data"),
    "gap": ("制度の想定外・解釈不明", "gap / ambiguity"),
}
SEVERITIES = ("blocking", "approval needed", "compliance burden")
SEVERITY_JA = {"blocking": "実施不可（特例・改正が必要）", "approval needed": "許可・同意等が必要", "compliance burden": "遵守負担"}

OBLIGATION = re.compile(r"なければならない|てはならない|てはならず|ものとする|を行う。|することができない|禁止する|責に任ずる|責任を負う")
PENALTY = re.compile(r"(?:懲役|拘禁刑|罰金|過料|科料)")
MARKERS = {
    "prohibition": re.compile(r"てはならない|てはならず|禁止する|することができない"),
    "permission": re.compile(r"(?:許可|認可|承認|登録|認定|機体認証|型式認証|免許)(?:を受け|を受ける|をしようとする|を行う|をし|の申請|を申請|"
                             r"を与え|した場合|しなければ)|の行う登録|の許可|の認可|の承認"),
    "qualification": re.compile(r"技能証明|資格|選任し|選任す|指定しなければ|配置|主任者|管理者を置|教育を行わなければ|乗務"),
    "reporting": re.compile(r"届け出|届出|報告し|報告を|通報|記録し|記録を|作成し、?保存|通知し|公表し|提出しなければ"),
    "liability": re.compile(r"賠償|保険|責任を負"),
    "technical": re.compile(r"基準|技術上|構造|性能|装置|方法により|措置を講じ|遵守"),
    "personal_data": re.compile(r"個人データ|個人情報|要配慮|保有個人|仮名加工|匿名加工"),
}
ORDER_MAIN = ("permission", "prohibition", "liability", "qualification", "reporting", "technical")
ROUTE = re.compile(r"許可|登録|承認|認可|認定|認証|技能証明|同意|届出|指定")
EXCEPTION = re.compile(r"(?:ただし|但し)、?[^。]*?(?:この限りでない|この限りではない|適用しない|できる)。")
EXCLUDING = re.compile(r"次に掲げる(?:場合|者|もの)を除(?:き|くほか)|場合を除き|場合を除くほか")

# Longest first, so 国家公安委員会 is not read as 公安委員会.
AUTHORITIES = sorted((
    "国家公安委員会", "公安委員会", "警察署長", "国土交通大臣", "地方運輸局長", "運輸監理部長", "都道府県知事", "市町村長",
    "厚生労働大臣", "地方厚生局長", "個人情報保護委員会", "内閣総理大臣", "経済産業大臣", "総務大臣", "環境大臣",
    "金融庁長官", "主務大臣", "財務大臣", "農林水産大臣", "文部科学大臣", "国家戦略特別区域会議", "保健所を設置する市の市長",
), key=len, reverse=True)
AUTHORITY = re.compile("(?:" + "|".join(AUTHORITIES) + ")(?!規則|規程)")
# The competent authority when a provision names none (statutory duties without an approver).
LAW_AUTHORITY = {
    "個人情報の保護に関する法律": "個人情報保護委員会", "医師法": "厚生労働大臣", "医療法": "都道府県知事",
    "医薬品、医療機器等の品質、有効性及び安全性の確保等に関する法律": "厚生労働大臣", "道路交通法": "公安委員会",
    "道路運送法": "国土交通大臣", "道路運送車両法": "国土交通大臣", "航空法": "国土交通大臣", "自動車損害賠償保障法": "国土交通大臣",
    "金融商品取引法": "内閣総理大臣", "地球温暖化対策の推進に関する法律": "環境大臣",
}
PARAGRAPH_START = re.compile(r"^[０-９0-9]+\u3000", re.MULTILINE)
ITEM_LINE = re.compile(r"^(?:[一二三四五六七八九十]+(?:の[一二三四五六七八九十]+)?|[イロハニホヘトチリヌルヲワカヨタレソ])\u3000")


@dataclass(frozen=True)
class Classification:
    type: str                   # key of TYPES
    severity: str               # one of SEVERITIES
    decision_maker: str         # as named in the text; "" when none
    decision_maker_source: str  # "text" / "competent authority" / ""
    exception: str              # the provision's own exception, quoted (shortened)
    requirement: str            # the decisive sentence, parentheticals removed
    paragraph: int              # 1-based paragraph holding the decisive sentence
    marker: str                 # the words that decided the type (they are in the text)


def strip_parentheticals(text: str) -> str:
    """Remove （…） asides, innermost first: definitions and cross-references, not the duty."""
    previous = None
    while previous != text:
        previous, text = text, re.sub(r"（[^（）]*）", "", text)
    return text


def paragraphs(text: str) -> list[str]:
    """An article's paragraphs (a paragraph keeps its items)."""
    starts = [0] + [m.start() for m in PARAGRAPH_START.finditer(text) if m.start() > 0]
    return [text[a:b].strip() for a, b in zip(starts, starts[1:] + [len(text)])]


def sentences(text: str) -> list[str]:
    """Split at 。 outside brackets: definitions like （以下「利用目的」という。） stay inside their sentence."""
    out, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        depth += ch in "（「『(" 
        depth -= ch in "）」』)" and depth > 0
        if ch == "。" and depth == 0:
            out.append(text[start:i + 1].strip())
            start = i + 1
    if text[start:].strip():
        out.append(text[start:].strip())
    return [s for s in out if s]


def main_text(paragraph: str) -> str:
    """The paragraph without its items, without its leading number."""
    lines = [ln for ln in paragraph.splitlines() if not ITEM_LINE.match(ln)]
    return PARAGRAPH_START.sub("", "\n".join(lines), count=1).strip()


def decisive(provision: Provision, terms: tuple[str, ...] = ()) -> tuple[int, str] | None:
    """(paragraph number, sentence) of the obligation that matters most; None when the article imposes none."""
    best = None
    for n, para in enumerate(paragraphs(provision.text), start=1):
        for sentence in sentences(main_text(para)):
            if not OBLIGATION.search(sentence) or PENALTY.search(sentence):
                continue
            score = sum(t in sentence for t in terms) * 2 - n * 0.5
            if best is None or score > best[0]:
                best = (score, n, sentence.strip())
    return (best[1], best[2]) if best else None


def decision_maker(main: str, paragraph: str, article: str, law: str) -> tuple[str, str]:
    for text in (main, paragraph, article):
        m = AUTHORITY.search(text)
        if m:
            return m.group(0), "text"
    for name, authority in LAW_AUTHORITY.items():
        if law.startswith(name):
            return authority, "competent authority"
    return "", ""


def exception_of(main: str, paragraph: str) -> str:
    m = EXCEPTION.search(paragraph)
    if m:
        return shorten(strip_parentheticals(m.group(0)), 160)
    condition = CONDITION.search(strip_parentheticals(main))
    if condition and not re.search(r"次に掲げる", condition.group(1)):
        return shorten("条件：" + condition.group(1).lstrip("、") + "なければならない", 200)
    if EXCLUDING.search(main):
        items = [ITEM_LINE.sub("", ln).strip() for ln in paragraph.splitlines() if ITEM_LINE.match(ln)]
        listed = "／".join(shorten(strip_parentheticals(i), 70) for i in items[:4])
        return shorten(f"除外：{listed}" if listed else "除外：" + EXCLUDING.search(main).group(0), 240)
    return ""


def shorten(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 1] + "…"


CONDITION = re.compile(r"([^、。]*?)なければ、[^。]*?てはならない")


def _type(main: str, paragraph: str, provision: Provision, gap_terms: tuple[str, ...]) -> tuple[str, str]:
    if any(t in main for t in gap_terms):
        return "gap", next(t for t in gap_terms if t in main)
    condition = CONDITION.search(strip_parentheticals(main))
    if condition and MARKERS["prohibition"].search(main):
        # 「…に適合するものでなければ…してはならない」 is a standard or an insurance duty framed as a ban.
        for key in ("liability", "technical"):
            m = re.search(r"保険|共済" if key == "liability" else r"基準", condition.group(1))
            if m:
                return key, m.group(0)
    tail = strip_parentheticals(main)[-20:]
    if MARKERS["prohibition"].search(tail) and not provision.title.startswith("個人情報"):
        return "prohibition", MARKERS["prohibition"].search(tail).group(0)
    m = MARKERS["personal_data"].search(main) or MARKERS["personal_data"].search(provision.title)
    if m and provision.title.startswith("個人情報"):
        return "personal_data", m.group(0)
    for text, order in ((main, ORDER_MAIN), (paragraph, ORDER_MAIN[:1] + ORDER_MAIN[2:])):
        for key in order:       # a ban elsewhere in the paragraph does not make the decisive duty a ban
            m = MARKERS[key].search(text)
            if m:
                return key, m.group(0)
    return "technical", ""


# A ban addressed to an operator already licensed (…事業者は、…してはならない) is a rule of conduct, not a wall.
LICENSED_SUBJECT = re.compile(r"^[^、。]*(?:事業者|開設者|実施者|使用者|会社|組合|業者|機関)(?:等)?は、")


def _severity(kind: str, main: str, exception: str, marker: str) -> str:
    prohibitive = bool(MARKERS["prohibition"].search(main))
    routed = bool(ROUTE.search(exception)) or bool(re.search(r"同意を得ないで", main))
    if kind == "prohibition":
        if routed:
            return "approval needed"
        conditional = bool(exception) or bool(CONDITION.search(strip_parentheticals(main)))
        return "compliance burden" if conditional or LICENSED_SUBJECT.match(main) else "blocking"
    if kind == "gap":
        return "blocking" if prohibitive else "approval needed"
    if kind == "permission" or (kind == "qualification" and marker in ("技能証明", "資格")):
        return "approval needed"
    if kind == "personal_data" and prohibitive and "同意" in main:
        return "approval needed"
    return "compliance burden"


def classify(provision: Provision, terms: tuple[str, ...] = (), gap_terms: tuple[str, ...] = ()) -> Classification | None:
    """The friction a provision creates; None when it imposes no obligation (definitions, penalties, deleted)."""
    found = decisive(provision, terms)
    if found is None:
        return None
    n, sentence = found
    paragraph = paragraphs(provision.text)[n - 1]
    main = main_text(paragraph)
    kind, marker = _type(sentence, paragraph, provision, gap_terms)
    exception = exception_of(main, paragraph)
    who, source = decision_maker(sentence, paragraph, provision.text, provision.title)
    return Classification(kind, _severity(kind, sentence, exception, marker), who, source, exception,
                          shorten(strip_parentheticals(sentence), 200), n, marker)


def claims_hold(c: Classification, provision: Provision) -> list[str]:
    """What the row says that the provision's text does not bear out (empty when everything holds)."""
    text = provision.text
    wrong = []
    if c.marker and c.marker not in text:
        wrong.append(f"the words {c.marker!r} that make it a {TYPES[c.type][1]} are not in {provision.citation}")
    if c.type == "prohibition" and not MARKERS["prohibition"].search(text):
        wrong.append(f"{provision.citation} prohibits nothing")
    if c.type == "permission" and not MARKERS["permission"].search(text):
        wrong.append(f"{provision.citation} requires no permission")
    if c.decision_maker_source == "text" and c.decision_maker not in text:
        wrong.append(f"{provision.citation} does not name {c.decision_maker}")
    if c.exception and not c.exception.startswith(("除外", "条件")) and \
            strip_parentheticals(c.exception.rstrip("…"))[:20] not in strip_parentheticals(" ".join(text.split())):
        wrong.append(f"the exception quoted is not in {provision.citation}")
    return wrong
