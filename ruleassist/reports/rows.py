"""Friction rows: rank the classified articles of one activity, verify each row, attach relief, cap the report.

A row is shown only when (1) its citation resolves in the store to the provision it names,
(2) its requirement sentence is supported by that provision's text (ruleassist.verify), and
(3) what it claims about the provision (type markers, decision-maker, quoted exception) is in
the text. A relief route is shown only when its own citation passes the same checks and its
text names the law it relaxes. A row that fails is dropped and the reason kept in `dropped`.
"""
from __future__ import annotations

import re

from ruleassist.records import Provision
from ruleassist.reports.candidates import (
    ArticleCache,
    find_candidates,
    next_article_relief,
    special_zone_relief,
)
from ruleassist.reports.classify import (
    SEVERITIES,
    TYPES,
    Classification,
    claims_hold,
    classify,
    paragraphs,
)
from ruleassist.verify import supports, verify_citation_text

# How much a type of friction matters to someone who must decide on a plan.
TYPE_WEIGHT = {"permission": 1.0, "prohibition": 1.0, "gap": 1.0, "qualification": 0.85, "personal_data": 0.85,
               "liability": 0.8, "technical": 0.8, "reporting": 0.7}
# The entry gate of a regime: 「…を行おうとする者は、…の許可を受けなければならない」.
GATE = re.compile(r"(?:しようと|行おうと|経営しようと|営もうと)する者は、.*(?:許可|登録|免許|認可|承認|認定)を受けなければならない")
BAN = re.compile(r"てはならない")
# Articles on what the authority may do afterwards (orders, revocation, fees, inspections) are not friction
# that a plan meets up front.
AUTHORITY_ACTION = re.compile(r"指示|命令|取消|停止|聴聞|手数料|立入|報告の徴収|検査|公示|失効|変更の届出|廃止|承継|経過措置|適用除外|"
                              r"権限の委任|事務の区分|再審査|罰則")
# 「国土交通大臣は、…することができる。」: a power of the authority, not a duty the plan meets.
POWER = re.compile(r"[^。\n]{0,12}(?:大臣|委員会|知事|長官|署長|局長|市町村長)は、[^。]*できる。")
MIN_RELEVANCE = 0.3  # candidates under this share of the best match's relevance: a strong type cannot lift them
MIN_SHARE = 0.4     # rows scoring under this share of the activity's best are noise


def _url(cache: ArticleCache, p: Provision) -> str:
    doc = cache.store.document(p.doc_id, p.version)
    if doc is not None and doc.official_url:
        return doc.official_url
    return f"https://laws.e-gov.go.jp/law/{p.doc_id.removeprefix('jp:')}" if p.doc_id.startswith("jp:") else ""


def _pinpoint(cache: ArticleCache, article: Provision, paragraph: int) -> Provision:
    found = cache.store.get(article.doc_id, f"{article.address}/p{paragraph}", article.version)
    return found or article


def _rank(cache, index, activity, retrievers, taken: set[str]) -> list[tuple[float, Provision, Classification]]:
    terms = tuple(t for t, _ in activity.terms)
    ranked = []
    for c in find_candidates(cache, index, activity, retrievers):
        if c.score < MIN_RELEVANCE:
            continue
        k = classify(c.provision, terms, activity.gap_terms)
        if k is None:
            continue
        in_sentence = any(t in k.requirement for t in terms)
        in_paragraph = any(t in paragraphs(c.provision.text)[k.paragraph - 1] for t in terms)
        score = 0.6 * c.score + 0.4 * TYPE_WEIGHT[k.type] * (0.6 + 0.4 * in_paragraph)
        score += 0.3 * bool(in_sentence and GATE.search(k.requirement))
        score += 0.15 * bool(in_sentence and BAN.search(k.requirement))
        if AUTHORITY_ACTION.search(c.provision.caption) or POWER.match(c.provision.text):
            score -= 0.3
        score -= min(0.3, 0.1 * (k.paragraph - 1))     # an article's own point is its first paragraph
        if c.provision.kind != "statute":
            score -= 0.15
        ranked.append((round(score, 4), c.provision, k))
    ranked.sort(key=lambda r: (-r[0], r[1].id))
    best = ranked[0][0] if ranked else 0.0      # articles another activity took still set the bar
    return [r for r in ranked if r[0] >= MIN_SHARE * best and r[0] > 0 and r[1].id not in taken]


def verify_row(cache: ArticleCache, row: dict, article: Provision, k: Classification) -> list[str]:
    """Reasons the row cannot be shown; empty when its citation exists and says what the row claims."""
    named = verify_citation_text(cache.store, row["citation"])
    if named is None or named.id != row["provision_id"]:
        return [f"{row['citation']}: the citation does not resolve to the provision it names"]
    check = supports(row["requirement"], named)
    problems = [] if check.ok else [f"{row['citation']}: {check.reason}"]
    return problems + claims_hold(k, article)


def _relief(cache: ArticleCache, article: Provision, k: Classification, terms: tuple[str, ...]) -> dict:
    if k.severity == "compliance burden":
        return {}
    routes = [next_article_relief(cache, article, k.exception) if k.type == "prohibition" else None,
              special_zone_relief(cache, article, terms)]
    kept = []
    for route in filter(None, routes):
        p = route.provision
        named = verify_citation_text(cache.store, p.citation)
        if named is None or named.id != p.id or not supports(route.text, p).ok:
            continue
        if route.kind == "special zone" and article.title not in p.text:
            continue
        kept.append(route)
    if not kept:
        return {}
    label = {"special zone": "特区の特例", "registration or permission route": "登録・許可による道"}
    return {"relief": " / ".join(f"{label[r.kind]}：{r.text}" for r in kept),
            "relief_kind": "; ".join(r.kind for r in kept),
            "relief_citation": "; ".join(r.provision.citation for r in kept),
            "relief_id": "; ".join(r.provision.id for r in kept),
            "relief_url": "; ".join(_url(cache, r.provision) for r in kept)}


def activity_rows(cache: ArticleCache, index, activity, label: str, retrievers: tuple[str, ...],
                  taken: set[str] = frozenset()) -> tuple[list[dict], list[str]]:
    """The verified rows for one activity, best first, and the reasons for rows dropped.

    Articles in `taken` (rows of activities done before) are skipped: one row per provision.
    """
    rows, dropped = [], []
    terms = tuple(t for t, _ in activity.terms)
    for score, article, k in _rank(cache, index, activity, retrievers, set(taken)):
        if len(rows) >= activity.max_rows:
            break
        target = _pinpoint(cache, article, k.paragraph)
        row = {"activity": label, "activity_key": activity.key, "citation": target.citation,
               "article_citation": article.citation, "provision_id": target.id, "article_id": article.id,
               "url": _url(cache, article), "requirement": k.requirement, "type": k.type,
               "type_label": TYPES[k.type][0] + " / " + TYPES[k.type][1], "severity": k.severity,
               "decision_maker": k.decision_maker + (" (所管)" if k.decision_maker_source == "competent authority" else ""),
               "exception": k.exception, "score": score, "text": article.text[:3000], "caption": article.caption}
        problems = verify_row(cache, row, article, k)
        if problems:
            dropped += problems
            continue
        row.update(_relief(cache, article, k, terms))
        rows.append(row)
    if not rows:
        rows.append({"activity": label, "activity_key": activity.key, "citation": "", "article_citation": "",
                     "provision_id": "", "article_id": "", "url": "", "type": "gap",
                     "type_label": TYPES["gap"][0] + " / " + TYPES["gap"][1], "severity": "approval needed",
                     "requirement": "no provision governing this activity was found in the corpus: the rules may not "
                                    "foresee it, or its law is not ingested", "decision_maker": "", "exception": "",
                     "score": 0.0, "text": ""})
    return rows, dropped


def cap_rows(activities: list[dict], limit: int, notices: list[str]) -> list[dict]:
    """One row per provision (the first activity keeps it), then the best of each activity in turn up to `limit`."""
    seen: dict[str, dict] = {}
    queues = []
    for a in activities:
        queue = []
        for row in a["rows"]:
            key = row["article_id"] or f"gap:{a['key']}"
            if key in seen:
                seen[key].setdefault("also", []).append(a["label"])
                continue
            seen[key] = row = dict(row)
            queue.append(row)
        queues.append(queue)
    chosen, depth = [], 0
    while len(chosen) < limit and any(len(q) > depth for q in queues):
        level = sorted((q[depth] for q in queues if len(q) > depth), key=lambda r: -r["score"])
        chosen += level[:limit - len(chosen)]
        depth += 1
    left = sum(len(q) for q in queues) - len(chosen)
    if left > 0:
        notices.append(f"{left} further rows were left out to keep the report readable (at most {limit}); "
                       "state.json in the report folder lists them")
    order = {id(r): (i, j) for i, q in enumerate(queues) for j, r in enumerate(q)}
    return sorted(chosen, key=lambda r: order[id(r)])


SEVERITY_ORDER = {s: i for i, s in enumerate(SEVERITIES)}
