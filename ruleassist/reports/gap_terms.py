"""An English→Japanese glossary of regulatory concepts, and what a Japanese provision imposes.

Each concept has a role in an obligation (who must act, what they must do, about what, on
which scope, how often, with what assurance) and the words that express it in EU English and
in Japanese statutes. The glossary serves twice: its Japanese words expand the BM25 query (an
English obligation has no Japanese tokens), and concept-by-concept matching tells what part of
an EU obligation a Japanese provision covers and what is missing (actors, content, timing,
assurance, thresholds). Domain knowledge, not per-item answers: add concepts here.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

ROLES = ("actor", "action", "object", "detail", "vehicle", "scope", "timing", "assurance", "threshold")


@dataclass(frozen=True)
class Concept:
    id: str
    role: str
    en: str                     # regex over EU English (case-insensitive)
    ja: tuple[str, ...]         # words in Japanese statutes (the first ones also expand queries)
    label_en: str
    label_ja: str


C = Concept
CONCEPTS: tuple[Concept, ...] = (
    # who
    C("importer", "actor", r"\bimport(?:er|ers)\b|customs representatives?|CBAM declarants?",
      ("輸入者", "輸入する者", "輸入業者", "保税地域から引き取る者", "引き取る者"), "importers", "輸入者"),
    C("company", "actor", r"\bundertakings?\b|\bcompan(?:y|ies)\b|\benterprises?\b|\bissuers?\b",
      ("会社", "事業者", "発行者", "法人", "企業"), "companies", "会社・事業者"),
    C("manufacturer", "actor", r"\bmanufacturers?\b|\bproducers?\b",
      ("製造業者", "製造事業者", "製造者", "生産者", "製作者"), "manufacturers", "製造事業者"),
    C("operator", "actor", r"\boperators?\b|\binstallations?\b", ("事業者", "事業所", "特定排出者", "工場"),
      "operators of installations", "事業者（事業所）"),
    C("financial", "actor", r"financial market participants?|financial advisers?|credit institutions?|"
      r"insurance undertakings?|investment firms?", ("金融商品取引業者", "金融機関", "投資運用業", "銀行", "保険会社"),
      "financial firms", "金融商品取引業者等"),
    C("seller", "actor", r"\bdistributors?\b|\btraders?\b|\beconomic operators?\b|\bsuppliers?\b|\bdeployers?\b",
      ("販売業者", "事業者", "販売する者"), "economic operators", "事業者"),
    # what they must do (action families)
    C("inform", "action", r"\breport(?:s|ed|ing)?\b|\bsubmit|\bdisclos|\bpublish|make (?:public|available)|"
      r"\binclude (?:in|information)|\binform\b|\bnotify|\bdeclar(?!ant)|\bcommunicat|provide (?:information|details)|"
      r"\bcontain\b", ("報告", "提出", "開示", "公表", "届出", "届け出", "記載", "通知", "縦覧", "申告"),
      "report or disclose", "報告・開示"),
    C("record", "action", r"keep (?:records|evidence|a copy)|records? of|record-keeping|\bretain|bookkeeping|data shall be kept",
      ("記録", "保存", "帳簿", "備え置"), "keep records", "記録の保存"),
    C("verify", "action", r"\bverif|\bassurance\b|\baudit(?!or)|\bcertif(?:y|ied|ication)\b", ("監査", "検証", "証明", "保証", "審査"),
      "have it verified", "検証・監査"),
    C("diligence", "action", r"due diligence|identify and assess|\bidentify\b|\bassess(?:es|ment)?\b|scoping|map(?:ping)?\b",
      ("調査", "特定", "評価", "把握", "デュー・ディリジェンス"), "identify and assess", "調査・評価"),
    C("prevent", "action", r"\bprevent|\bmitigat|bring (?:it )?to an end|\bminimi[sz]|\bremed|corrective action",
      ("防止", "軽減", "是正", "措置を講じ"), "prevent or mitigate", "防止・是正措置"),
    C("plan", "action", r"transition plan|\bplans?\b|\btargets?\b", ("計画", "目標"), "adopt plans or targets", "計画・目標"),
    C("pay", "action", r"\bsurrender|\bpay\b|\bpayment|purchase (?:of )?(?:CBAM )?certificates|\blevy",
      ("納付", "支払", "賦課金", "負担金"), "pay or surrender certificates", "納付"),
    C("authorise", "action", r"apply for (?:the status|an authori)|authori[sz]ation|\bregist(?:er|ration)\b",
      ("許可", "登録", "承認", "認定", "申請"), "obtain authorisation or registration", "許可・登録"),
    C("label", "action", r"\blabel|\bmarking\b|QR code|product passport|\baccompan", ("表示", "ラベル", "標章", "添付"),
      "label products", "表示"),
    C("calculate", "action", r"\bcalculat|\bdetermin|\bmeasur(?:ed|ing|ement)\b|\bmeasure\b(?! to)|\bquantif|\bmonitor", ("算定", "算出", "測定", "計測"),
      "calculate or measure", "算定"),
    # about what (core subject matter)
    C("ghg", "object", r"greenhouse gas|\bGHG\b|\bemissions?\b|\bCO2|carbon dioxide|carbon footprint|decarboni|climate change mitigation|global warming|climate neutral",
      ("温室効果ガス", "二酸化炭素", "排出量", "脱炭素"), "greenhouse gas emissions", "温室効果ガス排出量"),
    C("energy", "object", r"\benergy\b|electricity|\bfuels?\b", ("エネルギー", "電気", "燃料"), "energy", "エネルギー"),
    C("sustainability", "object", r"sustainab|\bESG\b|environmental, social", ("サステナビリティ", "ＥＳＧ", "ESG"),
      "sustainability matters", "サステナビリティ情報"),
    C("human_rights", "object", r"human rights|forced labour|child labour", ("人権", "強制労働", "児童労働"),
      "human rights", "人権"),
    C("environment", "object", r"environmental (?:impacts?|matters|harm)|adverse (?:environmental )?impacts?|"
      r"\bpollut|biodiversity|deforestation|forest degradation",
      ("環境への影響", "環境影響", "環境に及ぼす", "汚染", "生物多様性", "森林"), "environmental impacts", "環境影響"),
    C("workforce", "object", r"\bworkers?\b|\bemployees?\b|\bworkforce\b|\blabour\b", ("労働者", "従業員"),
      "workers", "労働者"),
    C("governance", "object", r"administrative, management and supervisory bodies|\bboard\b|\bremuneration|"
      r"\bcorruption|\bbribery", ("取締役", "役員", "報酬", "贈賄"), "governance", "ガバナンス"),
    C("financial_info", "object", r"financial statements|net turnover|balance sheet|profit and loss|"
      r"financial position", ("財務諸表", "財務計算", "貸借対照表", "損益計算書", "経理の状況"), "financial information",
      "財務情報"),
    C("waste", "object", r"\bwaste\b|\brecycl|\brecovery\b|end-of-life|separate collection|\bre-use\b",
      ("廃棄物", "再資源化", "リサイクル", "回収"), "waste and recycling", "廃棄物・再資源化"),
    C("substances", "object", r"substances? of (?:very high )?concern|hazardous substances|\bchemicals?\b",
      ("化学物質", "有害物質"), "substances of concern", "化学物質"),
    C("personal_data", "object", r"personal data", ("個人情報", "個人データ"), "personal data", "個人情報"),
    C("cyber", "object", r"cyber ?security|software updates?", ("サイバーセキュリティ", "ソフトウェア"), "cybersecurity",
      "サイバーセキュリティ"),
    # content details: counted for what is missing, not enough on their own
    C("scope3", "detail", r"Scope 3|value chain emissions|\bindirect emissions", ("間接", "サプライチェーン排出"),
      "Scope 3 / indirect emissions", "スコープ3（間接排出）"),
    C("co2e", "detail", r"CO2e|CO2eq|CO2 equivalent|carbon dioxide equivalent", ("二酸化炭素換算", "地球温暖化係数"),
      "CO2-equivalent metrics", "二酸化炭素換算"),
    C("embedded", "detail", r"embedded emissions|emissions embedded", ("含有排出",), "emissions embedded in goods",
      "物品に含まれる排出量"),
    C("value_chain", "detail", r"value chain|supply chain|chains? of activities|business partners?|subsidiar(?:y|ies)",
      ("サプライチェーン", "取引先", "子会社", "委託先"), "subsidiaries and the value chain", "子会社・サプライチェーン"),
    C("carbon_price", "detail", r"carbon price|CBAM certificates?|EU ETS|allowances", ("排出量取引", "排出枠", "賦課金"),
      "carbon pricing", "カーボンプライシング"),
    C("impacts", "detail", r"\bimpacts?\b|\brisks?\b", ("影響", "リスク"), "impacts and risks", "影響・リスク"),
    # the document the duty is fulfilled in
    C("annual_report", "vehicle", r"management reports?|annual (?:financial )?reports?|sustainability statements?|"
      r"sustainability reporting", ("有価証券報告書", "事業報告", "年次報告"), "the annual (management) report",
      "有価証券報告書等の年次報告"),
    C("prospectus", "vehicle", r"\bprospectus", ("目論見書", "有価証券届出書"), "the prospectus", "目論見書"),
    # what the duty is limited to
    C("import", "scope", r"\bimport(?:ed|s|ing|ation)?\b|customs territory", ("輸入", "保税地域", "通関"),
      "imported goods", "輸入品"),
    C("battery", "scope", r"\bbatter(?:y|ies)\b", ("蓄電池", "電池", "バッテリ"), "batteries", "蓄電池"),
    C("ev", "scope", r"electric vehicles?", ("電気自動車",), "electric vehicles", "電気自動車"),
    C("commodities", "scope", r"relevant (?:commodities|products)|\bcattle\b|\bcocoa\b|\bcoffee\b|oil palm|\bsoya\b",
      ("木材", "カカオ", "コーヒー", "パーム", "大豆"), "forest-risk commodities", "森林リスク産品"),
    C("ai", "scope", r"\bAI systems?\b|artificial intelligence", ("人工知能", "ＡＩ", "AI"), "AI systems", "AIシステム"),
    C("financial_products", "scope", r"financial products?", ("金融商品",), "financial products", "金融商品"),
    # how often / how checked / for whom
    C("quarterly", "timing", r"\bquarter(?:ly)?\b", ("四半期",), "quarterly timing", "四半期ごとの期限"),
    C("annual", "timing", r"each year|\bannual(?:ly)?\b|\byearly\b|financial year|calendar year",
      ("毎年", "事業年度", "毎年度", "年度ごと"), "annual timing", "毎年の期限"),
    C("assurance", "assurance", r"\bassurance\b|\bverified\b|\bverification\b|\baudited\b|accredited verifiers?",
      ("監査", "検証", "保証", "証明"), "independent assurance", "第三者による保証・検証"),
    C("threshold", "threshold", r"more than \d|\bexceed|at least \d|\bthreshold|net turnover|\d[\d ,]* employees",
      ("規模以上", "相当程度多い", "以上", "政令で定める"), "size thresholds", "規模要件"),
)
BY_ID = {c.id: c for c in CONCEPTS}
_EN = {c.id: re.compile(c.en, re.IGNORECASE) for c in CONCEPTS}


def concepts_en(text: str) -> dict[str, int]:
    """Concept id -> offset of its first mention in an English obligation."""
    out = {}
    for c in CONCEPTS:
        m = _EN[c.id].search(text)
        if m:
            out[c.id] = m.start()
    return out


def primary_action(text: str, found: dict[str, int], after: int = 0) -> str | None:
    """The action the obligation is about: the first action word after the duty verb (else the first)."""
    later = []
    for cid in found:
        if BY_ID[cid].role == "action" and (m := _EN[cid].search(text, after)):
            later.append((m.start(), cid))
    if later:
        return min(later)[1]
    actions = sorted((pos, cid) for cid, pos in found.items() if BY_ID[cid].role == "action")
    return actions[0][1] if actions else None


# Words of legal English that carry no content of their own in an obligation.
BOILERPLATE = frozenset("""shall must undertaking undertakings company companies information following paragraph paragraphs point points
article articles regulation directive annex referred accordance including include includes where which
relevant respect apply applicable applies provide provided disclose disclosure disclosures report reporting
their there these those such other within without under between also least where whether when about into where""".split())  # noqa: SIM905


def untraced_words(text: str, matched) -> list[str]:
    """Content words of an English obligation that no matched concept accounts for (when over 30 %).

    "Covered" is claimed only when every element of the EU duty can be traced to a concept the
    Japanese provision shares; a duty whose specifics fall outside the glossary stays "partial"."""
    spans = [m.span() for c in matched for m in _EN[c].finditer(text)]
    words = [(m.start(), m.group(0).lower()) for m in re.finditer(r"[A-Za-z][A-Za-z-]{3,}", text)]
    content = [(at, w) for at, w in words if w not in BOILERPLATE]
    untraced = [w for at, w in content if not any(a <= at < b for a, b in spans)]
    return list(dict.fromkeys(untraced)) if content and len(untraced) / len(content) > 0.3 else []


def in_japanese(concept_id: str, text: str) -> bool:
    return any(term in text for term in BY_ID[concept_id].ja)


def query_terms(concept_ids) -> list[str]:
    """Japanese words for BM25 query expansion (two per concept: the commonest forms)."""
    out: list[str] = []
    for cid in concept_ids:
        for term in BY_ID[cid].ja[:2]:
            if term not in out:
                out.append(term)
    return out


# ------------------------------------------------------------------------------ what a whole act is about

SUBJECT_CAPTION = re.compile(r"^(?:Subject[- ]matter|Scope|Subject matter and scope|Objective)\b", re.IGNORECASE)


@dataclass(frozen=True)
class ActSubject:
    """What a whole act is about: every duty in it is limited to its scope, and about its subject
    when the sentence itself names none (applying for CBAM authorisation is about carbon and imports)."""
    scope: tuple[str, ...] = ()
    objects: tuple[str, ...] = ()


def act_subject(obligations, subject_text: str = "", share: float = 0.25) -> ActSubject:
    """Scope and subject concepts from the act's subject-matter article, and objects most of its duties name."""
    found = concepts_en(subject_text[:1500]) if subject_text else {}
    scope = tuple(c for c in found if BY_ID[c].role == "scope")
    objects = [c for c in found if BY_ID[c].role == "object"]
    texts = [o.text for o in obligations if o.compare] or [o.text for o in obligations]
    counts: dict[str, int] = {}
    for text in texts:
        for cid in concepts_en(text):
            if BY_ID[cid].role == "object":
                counts[cid] = counts.get(cid, 0) + 1
    objects += [c for c, n in sorted(counts.items(), key=lambda x: -x[1]) if n / max(1, len(texts)) >= share
                and c not in objects]
    return ActSubject(scope, tuple(objects))


def subject_text_of(provisions) -> str:
    """The text of the act's subject-matter / scope articles (Article 1 and 2 in most acts)."""
    return "\n".join(p.text for p in provisions if "/" not in p.address and p.level == "article"
                     and SUBJECT_CAPTION.match(p.caption or ""))


# ------------------------------------------------------------------------------ Japanese duties

DUTY_JA = re.compile(r"(?:しなければならない|なければならない|してはならない|てはならない|義務を負う|ものとする)")
PROHIBITION_JA = re.compile(r"(?:してはならない|てはならない|禁止する|禁ずる)")
EFFORT_JA = re.compile(r"努めなければならない|努めるものとする")
# Subjects that are the state: their duties are not duties of businesses.
PUBLIC_JA = re.compile(r"(?:大臣|国は|^国|政府|長官|委員会|地方公共団体|都道府県|市町村|知事|機構|行政機関|裁判所|税関|官署)")
# A subject that is a person (者, 会社 …): "ものとする" after a thing's name is a rule, not a duty.
ACTOR_JA = re.compile(r"(?:者|会社|法人|組合|団体|業者|機関|人)(?:等)?$|者(?:等)?(?:又は|及び)")
DEFINED = re.compile(r"（以下[^（）]{0,12}「(?P<term>[^」]{1,20})」という。）")


@dataclass(frozen=True)
class JapaneseDuty:
    subject: str            # "特定排出者", "有価証券の発行者である会社"
    sentence: str
    prohibition: bool
    effort: bool            # 努力義務: weaker than a duty


def sentences_ja(text: str) -> list[str]:
    """Sentences split at 「。」 outside parentheses (a parenthesis may hold its own 。)."""
    out, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        if ch in "（(「":
            depth += 1
        elif ch in "）)」":
            depth = max(0, depth - 1)
        elif ch in "。\n" and depth == 0:
            out.append(text[start:i + 1].strip())
            start = i + 1
    out.append(text[start:].strip())
    return [s for s in out if s]


def private_duties(text: str) -> list[JapaneseDuty]:
    """Duty sentences of a Japanese provision whose subject is not the state."""
    out = []
    for sentence in sentences_ja(text):
        if not DUTY_JA.search(sentence) or "この限りでない" in sentence[-12:]:
            continue
        subject = _subject(sentence)
        if PUBLIC_JA.search(subject) or not ACTOR_JA.search(subject):
            continue
        out.append(JapaneseDuty(subject, sentence, bool(PROHIBITION_JA.search(sentence)),
                                bool(EFFORT_JA.search(sentence))))
    return out


def _subject(sentence: str) -> str:
    """The topic before the first top-level 「は、」, or the term it defines (「以下「特定排出者」という」)."""
    depth = 0
    for i, ch in enumerate(sentence):
        if ch in "（「":
            depth += 1
        elif ch in "）」":
            depth = max(0, depth - 1)
        elif depth == 0 and sentence.startswith("は、", i):
            head = sentence[:i]
            defined = list(DEFINED.finditer(head))
            if defined:
                return defined[-1]["term"]
            flat = re.sub(r"（[^（）]*）", "", re.sub(r"（[^（）]*）", "", head))
            return flat if len(flat) <= 30 else flat[-25:]
    return ""


THRESHOLD_JA = re.compile(r"政令で定める(?:規模|数|額)|相当程度多い|規模以上|所有者の数|資本金の額|一定の規模")
DELEGATION_JA = re.compile(r"(?P<level>内閣府令|主務省令|経済産業省令|環境省令|省令|政令)で定める(?:事項|ところ|もの|様式)")
