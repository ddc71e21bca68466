"""What a Japanese provision leaves out of an EU obligation, and the one-sentence explanations (ja/en).

The sentences are templates filled from the glossary concepts that matched and did not
match: deterministic, so every word of an explanation can be traced to the two texts (the
small local model is kept to yes/no judgements). Notices say when the corpus probably lacks
the document that would decide the question (an ordinance's disclosure forms, say).
"""
from __future__ import annotations

from ruleassist.reports import gap_terms as T
from ruleassist.reports.obligation_text import ADDRESSEE_JA

ASPECTS_JA = {"actors": "対象者", "content": "内容", "timing": "時期", "assurance": "保証", "thresholds": "規模要件",
              "binding force": "拘束力", "scope": "適用範囲"}


def missing_aspects(concepts: dict[str, int], cand) -> list[str]:
    """'aspect: what' for each part of the EU obligation the Japanese provision does not carry."""
    return [f"{aspect}: {en}" for aspect, en, _ in _missing(concepts, cand)]


def _missing(concepts: dict[str, int], cand) -> list[tuple[str, str, str]]:
    """(aspect, English, Japanese) for each part of the EU obligation the provision lacks."""
    out: list[tuple[str, str, str]] = []
    absent = [c for c in concepts if c not in cand.matched]
    by_role = lambda *roles: [T.BY_ID[c] for c in absent if T.BY_ID[c].role in roles]
    actors = by_role("actor")
    if actors:
        jp = cand.duties[0].subject if cand.duties else ""
        out.append(("actors", f"{', '.join(c.label_en for c in actors)} (Japanese duty is on {jp or 'others'})",
                    f"{'・'.join(c.label_ja for c in actors)}（日本法の義務者は{jp or '別の者'}）"))
    content = by_role("object", "detail", "vehicle")
    if content:
        out.append(("content", ", ".join(c.label_en for c in content), "・".join(c.label_ja for c in content)))
    timing = by_role("timing")
    if timing:
        out.append(("timing", ", ".join(c.label_en for c in timing), "・".join(c.label_ja for c in timing)))
    if "assurance" in absent or ("verify" in concepts and "verify" not in cand.matched):
        out.append(("assurance", "independent assurance or verification", "第三者による保証・検証"))
    text = cand.provision.text
    if T.THRESHOLD_JA.search(text) and "threshold" not in concepts:
        out.append(("thresholds", "the Japanese duty applies only above a size or quantity set by cabinet order",
                    "日本法の義務は政令で定める規模以上の者に限られる"))
    if cand.duties and all(d.effort for d in cand.duties):
        out.append(("binding force", "the Japanese provision is an effort obligation only", "努力義務にとどまる"))
    return out


def explain(result, concepts: dict[str, int], action: str | None, cand, checker) -> None:
    """Fill explanation_ja / explanation_en and the notices of a result (in place)."""
    act = T.BY_ID[action] if action else None
    objects = [T.BY_ID[c] for c in concepts if T.BY_ID[c].role in ("object", "vehicle")]
    actors = [T.BY_ID[c] for c in concepts if T.BY_ID[c].role == "actor"]
    named = result.addressee.split(" (")[0]       # "importers (inferred)" → "importers"
    actor_en = named or (actors[0].label_en if actors else "businesses")
    actor_ja = ADDRESSEE_JA.get(named) or "・".join(c.label_ja for c in actors) or "事業者"
    core_en = (act.label_en if act else "meet this obligation") + (f" ({', '.join(o.label_en for o in objects)})" if objects else "")
    core_ja = ("・".join(o.label_ja for o in objects) + "の" if objects else "") + (act.label_ja if act else "本義務の履行")
    if result.status == "gap" or cand is None:
        result.explanation_ja = f"コーパス中の日本法令に、{actor_ja}に{core_ja}を義務付ける規定は見当たらない。"
        result.explanation_en = f"No Japanese provision in the corpus requires {actor_en} to {core_en}."
        _absent_subject_notice(result, concepts, checker)
        return
    cite = result.jp_citations[0]["citation"]
    subject = cand.duties[0].subject if cand.duties else "事業者"
    matched = [T.BY_ID[c] for c in concepts if c in cand.matched and T.BY_ID[c].role in ("object", "vehicle")]
    what_ja = ("・".join(c.label_ja for c in matched) + "の" if matched else "") + (act.label_ja if act else "義務")
    what_en = (act.label_en if act else "comply") + (f" ({', '.join(c.label_en for c in matched)})" if matched else "")
    if result.status == "covered":
        result.explanation_ja = f"{cite}は、{subject}に{what_ja}を義務付けており、本義務と同等である。"
        result.explanation_en = f"{cite} requires {subject} to {what_en}, equivalent to this obligation."
    elif result.status == "conflict":
        result.explanation_ja = f"{cite}は、本義務が求める行為（{what_ja}）を{subject}に禁じており、抵触する。"
        result.explanation_en = f"{cite} forbids {subject} to {what_en}, which this obligation requires."
    else:
        gaps = _missing(concepts, cand)
        result.explanation_ja = (f"{cite}は、{subject}に{what_ja}を義務付けているが、"
                                 + "、".join(f"{ASPECTS_JA.get(a, a)}（{ja}）" for a, _, ja in gaps)
                                 + "の点で本義務に及ばない。" if gaps else f"{cite}は、{subject}に{what_ja}を義務付けている。")
        result.explanation_en = (f"{cite} requires {subject} to {what_en}, but falls short on "
                                 + "; ".join(f"{a} ({en})" for a, en, _ in gaps) + "." if gaps
                                 else f"{cite} requires {subject} to {what_en}.")
        _delegation_notice(result, cand, concepts, checker)


def _found_in_corpus(checker, terms: list[str]) -> bool:
    """Does any Japanese provision contain one of these words (BM25 over the index, JP only)?"""
    for term in terms:
        for h in checker.index.search(term, k=3, jurisdiction="JP", retrievers=("bm25",)):
            if term in h.provision.text:
                return True
    return False


def _delegation_notice(result, cand, concepts, checker) -> None:
    """Content missing from a statute that delegates its details: the ordinance or its forms may hold it."""
    m = T.DELEGATION_JA.search(cand.provision.text)
    content = [T.BY_ID[c] for c in concepts if c not in cand.matched and T.BY_ID[c].role == "object"]
    if not m or not content:
        return
    terms = [t for c in content for t in c.ja[:2]]
    if not _found_in_corpus(checker, terms):
        level = m["level"]
        result.notices.append(
            f"{result.jp_citations[0]['citation']} leaves the details to a {level} ({level}で定める事項); no Japanese "
            f"text in the corpus mentions {', '.join(c.label_en for c in content)}. The {level}'s forms or "
            f"attachments (e.g. 様式) that would say whether it is required are probably missing from the corpus: "
            f"add them before concluding. / 詳細は{level}（様式等）に委任されているが、コーパスに該当する記載が見当たらない。")


def _absent_subject_notice(result, concepts, checker) -> None:
    """A gap on a subject the Japanese corpus never mentions may be a gap in the corpus, not in the law."""
    subjects = [T.BY_ID[c] for c in concepts if T.BY_ID[c].role == "object"]
    missing = [c for c in subjects if not _found_in_corpus(checker, list(c.ja[:3]))]
    if missing:
        names = ", ".join(c.label_en for c in missing)
        result.notices.append(
            f"No Japanese text in the corpus mentions {names}: if a Japanese rule on it exists (a statute, "
            f"an order or guidance), it is not in the corpus, so this gap is relative to the corpus. / "
            f"コーパスに{'・'.join(c.label_ja for c in missing)}に関する日本の法令が含まれていない。")
