"""Compare one EU obligation with Japanese law: covered / partial / gap / conflict, with citations.

    checker = GapChecker(store, index, backend)
    result = checker.compare(obligation)        # GapResult: status, Japanese citations, why (ja/en)

1. Retrieval across languages: the English obligation goes to the index's dense retriever,
   and its glossary concepts (gap_terms.py) become a Japanese BM25 query, both limited to JP.
2. Deterministic gate per retrieved Japanese article: it must impose a duty on a business
   (not on a minister), in the same action family (report / keep records / verify / pay …),
   about the same subject matter (or in the same kind of report), and within the EU duty's
   scope (imported goods, batteries …). Nothing passes: **gap**, decided without the LLM.
3. The best passing provision is verified like any citation (verify.supports with an LLM
   judge, since the claim is English and the provision Japanese): it exists in the store and
   the model answers "yes" to a narrow question about the part it covers.
4. Status: no verified citation → gap; verified, nothing missing and the model agrees it is the
   same duty → covered; a verified prohibition of the duty → conflict; otherwise partial, with
   what is missing (actors, content, timing, assurance, thresholds) read off the glossary.
"""
from __future__ import annotations

import re
import time
from dataclasses import asdict, dataclass, field, replace

from ruleassist.judge import provision_block, yes_probability
from ruleassist.records import Hit, Provision
from ruleassist.reports import gap_terms as T
from ruleassist.reports.gap_explain import explain, missing_aspects
from ruleassist.reports.gap_terms import ActSubject, act_subject, subject_text_of  # noqa: F401 (re-exported)
from ruleassist.reports.obligations import Obligation
from ruleassist.store import Store
from ruleassist.verify import supports

STATUSES = ("covered", "partial", "gap", "conflict", "not compared")
METHOD = "gaps/v5"          # bump when the comparison changes: cached results are then redone
SUPPORT_THRESHOLD = 0.65    # P(yes) a citation needs to be shown (the small model leans to "yes")
SAME_DUTY_THRESHOLD = 0.75  # P(yes) that it is the same duty, for "covered"
CANDIDATES = 3              # passing provisions the model is asked about, best first
EXCERPT = 450               # characters of a Japanese provision put before the model


@dataclass
class GapResult:
    act_id: str
    act_title: str
    heading: str
    citation: str               # EU pinpoint citation
    addressee: str
    group: str
    obligation: str
    dates: str
    key: str
    status: str
    jp_citations: list[dict] = field(default_factory=list)   # {citation, id, text, support}
    missing: list[str] = field(default_factory=list)
    explanation_ja: str = ""
    explanation_en: str = ""
    related: list[dict] = field(default_factory=list)        # looked at, not equivalent (not a claim)
    notices: list[str] = field(default_factory=list)
    eu_text: str = ""
    seconds: float = 0.0
    llm_calls: int = 0

    def to_dict(self) -> dict:
        return asdict(self)


def base_result(o: Obligation, status: str) -> GapResult:
    return GapResult(act_id=o.act_id, act_title=o.act_title, heading=o.heading, citation=o.citation,
                     addressee=", ".join(o.addressee) + (" (inferred)" if o.inferred_addressee and o.addressee else ""),
                     group=o.group, obligation=o.text, dates="; ".join(o.dates), key=o.key, status=status,
                     eu_text=o.context[:4000])


def enforce_rules(result: GapResult) -> GapResult:
    """A judgement without a verified Japanese citation can only be a gap."""
    if result.status in ("covered", "partial", "conflict") and not result.jp_citations:
        return replace(result, status="gap", missing=[])
    if result.status == "gap" and result.jp_citations:
        return replace(result, related=result.related + result.jp_citations, jp_citations=[])
    return result


@dataclass
class Candidate:
    provision: Provision
    matched: set[str]
    duties: list[T.JapaneseDuty]
    score: float
    reason: str = ""            # why it does not pass, for the "related" list


class GapChecker:
    def __init__(self, store: Store, index, backend, k_dense: int = 10, k_bm25: int = 15):
        self.store, self.index, self.backend = store, index, backend
        self.k_dense, self.k_bm25 = k_dense, k_bm25
        self._act_scope: tuple[str, ...] = ()
        self.calls = 0                  # model calls of the current comparison
        self._domains: dict[str, str] = {}

    # ------------------------------------------------------------------ retrieval

    def retrieve(self, text: str, concepts: dict[str, int]) -> list[Hit]:
        """Japanese article-level provisions for an English obligation (dense + glossary BM25)."""
        query_en = " ".join(text.split())[:600]
        hits: dict[str, Hit] = {}
        for h in self.index.search(query_en, k=self.k_dense, jurisdiction="JP", retrievers=("dense",)):
            hits.setdefault(h.provision.id, h)
        ordered = sorted(concepts, key=concepts.get)
        core = [c for c in ordered if T.BY_ID[c].role in ("action", "object", "vehicle", "scope")] + list(self._act_scope)
        # All the obligation's concepts, then only what the duty is (action, subject, scope): the
        # first query favours the best overall match, the second keeps a levy on importers in view
        # when "greenhouse gas" alone would fill the list with reporting articles.
        queries = [T.query_terms(ordered), T.query_terms(core)]
        for terms in [q for i, q in enumerate(queries) if q and q not in queries[:i]]:
            for h in self.index.search(" ".join(terms), k=self.k_bm25, jurisdiction="JP", retrievers=("bm25",)):
                hits.setdefault(h.provision.id, h)
        return [h for h in hits.values() if h.provision.kind not in ("guideline", "other")]

    # ------------------------------------------------------------------ the gate

    def assess(self, provision: Provision, concepts: dict[str, int], action: str | None) -> Candidate:
        """Which of the obligation's concepts the provision shares, and why it fails the gate (if it does)."""
        text = f"{provision.caption}{provision.text}"
        matched = {cid for cid in concepts if T.in_japanese(cid, text)}
        cand = Candidate(provision, matched, T.private_duties(provision.text), 0.0)
        cand.reason = self._gate(cand, concepts, action)
        cand.score = _score(cand, concepts, action)
        return cand

    def _gate(self, cand: Candidate, concepts: dict[str, int], action: str | None) -> str:
        """'' when the provision imposes this kind of duty on businesses, else the reason it does not."""
        p, matched, duties = cand.provision, cand.matched, cand.duties
        want = lambda *roles: {c for c in concepts if T.BY_ID[c].role in roles}
        core = want("object", "vehicle")
        # The action and the subject matter must meet in one duty sentence (with its context): an
        # article that mentions emissions in one paragraph and a report in another is no match.
        spans = [f"{p.caption}{_span(p.text, d.sentence)}" for d in duties]
        joint = [sp for sp in spans if (not action or T.in_japanese(action, sp))
                 and (not core or any(T.in_japanese(c, sp) for c in core))]
        if not action:
            return "no recognisable action to compare"
        if not duties:
            return "imposes no duty on businesses"
        if action not in matched:
            return f"no duty to {T.BY_ID[action].label_en}"
        if not self._in_domain(p, concepts, action):
            return "a Japanese law on another field (its purpose names none of the subject matter)"
        if self._act_scope and not any(T.in_japanese(c, f"{p.caption}{p.text}") for c in self._act_scope):
            return "outside the act's scope: " + " or ".join(T.BY_ID[c].label_en for c in self._act_scope)
        if want("scope") - matched:
            return "outside the scope: " + ", ".join(T.BY_ID[c].label_en for c in sorted(want("scope") - matched))
        if core and not (matched & core):
            return "about other subject matter"
        if not (core | want("scope")):
            return "the obligation names no subject matter to compare"
        if not joint:
            return "its duties concern other things (the words match only elsewhere in the article)"
        return ""

    def _in_domain(self, p: Provision, concepts: dict[str, int], action: str | None) -> bool:
        """Is the Japanese law about the EU duty's field? Its title and purpose article (第一条, or its
        parent statute's for an order or ordinance) must name the subject matter or scope, or, for a
        reporting duty, a disclosure regime (開示): a registered inspection body's bookkeeping under the
        Civil Aeronautics Act covers nothing of a sustainability-reporting duty."""
        domain = self._domain_text(p.doc_id, p.title)
        wanted = [c for c in concepts if T.BY_ID[c].role in ("object", "vehicle", "scope")] + list(self._act_scope)
        return any(T.in_japanese(c, domain) for c in wanted) or (action == "inform" and "開示" in domain)

    def _domain_text(self, doc_id: str, title: str) -> str:
        if doc_id not in self._domains:
            parent = next((d["doc_id"] for d in self.store.documents() if d["jurisdiction"] == "JP"
                           and d["kind"] == "statute" and title.startswith(d["title"]) and d["doc_id"] != doc_id), None)
            purpose = [self.store.get(d, "a1") for d in (doc_id, parent) if d]
            self._domains[doc_id] = title + "".join(f"{q.caption}{q.text[:400]}" for q in purpose if q)
        return self._domains[doc_id]

    # ------------------------------------------------------------------ judging

    def judge(self, claim: str, provision: Provision) -> float:
        """P(yes) that the Japanese provision says what the English claim says (cross-language check)."""
        self.calls += 1
        question = f'Question: does the provision above impose this duty: "{claim}"? Answer yes or no.'
        return yes_probability(self.backend, question, provision_block(provision.citation, provision.text), "en")

    def compare(self, o: Obligation, subject: ActSubject | None = None) -> GapResult:
        """`subject`: what the whole act is about (act_subject); see ActSubject."""
        start = time.perf_counter()
        self.calls = 0
        result = self._compare(o, subject or ActSubject())
        result.seconds, result.llm_calls = round(time.perf_counter() - start, 2), self.calls
        return enforce_rules(result)

    def _compare(self, o: Obligation, subject: ActSubject) -> GapResult:
        text = o.text
        concepts = T.concepts_en(text)
        if not any(T.BY_ID[c].role in ("object", "vehicle") for c in concepts):
            for cid in subject.objects[:2]:
                concepts.setdefault(cid, len(text))     # after the sentence's own concepts
        self._act_scope = tuple(c for c in subject.scope if c not in concepts)
        duty_at = re.search(r"\b(?:shall|must|is required to|are required to)\b", text)
        action = T.primary_action(text, concepts, duty_at.end() if duty_at else 0)
        cands = sorted((self.assess(h.provision, concepts, action) for h in self.retrieve(text, concepts)),
                       key=lambda c: -c.score)
        passing = [c for c in cands if not c.reason][:CANDIDATES]
        result = base_result(o, "gap")
        subject_matter = {k for k in concepts if T.BY_ID[k].role in ("object", "scope")}
        result.related = [_ref(c.provision, reason=c.reason) for c in cands if c.reason and c.matched & subject_matter][:3]
        chosen = None
        for cand in passing:
            pinpoint = self._pinpoint(cand)
            claim = _claim(cand, concepts, action)
            check = supports(claim, _excerpt(pinpoint, cand), SUPPORT_THRESHOLD, judge=self.judge)
            if not check.ok:
                result.related.insert(0, _ref(pinpoint, reason=f"the model does not read it as this duty ({check.score:.2f})"))
                continue
            result.jp_citations.append(_ref(pinpoint, support=round(check.score, 3)))
            chosen = cand
            result.missing = missing_aspects(concepts, cand)
            result.status = self._status(o, cand, pinpoint, concepts, action, result.missing)
            break
        explain(result, concepts, action, chosen, self)
        return result

    def _status(self, o: Obligation, cand: Candidate, p: Provision, concepts, action, missing) -> str:
        if any(d.prohibition for d in cand.duties) and not o.is_prohibition:
            forbid = self.judge(f"businesses are forbidden to {T.BY_ID[action].label_en if action else 'do this'}", p)
            if forbid >= SAME_DUTY_THRESHOLD:
                return "conflict"
        if not missing:
            untraced = T.untraced_words(o.text, cand.matched)
            if untraced:
                missing.append(f"content: details the comparison could not trace ({', '.join(untraced[:6])})")
                return "partial"
            same = self.judge(f"exactly this EU obligation, for the same businesses and content: {o.text[:300]}", p)
            if same >= SAME_DUTY_THRESHOLD:
                return "covered"
        return "partial"

    def _pinpoint(self, cand: Candidate) -> Provision:
        """The paragraph (or item) of the article that holds the matching duty, else the article."""
        kids = [k for k in self.store.children(cand.provision) if k.level == "paragraph"]
        best, best_n = cand.provision, 0
        for k in kids:
            if T.private_duties(k.text):
                n = sum(T.in_japanese(c, k.text) for c in cand.matched)
                if n > best_n:
                    best, best_n = k, n
        return best if best_n >= max(1, len(cand.matched) - 1) else cand.provision


def _defines_matched_term(text: str, matched: set[str]) -> bool:
    """Does the provision define (「以下「有価証券報告書」という」) one of the matched Japanese terms?"""
    defined = {m["term"] for m in T.DEFINED.finditer(text)}
    subject_matter = [c for c in matched if T.BY_ID[c].role in ("object", "vehicle", "scope")]
    return any(term in defined for c in subject_matter for term in T.BY_ID[c].ja)


def _score(cand: Candidate, concepts: dict[str, int], action: str | None) -> float:
    """Rank passing provisions: shared concepts (inside the duty sentence count fully, elsewhere less),
    the article that defines the matched term, statutes before ordinances, duties before efforts."""
    weights = {"action": 2, "object": 3, "vehicle": 3, "scope": 3, "actor": 1, "detail": 1}
    in_duty = "".join(d.sentence for d in cand.duties)
    core = {c for c in concepts if T.BY_ID[c].role in ("object", "vehicle")}
    score = sum(weights.get(T.BY_ID[c].role, 0.5) * (1.0 if T.in_japanese(c, in_duty) else 0.4) for c in cand.matched)
    score += 1.5 * _defines_matched_term(cand.provision.text, cand.matched)
    score += {"statute": 1.0, "cabinet_order": 0.5}.get(cand.provision.kind, 0.0)
    score -= 2.0 * bool(cand.duties and all(d.effort for d in cand.duties))
    return score + 1.5 * max((_strength(d, action, core) for d in cand.duties), default=0.0)


def _strength(duty: T.JapaneseDuty, action: str | None, core: set[str]) -> float:
    """How squarely one sentence imposes the duty: action and subject in the sentence itself, and
    「しなければならない」 (a duty) rather than 「ものとする」 (a rule of procedure) or 「努める」 (effort)."""
    s = duty.sentence
    if not (action and T.in_japanese(action, s)) or (core and not any(T.in_japanese(c, s) for c in core)):
        return 0.0
    return 0.3 if duty.effort else 1.0 if "なければならない" in s else 0.5


def _span(text: str, sentence: str, before: int = 200, after: int = 250) -> str:
    """A duty sentence with what precedes it (what the duty is about: 「…を徴収する。…は、これを納付
    しなければならない。」) and what follows it (its numbered items)."""
    at = text.find(sentence)
    return sentence if at < 0 else text[max(0, at - before):at + len(sentence) + after]


def _excerpt(p: Provision, cand: Candidate) -> Provision:
    """The provision cut to its duty sentences that match most, so the prompt stays small."""
    if len(p.text) <= EXCERPT:
        return p
    duties = [d.sentence for d in T.private_duties(p.text)] or [p.text]
    ranked = sorted(duties, key=lambda s: -sum(T.in_japanese(c, s) for c in cand.matched))
    body = ranked[0]
    for extra in ranked[1:]:
        if len(body) + len(extra) > EXCERPT:
            break
        body += extra
    return replace(p, text=body[:EXCERPT])


def _claim(cand: Candidate, concepts: dict[str, int], action: str | None) -> str:
    """The narrow English statement checked against the provision: the part it would cover, with
    the Japanese words it matched in parentheses (the small model links the languages through them)."""
    parts = [c for c in concepts if c in cand.matched and T.BY_ID[c].role in ("object", "vehicle", "scope")]
    what = " and ".join(T.BY_ID[c].label_en for c in parts)
    verb = T.BY_ID[action].label_en if action else "comply with a duty"
    text = cand.provision.text
    words = [next(t for t in T.BY_ID[c].ja if t in text) for c in parts + ([action] if action in cand.matched else [])]
    return f"businesses must {verb}{' ' + what if what else ''}" + (f" ({'・'.join(words)})" if words else "")


def _ref(p: Provision, support: float | None = None, reason: str = "") -> dict:
    out = {"citation": p.citation, "id": p.id, "caption": p.caption, "text": p.text[:2000], "doc_id": p.doc_id}
    if support is not None:
        out["support"] = support
    if reason:
        out["reason"] = reason
    return out
