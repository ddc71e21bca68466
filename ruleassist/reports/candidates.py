"""Find the articles that govern an activity, and the relief routes for an article.

Two retrievers are fused per activity:
- term scoring over the articles of the activity's laws (statute, cabinet order, ordinance): the
  terms of art of a regime (特定自動運行, 自家用有償旅客運送) sit in the captions and the first
  sentences of exactly the articles that govern it;
- the search index (Japanese BM25, and dense when asked) queried with the activity's Japanese
  query expansions, restricted to the same laws.
Relief routes are searched in the pilot-zone laws (国家戦略特別区域法, 構造改革特別区域法 and
their orders): a special measure names the law, usually the article, that it relaxes. A
prohibition's own exception that points to the next article (「次条の規定により」) is a
route as well (a registration scheme).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from ruleassist.numerals import article_heading
from ruleassist.records import Provision
from ruleassist.store import Store

RELIEF_LAWS = ("国家戦略特別区域法", "構造改革特別区域法")
KIND_WEIGHT = {"statute": 1.0, "cabinet_order": 0.55, "ministerial_ordinance": 0.45}
RRF_K = 60


@dataclass(frozen=True)
class Candidate:
    provision: Provision        # article level
    score: float                # 0..1 within the activity
    via: str                    # "terms", "index" or "terms+index"


@dataclass(frozen=True)
class Relief:
    provision: Provision
    text: str                   # the sentence that names the relaxed law, shortened
    kind: str                   # "special zone" / "registration or permission route"


class ArticleCache:
    """Article-level provisions of current documents, read once per report."""

    def __init__(self, store: Store):
        self.store = store
        self._docs = {d["doc_id"]: d for d in store.documents() if d["jurisdiction"] == "JP"}
        self._articles: dict[str, list[Provision]] = {}

    def doc_ids(self, laws: tuple[str, ...]) -> list[str]:
        """Current documents whose title is one of `laws` or begins with it (施行令, 施行規則)."""
        return [d for d, row in self._docs.items() if any(row["title"].startswith(law) for law in laws)]

    def articles(self, doc_id: str) -> list[Provision]:
        if doc_id not in self._articles:
            self._articles[doc_id] = [p for p in self.store.provisions(doc_id, levels=("article",))
                                      if not p.suppl and p.text.strip() and not p.text.strip().startswith("削除")]
        return self._articles[doc_id]

    def document(self, doc_id: str) -> dict | None:
        return self._docs.get(doc_id)

    def article_of(self, p: Provision) -> Provision | None:
        """The article holding a provision (a hit may be a paragraph of a long article)."""
        if p.level == "article":
            return p
        return self.store.get(p.doc_id, p.address.split("/")[0], p.version)


def _first_paragraph(text: str) -> str:
    return re.split(r"\n[０-９0-9]+\u3000", text, maxsplit=1)[0]


def term_scores(cache: ArticleCache, doc_ids: list[str], terms: tuple[tuple[str, float], ...]) -> dict[str, tuple[Provision, float]]:
    """Weighted term matches: a term in the caption counts most, in the first paragraph more than later."""
    out = {}
    for doc_id in doc_ids:
        for p in cache.articles(doc_id):
            first = _first_paragraph(p.text)
            score = 0.0
            for term, weight in terms:
                if term in p.caption:
                    score += 3 * weight
                if term in first:
                    score += weight * min(first.count(term), 3) / 3 + weight
                elif term in p.text:
                    score += 0.5 * weight
            if score > 0:
                out[p.id] = (p, score * KIND_WEIGHT.get(p.kind, 0.5))
    return out


def index_scores(index, cache: ArticleCache, queries: tuple[str, ...], doc_ids: list[str], retrievers: tuple[str, ...],
                 k: int = 15) -> dict[str, tuple[Provision, float]]:
    """Reciprocal-rank fusion over the activity's queries, restricted to its laws."""
    known = set(getattr(index.manifest, "documents", {}) or doc_ids)
    wanted = [d for d in doc_ids if d in known]
    if not wanted:
        return {}
    out: dict[str, tuple[Provision, float]] = {}
    for query in queries:
        for rank, hit in enumerate(index.search(query, k=k, jurisdiction="JP", doc_ids=wanted, retrievers=retrievers), 1):
            article = cache.article_of(hit.provision)
            if article is None or article.suppl:
                continue
            prev = out.get(article.id, (article, 0.0))[1]
            out[article.id] = (article, prev + KIND_WEIGHT.get(article.kind, 0.5) / (RRF_K + rank))
    return out


def _normalised(scores: dict[str, tuple[Provision, float]]) -> dict[str, tuple[Provision, float]]:
    top = max((s for _, s in scores.values()), default=0.0)
    return {i: (p, s / top) for i, (p, s) in scores.items()} if top > 0 else {}


def find_candidates(cache: ArticleCache, index, activity, retrievers: tuple[str, ...], limit: int = 30) -> list[Candidate]:
    """The articles most likely to govern `activity`, best first (terms weigh 0.6, the index 0.4)."""
    doc_ids = cache.doc_ids(activity.laws)
    by_terms = _normalised(term_scores(cache, doc_ids, activity.terms))
    by_index = _normalised(index_scores(index, cache, activity.queries, doc_ids, retrievers)) if index else {}
    merged = []
    for pid in set(by_terms) | set(by_index):
        p = (by_terms.get(pid) or by_index.get(pid))[0]
        t, x = by_terms.get(pid, (p, 0.0))[1], by_index.get(pid, (p, 0.0))[1]
        score = 0.6 * t + 0.4 * x if index else t
        if any(a in p.caption or a in p.text[:80] for a in activity.avoid):
            continue
        via = "+".join(name for name, v in (("terms", t), ("index", x)) if v > 0)
        merged.append(Candidate(p, score, via))
    merged.sort(key=lambda c: (-c.score, c.provision.id))
    return merged[:limit]


PLAN_LAWS = 2           # a plan outside the taxonomy is searched in the laws its best hits come from
PLAN_TERMS = 8
PLAN_OVERLAP = 0.15     # share of a plan sentence's content a hit must hold to count (chit-chat finds no law)


def plan_activity(plan, cache: ArticleCache, index, retrievers: tuple[str, ...]):
    """An ad-hoc activity for a plan the taxonomy does not cover: the plan's own sentences (Japanese terms
    for an English plan) as queries, its longest content words as terms, and the laws that the best
    index hits for the whole plan belong to. None when the index finds no Japanese law at all."""
    from ruleassist.index.tokenize import tokens
    from ruleassist.reports.activities import Activity
    from ruleassist.reports.glossary import japanese_terms
    from ruleassist.verify import lexical_support

    text = plan.analysed_text
    queries = tuple(japanese_terms(text)) if plan.lang == "en" else tuple(
        s for s in re.split(r"(?<=[。！？\n])", text) if len(s.strip()) >= 8)[:4] or (text[:300],)
    if index is None or not queries:
        return None
    laws: dict[str, float] = {}
    for query in queries:
        for rank, hit in enumerate(index.search(query, k=20, jurisdiction="JP", retrievers=retrievers), 1):
            doc = cache.document(hit.provision.doc_id)
            if doc is not None and not hit.provision.suppl and lexical_support(query, hit.provision.text) >= PLAN_OVERLAP:
                law = base_law(doc["title"])
                laws[law] = laws.get(law, 0.0) + 1 / (RRF_K + rank)
    if not laws:
        return None
    words = [t for t in dict.fromkeys(tokens(" ".join(queries))) if len(t) >= 2 and not t.isascii()]
    terms = tuple((w, 1.0) for w in sorted(words, key=len, reverse=True)[:PLAN_TERMS])
    chosen = tuple(sorted(laws, key=laws.get, reverse=True)[:PLAN_LAWS])
    return Activity("plan", "計画全体（類型にない活動：計画文による検索）", "The plan as a whole (no catalogued activity: "
                    "searched with the plan's own words)", (), queries, terms, chosen, max_rows=5)


def base_law(title: str) -> str:
    """The statute a cabinet order or ordinance belongs to: 道路交通法施行規則 -> 道路交通法."""
    return re.sub(r"(?:施行令|施行規則)$", "", title)


# ------------------------------------------------------------------------------------------ relief

def _flat(text: str) -> str:
    """Text without its （…） asides: 道路運送法（昭和二十六年法律第百八十三号）第七十八条 -> 道路運送法第七十八条."""
    previous = None
    text = " ".join(text.split())
    while previous != text:
        previous, text = text, re.sub(r"（[^（）]*）", "", text)
    return text


def names_law(text: str, title: str) -> bool:
    """Does `text` name the law `title` itself (not a longer law whose name contains it)?"""
    for m in re.finditer(re.escape(title), text):
        before, after = text[max(0, m.start() - 1):m.start()], text[m.end():m.end() + 30]
        if before and re.match(r"[一-龥ァ-ヶ]", before):
            continue        # 〜医師法 inside another name
        if re.match(r"[^、。（]*?(?:に関する法律|特例等に関する法律|特別措置法)", after) and not after.startswith("（"):
            continue        # 医師法第十七条等の特例等に関する法律
        return True
    return False


def _sentence_naming(text: str, name: str, limit: int = 140) -> str:
    flat = _flat(text)
    for sentence in re.findall(r"[^。]+。?", flat):
        if name in sentence:
            return sentence if len(sentence) <= limit else sentence[:limit - 1] + "…"
    return ""


SPECIAL_MEASURE = re.compile(r"みな[すし]|特例|適用しない|読み替え|かかわらず")


def special_zone_relief(cache: ArticleCache, p: Provision, activity_terms: tuple[str, ...]) -> Relief | None:
    """The special-zone sentence that names `p`'s law (best: `p`'s article, in the words of a special measure)."""
    pinpoint = p.title + article_heading(p.address.split("/")[0][1:]) if p.address.startswith("a") else ""
    best, best_score = None, 0.0
    for doc_id in cache.doc_ids(RELIEF_LAWS):
        for r in cache.articles(doc_id):
            if not names_law(r.text, p.title):
                continue
            for sentence in _sentences(r.text):
                if p.title not in sentence:
                    continue
                score = (1.0 + 3.0 * bool(pinpoint and pinpoint in sentence) + bool(SPECIAL_MEASURE.search(sentence))
                         + min(1.0, 0.5 * sum(t in sentence for t in activity_terms)) - (len(sentence) > 300))
                if score > best_score:
                    best, best_score = (r, sentence), score
    if best is None or best_score < 2.5:      # the article itself, or the law in a special measure on the activity
        return None
    r, sentence = best
    return Relief(r, sentence if len(sentence) <= 160 else sentence[:159] + "…", "special zone")


def _sentences(text: str) -> list[str]:
    """Sentences without asides; a line break ends one too (items in Markdown sources carry no 。)."""
    return [s.strip() for line in text.splitlines() for s in re.findall(r"[^。]+。?", _flat(line)) if s.strip()]


def next_article_relief(cache: ArticleCache, p: Provision, exception: str) -> Relief | None:
    """A prohibition excepting what is done 「次条の規定により」 (registration, permission): the next article."""
    if "次条" not in p.text or not re.search(r"登録|許可|認可|承認", exception):
        return None
    m = re.fullmatch(r"a(\d+)((?:-\d+)*)", p.address.split("/")[0])
    if not m:
        return None
    parts = [int(m.group(1))] + [int(x) for x in m.group(2).split("-") if x]
    parts[-1] += 1
    nxt = cache.store.get(p.doc_id, "a" + "-".join(map(str, parts)), p.version)
    if nxt is None or not re.search(r"登録|許可|認可|承認", nxt.text[:200]):
        return None
    first = re.findall(r"[^。]+。?", re.sub(r"（[^（）]*）", "", nxt.text))[0]
    return Relief(nxt, first[:140], "registration or permission route")
