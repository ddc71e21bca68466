"""Citation verification, shared by answers, friction rows, ballot comments and gap judgements.

A citation is shown only after two checks:
1. it exists: the provision it names is in the store (exact address, current version);
2. it supports the claim: the claim's content is found in the provision's text. Same-language
   claims are checked lexically (character bigrams for Japanese, content words for English);
   a claim in another language than its provision needs a `judge` (embedding similarity or an
   LLM yes/no scored from log-probabilities) and fails closed without one.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Callable, Iterable

from ruleassist.citations import parse_citations
from ruleassist.errors import CitationNotFound
from ruleassist.records import Citation, Provision
from ruleassist.store import Store

CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff]")
# Words that carry no content in a claim; a claim made only of these supports nothing.
EN_STOP = set("""a an the of to in on for and or by with from as at is are be been being that this these those it its
which who whom shall must may can should not no any all each such than then there their they them he she we you
under within without into onto about above below between per where when while if unless also only other""".split())
JA_STOP = set("こと もの ため その これ それ ところ により による において について 及び 又は 並びに 若しくは".split())

Judge = Callable[[str, Provision], float]     # (claim, provision) -> support score in [0, 1]


@dataclass(frozen=True)
class Check:
    ok: bool
    score: float
    method: str            # "lexical" / "judge" / "missing" / "no-judge"
    reason: str = ""


def _norm(text: str) -> str:
    return unicodedata.normalize("NFKC", text).lower()


def is_japanese(text: str) -> bool:
    chars = [c for c in text if not c.isspace()]
    return bool(chars) and sum(bool(CJK.match(c)) for c in chars) / len(chars) > 0.2


def content_units(text: str) -> set[str]:
    """Character bigrams of the Japanese runs, content words of the Latin runs."""
    text = _norm(text)
    units: set[str] = set()
    for run in re.findall(r"[\u3040-\u30ff\u3400-\u9fff]+", text):
        for w in JA_STOP:
            run = run.replace(w, " ")
        for piece in run.split():
            units |= {piece[i:i + 2] for i in range(len(piece) - 1)} if len(piece) > 1 else set()
    units |= {w for w in re.findall(r"[a-z0-9][a-z0-9\-]+", text) if w not in EN_STOP and len(w) > 2}
    return units


def lexical_support(claim: str, evidence: str) -> float:
    """Share of the claim's content units that the evidence contains."""
    units = content_units(claim)
    if not units:
        return 0.0
    return len(units & content_units(evidence)) / len(units)


def supports(claim: str, provision: Provision, threshold: float = 0.5, judge: Judge | None = None) -> Check:
    """Does `provision` say what `claim` says? Cross-language claims need a judge."""
    if is_japanese(claim) == is_japanese(provision.text):
        score = lexical_support(claim, f"{provision.caption} {provision.text}")
        if score >= threshold or judge is None:
            return Check(score >= threshold, score, "lexical",
                         "" if score >= threshold else f"only {score:.0%} of the claim is in {provision.citation}")
    if judge is None:
        return Check(False, 0.0, "no-judge", f"{provision.citation} is in another language and no judge is set")
    score = judge(claim, provision)
    return Check(score >= threshold, score, "judge",
                 "" if score >= threshold else f"the judge found no support in {provision.citation}")


def resolve_exact(store: Store, citation: Citation) -> Provision | None:
    try:
        return store.resolve(citation)
    except CitationNotFound:
        return None


def verify_citation_text(store: Store, text: str) -> Provision | None:
    """The provision a written citation ('道路交通法第75条の12') names, or None if it does not exist."""
    jp, eu = store.known_names()
    found = parse_citations(text, jp_names=jp, eu_short_names=eu)
    return resolve_exact(store, found[0]) if found else None


def verify_claim(store: Store, claim: str, provision_ids: Iterable[str], threshold: float = 0.5,
                 judge: Judge | None = None) -> tuple[list[Provision], list[str]]:
    """The cited provisions that exist and support the claim, and a reason for each one dropped."""
    kept, dropped = [], []
    for pid in provision_ids:
        provision = store.get_by_id(pid)
        if provision is None:
            dropped.append(f"{pid}: no such provision in the store")
            continue
        check = supports(claim, provision, threshold, judge)
        if check.ok:
            kept.append(provision)
        else:
            dropped.append(check.reason)
    return kept, dropped
