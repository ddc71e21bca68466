"""English -> Japanese glossary of regulatory terms, for cross-lingual BM25 queries and checks.

An ISO/IEC draft is English and Japanese law is Japanese; BM25 over Sudachi tokens finds an
article only when the query holds its words. `japanese_terms("share the video with third
parties without consent")` gives ["映像", "画像", "第三者", "提供", "同意"]. Entries are domain
knowledge (the terms statutes use), not keyed to any draft: general administrative law, road
traffic and transport, automated driving, drones and aviation, personal data, medical devices
and medicine, finance, climate and energy, standards and product safety.
"""
from __future__ import annotations

import re

# Duties and permissions, each with the English words a gist uses for it.
DUTIES: tuple[tuple[str, tuple[str, ...], str], ...] = (
    (r"permi(t|ssion)s?", ("許可",), "permission"),
    (r"authori[sz]ation|authori[sz]ed", ("許可", "認可"), "authorization"),
    (r"licen[cs]e[ds]?|licensing", ("免許",), "a licence"), (r"approv(al|ed|e)", ("承認", "認可"), "approval"),
    (r"certif(icate|ication|ied)", ("証明", "認証"), "certification"),
    (r"regist(er|ration|ered)", ("登録",), "registration"),
    (r"notif(y|ied|ying|ication)|notice", ("届出", "通知", "通報"), "notification"),
    (r"report(s|ed|ing)?", ("報告",), "reporting"), (r"inspect(ion|ed)?", ("検査",), "inspection"),
    (r"consent", ("同意",), "consent"), (r"prohibit(ed|ion)?|forbid", ("禁止",), "a prohibition"),
    (r"dispatch|send (a )?(person|staff)|on-site|site of", ("現場", "向かわせ"), "dispatch of staff to the site"),
    (r"police", ("警察官", "警察署"), "the police"), (r"train(ing|ed)?|educat(e|ion)", ("教育", "研修"), "training"),
    (r"qualif(ication|ied)|competen(ce|t)", ("資格",), "qualification"),
    (r"record(s|ed|ing)?|log(s|ged|ging)?", ("記録",), "record keeping"),
    (r"retain|retention|keep|kept", ("保存",), "retention"),
    (r"delet(e|ion)|eras(e|ure)", ("消去", "削除"), "deletion"),
    (r"rescue|first aid|injur(ed|y|ies)", ("救護", "負傷"), "aid to the injured"),
    (r"fire (service|brigade|department)|ambulance|emergency services", ("消防",), "calling the fire service"),
    (r"insur(ance|ed)", ("保険",), "insurance"),
)
# (English pattern, Japanese terms). Patterns are matched on lower-cased text at word starts.
GLOSSARY: tuple[tuple[str, tuple[str, ...]], ...] = tuple((p, t) for p, t, _ in DUTIES) + (
    # administrative law
    (r"exempt(ion|ed)?", ("適用", "除外")),
    (r"authorit(y|ies)|government|ministr(y|er)", ("大臣", "行政庁")), (r"penalt(y|ies)|sanction", ("罰則",)),
    (r"obligat(ion|ed)|dut(y|ies)|responsib(le|ility)", ("義務",)), (r"comply|compliance", ("遵守",)),
    (r"order|instruction", ("命令", "指示")), (r"suspend|suspension|revok|revocation", ("停止", "取消し")),
    (r"plan\b|operation plan", ("計画",)), (r"stor(e|age)", ("保存",)),
    (r"supervis(e|ion|or)|oversee", ("監督", "監視")), (r"monitor(ing|ed)?", ("監視",)),
    (r"safety", ("安全",)), (r"hazard|danger", ("危険",)), (r"risk", ("危険", "リスク")),
    (r"emergenc(y|ies)", ("緊急",)), (r"accident|collision|crash", ("事故",)),
    (r"liabilit(y|ies)|compensat", ("賠償",)),
    (r"damage", ("損害",)), (r"defect", ("欠陥",)), (r"recall", ("リコール", "改善措置")),
    (r"fee|fare|charge|paid|paying|remuneration", ("有償", "運賃")),
    (r"business|commercial|enterprise", ("事業",)), (r"operat(or|ors)\b", ("事業者", "実施者")),
    (r"manufactur(er|ers|e|ing)", ("製作者", "製造")), (r"import(er|ed)?", ("輸入",)),
    (r"sell|sale|market(ing)?", ("販売",)),
    (r"advertis", ("広告",)), (r"contract", ("契約",)), (r"user|customer|consumer", ("利用者", "消費者")),
    (r"worker|employee|staff", ("従事者", "従業者")),
    # road traffic, transport, vehicles, automated driving
    (r"vehicle", ("自動車", "車両")), (r"road|public road|street", ("道路",)), (r"traffic", ("交通",)),
    (r"driv(er|ers)\b", ("運転者",)), (r"driving licen", ("運転免許",)), (r"driv(e|ing)\b", ("運転",)),
    (r"automated driving|autonomous|self-driving|ads\b", ("自動運行装置", "自動運転")),
    (r"without (a |an )?(on-board )?driver|driverless|no driver|remote(ly)? (monitor|operat|supervis)",
     ("特定自動運行", "遠隔")),
    (r"remote", ("遠隔",)), (r"passenger", ("旅客",)), (r"transport(ation)?|carry|carriage", ("運送",)),
    (r"bus\b|route", ("路線", "旅客自動車")), (r"taxi", ("乗用", "旅客自動車")), (r"goods|cargo|freight|deliver", ("貨物",)),
    (r"software|program", ("プログラム",)), (r"update|modif(y|ication)|alter|change", ("改変", "改造")),
    (r"over[- ]the[- ]air|ota\b|electronic means|telecommunication", ("電気通信回線",)),
    (r"safety standard|technical standard|security standard", ("保安基準",)),
    (r"speed", ("速度",)), (r"parking", ("駐車",)), (r"pedestrian", ("歩行者",)), (r"signal", ("信号",)),
    # drones and aviation
    (r"flight plan", ("飛行計画", "通報")), (r"aviation", ("航空",)),
    (r"drop(s|ped|ping)?\b|releas(e|ing) (objects|parcels|items|goods)", ("投下",)),
    (r"night|dark(ness)?\b", ("夜間", "日没")), (r"crowd|event|gathering|spectator", ("催し", "多数の者")),
    (r"dangerous goods|hazardous (goods|materials|substances)", ("危険物",)), (r"visual line of sight", ("目視",)),
    (r"airworthiness", ("耐空証明",)),
    (r"drone|unmanned aircraft|uas\b|uav\b", ("無人航空機",)), (r"aircraft", ("航空機",)),
    (r"flight|fly|flying", ("飛行",)), (r"airspace", ("空域",)), (r"airport", ("空港",)),
    (r"beyond visual line of sight|bvlos", ("目視外",)), (r"pilot", ("操縦者",)),
    # personal data and digital
    (r"personal (data|information)|data subject", ("個人情報", "個人データ")),
    (r"third part(y|ies)", ("第三者",)), (r"share|sharing|disclos|provid|transfer", ("提供",)),
    (r"video|image|camera|footage", ("画像", "映像")), (r"biometric|face|facial", ("顔", "身体")),
    (r"sensitive|health data|medical history", ("要配慮",)), (r"purpose", ("利用目的",)),
    (r"anonymi[sz]", ("匿名加工",)), (r"pseudonymi[sz]", ("仮名加工",)), (r"breach|leak", ("漏えい",)),
    (r"abroad|foreign|cross-border|outside (japan|the country)", ("外国",)),
    (r"security measure|cybersecurity|information security", ("安全管理", "サイバーセキュリティ")),
    (r"data\b", ("データ", "情報")),
    # medicine and medical devices
    (r"medical device", ("医療機器",)), (r"medicin(e|al product)|drug|pharmaceutical", ("医薬品",)),
    (r"clinical (trial|investigation)", ("治験",)), (r"physician|doctor|medical practitioner", ("医師",)),
    (r"diagnos|treatment|medical practice", ("医業", "診療")), (r"hospital|clinic", ("病院", "診療所")),
    (r"patient", ("患者",)), (r"marketing authori[sz]ation|placing on the market", ("製造販売", "承認")),
    # finance, climate, standards, zones
    (r"securities|financial instrument", ("有価証券", "金融商品")), (r"disclosure", ("開示",)),
    (r"investor", ("投資者",)), (r"greenhouse gas|ghg|emission", ("温室効果ガス", "排出")),
    (r"carbon", ("二酸化炭素", "脱炭素")), (r"energy", ("エネルギー",)), (r"climate", ("気候",)),
    (r"standard|standardi[sz]", ("規格", "標準")), (r"conformity|conform", ("適合",)),
    (r"product liability|product", ("製造物",)), (r"special zone|sandbox|pilot zone", ("特別区域",)),
    (r"public transport", ("公共交通",)), (r"lease|rent", ("賃貸借",)),
)
_DUTIES = tuple((re.compile(r"(?<![a-z])(?:" + p + ")"), terms, label) for p, terms, label in DUTIES)
_COMPILED = tuple((re.compile(r"(?<![a-z])(?:" + pattern + ")"), terms) for pattern, terms in GLOSSARY)


def japanese_terms(text: str) -> list[str]:
    """Japanese terms for the regulatory concepts in English `text`, in order, without repeats."""
    low = text.lower()
    found: list[tuple[int, str]] = []
    for rx, terms in _COMPILED:
        if m := rx.search(low):
            found += [(m.start(), t) for t in terms]
    out: list[str] = []
    for _, term in sorted(found, key=lambda x: x[0]):
        if term not in out:
            out.append(term)
    return out


def concept_support(claim: str, japanese_text: str) -> float:
    """Share of the claim's concepts (glossary entries) whose Japanese terms the text contains."""
    low = claim.lower()
    concepts = [terms for rx, terms in _COMPILED if rx.search(low)]
    if not concepts:
        return 0.0
    return sum(any(t in japanese_text for t in terms) for terms in concepts) / len(concepts)


def duty_concepts(text: str) -> list[tuple[str, tuple[str, ...]]]:
    """(English label, Japanese terms) of the duties and permissions named in English `text`, in order."""
    low = text.lower()
    found = sorted((m.start(), label, terms) for rx, terms, label in _DUTIES if (m := rx.search(low)))
    return [(label, terms) for _, label, terms in found]


def primary_terms(text: str) -> list[str]:
    """The first (usual) Japanese term of each concept in `text`: precise words for BM25."""
    low = text.lower()
    found = sorted((m.start(), terms[0]) for rx, terms in _COMPILED if (m := rx.search(low)))
    return list(dict.fromkeys(t for _, t in found))
