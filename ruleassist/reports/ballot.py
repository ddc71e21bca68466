"""Technical ballot comments on a standard draft, grounded in Japanese law and position papers.

    sheet = ballot_comments(ws, Path("iso-cd-39712-1.pdf"), mb="JP")     # editorial + technical, numbered
    issues = technical_comments(ws, draft)                               # technical only

For each sentence of normative text (notes, examples and informative annexes left out):
1. signal: does the sentence waive, relax or bypass a duty ("need not", "is not required",
   "without the consent of", "without ... permission", "automatically resume", "at any time")?
   The small CPU model cannot tell a conflict from an unrelated pair (measured: P(yes) 0.25 for
   both), so this deterministic signal decides where a comment may stand;
2. retrieve: Japanese BM25 on the glossary terms of the sentence, its clause title and the
   draft's scope (an English draft has no Japanese words), fused with dense retrieval on the
   English sentence when the index's embedder is multilingual; position papers are searched too;
3. decide: keep a provision only when an obligation or prohibition sentence in it (しなければ
   ならない, してはならない, 得ないで ...) holds the duty the draft waives; at most three per comment;
4. verify: the comment's claim about each provision (its gist) must be supported by it, checked
   by `verify.supports` with a cross-language judge (glossary concepts, plus embedding
   similarity when an embedder is given); an unsupported provision is dropped, and a comment
   left with none is dropped.
"""
from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from ruleassist.citations import parse_citations, render
from ruleassist.drafts import Clause, Draft, Sentence, read_draft
from ruleassist.records import Provision
from ruleassist.reports.ballot_text import (
    LlmGists,
    comment_text,
    proposed_change,
    rule_gist,
)
from ruleassist.reports.editorial import check_draft, normative_sentences
from ruleassist.reports.glossary import (
    concept_support,
    duty_concepts,
    japanese_terms,
    primary_terms,
)
from ruleassist.reports.template import (
    Comment,
    CommentSheet,
    number_comments,
    project_of,
)
from ruleassist.verify import Judge, supports

log = logging.getLogger(__name__)
Progress = Callable[[float, str], None]

# What a sentence waives, and the words that follow it name the duty.
RELAX = (
    (r"\bneeds? not\b|\bdoes not need to\b|\bdo not need to\b|\bno \w+ needs? to\b", "waives"),
    (r"\b(?:is|are|be) not (?:required|obliged)\b|\bno obligation\b|\bnot be required\b", "waives"),
    ((r"\bwithout (?:the |any |prior |further |an? )*(?:consent|permission|authori[sz]ation|approval|licen[cs]e|"
      r"notif\w*|notice|report\w*|registration|permit|certifi\w*|inspection|agreement|informing|obtaining)\b"),
     "bypasses"),
    (r"\b(?:resume|restart|continue)\w* (?:\w+ ){0,4}automatically\b|\bautomatically (?:resume|restart|continue)\w*",
     "automates"),
    (r"\bexempt(?:ed)? from\b|\bregardless of\b|\bdispense\w* with\b", "waives"),
)
RELAX_RX = [(re.compile(p, re.IGNORECASE), what) for p, what in RELAX]
OBLIGATION = re.compile(r"なければならない|てはならない|得ないで|受けないで|ことができない|禁止|義務")
DEFAULT_KINDS = ("statute", "cabinet_order", "position_paper")


@dataclass(frozen=True)
class Grounds:
    """One provision a technical comment cites, with the checks that let it stand."""
    provision: Provision
    citation: str        # pinpoint, Arabic numerals: 道路交通法第75条の23第1項
    gist: str            # one English sentence on what it requires
    duty: float          # share of the waived duty's terms found in its obligation sentences
    support: float = 0.0


@dataclass(frozen=True)
class Signal:
    sentence: Sentence
    what: str            # waives / bypasses / automates
    phrase: str          # the words that carry it
    duty_terms: tuple[str, ...]      # Japanese words of the duty waived (教育, 報告, 同意 ...)
    duty_labels: tuple[str, ...]     # the same duties in English ("training", "reporting" ...)
    duties: tuple[tuple[str, ...], ...] = ()   # the Japanese words, one tuple per duty
    focus: tuple[str, ...] = ()      # primary Japanese words of the activity and the duty (the words around it)


# -- 1. signals -------------------------------------------------------------------------------------


def find_signals(sentence: Sentence) -> list[Signal]:
    """Where the sentence waives or bypasses a duty, and which duty (a signal naming none is dropped)."""
    out = []
    for rx, what in RELAX_RX:
        for m in rx.finditer(sentence.text):
            # The duty is named right after the signal, before the next clause of the sentence.
            tail = re.split(r"[;,](?= and\b| or\b| but\b)|;", sentence.text[m.start():])[0][:120]
            duties = duty_concepts(tail) or duty_concepts(sentence.text)
            if duties:
                terms = tuple(dict.fromkeys(t for _, ts in duties for t in ts))
                before = _activity(sentence.text[:m.start()])
                focus = tuple(dict.fromkeys(primary_terms(before) + primary_terms(tail)))
                out.append(Signal(sentence, what, m[0], terms, tuple(label for label, _ in duties),
                                  tuple(ts for _, ts in duties), focus))
    return out


def _activity(text: str) -> str:
    """What the sentence lets someone do: the words after its last modal verb (else the last 8)."""
    modals = list(re.finditer(r"\b(?:shall|may|must|should|can|needs?)\b", text))
    return text[modals[-1].end():] if modals else " ".join(text.split()[-8:])


# -- 2. retrieval -----------------------------------------------------------------------------------


def draft_context(draft: Draft) -> list[str]:
    """Glossary terms of the title and scope: who and what the whole draft is about."""
    scope = next((c for c in draft.clauses if c.label == "1"), None)
    text = draft.title + " " + (" ".join(s.text for s in scope.sentences()[:2]) if scope else "")
    return japanese_terms(text)


def retrieve(index, signal: Signal, clause: Clause, context: list[str], k: int = 20,
             kinds: tuple[str, ...] = DEFAULT_KINDS, dense: bool = True) -> list[Provision]:
    """Candidate provisions: glossary BM25 queries fused with cross-lingual dense retrieval on the
    English sentence; scored later by `relevance`, so the pool may be generous."""
    sentence = signal.sentence
    own = list(dict.fromkeys(japanese_terms(sentence.text) + japanese_terms(clause.title)))
    channels = []
    # BM25 rewards a few precise words over many synonyms: the words around the duty first,
    # then the sentence's words alone and with the draft's context.
    for words in (list(signal.focus), signal.focus + tuple(context[:3]), own, own + context):
        if words:
            channels.append((" ".join(dict.fromkeys(words)), ("bm25",)))
    if dense:
        channels.append((sentence.text, ("dense",)))
    ranked: dict[str, tuple[float, Provision]] = {}
    for text, retrievers in channels:
        for rank, hit in enumerate(index.search(text, k=k, jurisdiction="JP", kinds=list(kinds),
                                                retrievers=retrievers), start=1):
            score = ranked.get(hit.provision.id, (0.0, hit.provision))[0] + 1.0 / (10 + rank)
            ranked[hit.provision.id] = (score, hit.provision)
    return [p for _, p in sorted(ranked.values(), key=lambda x: -x[0]) if imposes_duties(p)]


def imposes_duties(p: Provision) -> bool:
    """Definitions and penal provisions name every duty but impose none: a comment cites the duty."""
    return (not p.suppl and "定義" not in p.caption and "罰則" not in p.caption
            and "に処する" not in p.text[:400])


# -- 3. decide --------------------------------------------------------------------------------------


def obligation_sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=。)|\n", text) if OBLIGATION.search(s)]


def duty_score(duties: tuple[tuple[str, ...], ...], provision: Provision) -> float:
    """Share of the waived duties that stand in the provision's obligation sentences (or its caption)."""
    text = " ".join(obligation_sentences(provision.text)) + provision.caption
    if not duties or not text:
        return 0.0
    # The usual word for a duty counts fully, a near synonym half (許可 for "authorization", 認可 less).
    return sum(1.0 if terms[0] in text else 0.5 if any(t in text for t in terms) else 0.0
               for terms in duties) / len(duties)


def relevance(signal: Signal, provision: Provision, context: list[str]) -> float:
    """Duty held (x2) + the sentence's concepts in the text + how well the caption fits + context."""
    text = f"{provision.caption} {provision.text}"
    topic = concept_support(signal.sentence.text, text)
    caption = sum(t in provision.caption for t in signal.focus) / len(signal.focus) if signal.focus else 0.0
    ctx = sum(t in text for t in context) / len(context) if context else 0.0
    # A caption about more than the sentence (外国にある第三者への提供 for a sentence on sharing at
    # home) marks a special case of the rule; the general rule fits better.
    return 2.0 * duty_score(signal.duties, provision) + topic + caption + caption_fit(signal, provision) + 0.5 * ctx


def caption_fit(signal: Signal, provision: Provision) -> float:
    """How much of what the caption and the duty's own sentence are about the sentence also names:
    a rule about more (外国にある第三者への提供) is a special case of the rule the sentence meets."""
    duty = next((d for d in obligation_sentences(provision.text) if any(t in d for t in signal.duty_terms)), "")
    parts = [fit for text in (provision.caption, duty) if (fit := _concept_precision(signal, text)) is not None]
    if provision.caption:
        parts.append(_coverage(signal, provision.caption))
    return sum(parts) / len(parts) if parts else 0.5


def _coverage(signal: Signal, caption: str) -> float:
    """Share of the caption's characters that the sentence's Japanese words cover: a caption that
    adds a qualifier (一般貸切 ... の更新) is about a narrower rule than one that does not."""
    core = re.sub(r"[（）()の及び又は等に係る]", "", caption)
    covered = core
    for term in sorted(set(japanese_terms(signal.sentence.text)), key=len, reverse=True):
        covered = covered.replace(term, "")
    return 1.0 - len(covered) / len(core) if core else 0.0


def _concept_precision(signal: Signal, text: str) -> float | None:
    from ruleassist.reports.glossary import GLOSSARY
    named = [terms for _, terms in GLOSSARY if any(t in text for t in terms)]
    if not named:
        return None
    words = set(japanese_terms(signal.sentence.text))
    return sum(any(t in words for t in terms) for terms in named) / len(named)


def pinpoint(store, provision: Provision, duties: tuple[tuple[str, ...], ...], sentence: str) -> Provision:
    """The paragraph of an article that holds the duty on the sentence's subject (else the article)."""
    best, best_score = provision, 0.0
    for child in store.children(provision) if store is not None else []:
        score = duty_score(duties, child) + concept_support(sentence, child.text)
        if score > best_score:
            best, best_score = child, score
    return best


def arabic_citation(provision: Provision, jp_names: list[str]) -> str:
    found = parse_citations(provision.citation, jp_names=jp_names) if provision.jurisdiction == "JP" else []
    return render(found[0], arabic=True) if found else provision.citation


# -- 4. verification ------------------------------------------------------------------------------

def glossary_judge(claim: str, provision: Provision) -> float:
    """Cross-language support: the share of the claim's concepts whose Japanese terms the provision holds."""
    return concept_support(claim, f"{provision.caption} {provision.text}")


def embedding_judge(embedder, low: float = 0.15, high: float = 0.45) -> Judge:
    """Cosine similarity of claim and provision, mapped from [low, high] onto [0, 1]. EmbeddingGemma
    (bf16) on the five dev pairs: English sentence vs its Japanese article 0.31-0.55, vs the other
    four articles 0.22 on average (at most 0.38): alone too weak to decide, so it is averaged with
    the glossary judge."""
    def judge(claim: str, provision: Provision) -> float:
        q = embedder.encode_queries([claim])[0]
        d = embedder.encode_documents([f"{provision.caption} {provision.text}"[:1200]])[0]
        return max(0.0, min(1.0, (float(q @ d) - low) / (high - low)))
    return judge


def combined_judge(*judges: Judge) -> Judge:
    """Mean of several judges: a provision must satisfy the glossary and the embedder together."""
    def judge(claim: str, provision: Provision) -> float:
        return sum(j(claim, provision) for j in judges) / len(judges)
    return judge


ENGLISH_ONLY = ("minilm",)


def multilingual(index) -> bool:
    """Can the index's embedder compare an English sentence with Japanese law? (MiniLM cannot, and an
    index built without an embedder has no vectors to compare.)"""
    if getattr(index, "dense", None) is None:
        return False
    return not any(name in index.manifest.embedder_name for name in ENGLISH_ONLY)


def default_judge(embedder=None) -> Judge:
    return combined_judge(glossary_judge, embedding_judge(embedder)) if embedder is not None else glossary_judge


def verify_grounds(grounds: list[Grounds], sentence: str, judge: Judge, threshold: float = 0.5) -> list[Grounds]:
    """The grounds whose provision supports both the gist and the link to the draft's sentence."""
    kept = []
    for g in grounds:
        gist = supports(g.gist, g.provision, threshold, judge)
        link = supports(sentence, g.provision, 0.3, judge)
        if gist.ok and link.ok:
            kept.append(replace(g, support=round(min(gist.score, link.score), 3)))
        else:
            log.info("dropped %s: %s", g.citation, gist.reason or link.reason)
    return kept


# -- position papers --------------------------------------------------------------------------------


def load_papers(paths) -> list[Provision]:
    """The user's own position papers, read with the ordinary readers and kept in memory."""
    from ruleassist.readers import read_file
    out = []
    for path in paths or ():
        parsed = read_file(Path(path))
        out += [replace(p, kind="position_paper", jurisdiction="JP", title=parsed.document.title or Path(path).stem)
                for p in parsed.provisions if p.text.strip()]
    return out


def paper_hits(papers: list[Provision], signal: Signal, k: int = 3) -> list[Provision]:
    from ruleassist.verify import lexical_support
    scored = [(max(concept_support(signal.sentence.text, p.text), lexical_support(signal.sentence.text, p.text)), p)
              for p in papers]
    return [p for s, p in sorted(scored, key=lambda x: -x[0])[:k] if s >= 0.3]


# -- the comment ------------------------------------------------------------------------------------

def technical_comments(ws, draft: Draft, position_papers=(), progress: Progress | None = None,
                       use_llm: bool = True, dense: bool | None = None, judge: Judge | None = None,
                       kinds: tuple[str, ...] = DEFAULT_KINDS, mb: str = "JP",
                       llm_budget_s: float = 240.0) -> list[Comment]:
    """Technical comments (type te), each citing at most three verified provisions."""
    step = progress or (lambda fraction, message: None)
    gists = LlmGists(ws.backend, llm_budget_s) if use_llm else None
    index = ws.index()
    dense = multilingual(index) if dense is None else dense
    judge = judge or default_judge(index.embedder if dense else None)
    context, papers = draft_context(draft), load_papers(position_papers)
    jp_names = ws.store.known_names()[0]
    signals = [(c, sig) for c, s in normative_sentences(draft) for sig in find_signals(s)]
    per_clause: dict[str, tuple[Clause, list[Signal], dict[str, tuple[float, Provision, Signal]]]] = {}
    for i, (clause, signal) in enumerate(signals):
        step(0.1 + 0.5 * i / max(1, len(signals)), f"retrieving for {clause.label}, line {signal.sentence.line}")
        pool = retrieve(index, signal, clause, context, kinds=kinds, dense=dense) + paper_hits(papers, signal)
        _, sigs, found = per_clause.setdefault(clause.label, (clause, [], {}))
        sigs.append(signal)
        for rank, p in enumerate(pool):
            if duty_score(signal.duties, p) >= 0.34:
                # Retrieval order breaks ties between articles that hold the same duty.
                score = relevance(signal, p, context) + 0.2 / (1 + rank)
                if p.kind == "position_paper":
                    score += 1.0        # the user's own national position, given for this draft
                if score > found.get(p.id, (0.0,))[0]:
                    found[p.id] = (score, p, signal)
    comments = []
    for j, (clause, sigs, found) in enumerate(per_clause.values()):
        step(0.6 + 0.35 * j / max(1, len(per_clause)), f"drafting the comment on {clause.label}")
        if comment := _clause_comment(ws, clause, sigs, found, jp_names, judge, gists, mb):
            comments.append(comment)
    return comments


def _clause_comment(ws, clause, sigs, found, jp_names, judge, llm: LlmGists | None, mb) -> Comment | None:
    ranked = sorted(found.values(), key=lambda x: -x[0])
    if not ranked or ranked[0][0] < 1.2:
        return None
    top = [x for x in ranked if x[0] >= 0.9 * ranked[0][0]][:3]
    duties = tuple(dict.fromkeys(d for s in sigs for d in s.duties))
    used = sorted({id(s.sentence): s.sentence for _, _, s in top}.values(), key=lambda s: s.line)
    sentence = " ".join(s.text for s in used)
    grounds = []
    for i, (_, p, signal) in enumerate(top):
        exact = pinpoint(ws.store, p, duties, signal.sentence.text)
        cite, duty = arabic_citation(exact, jp_names), duty_score(signal.duties, p)
        # The LLM words the gist of the main provision only (each call is many seconds on a CPU);
        # a gist the provision does not support falls back to the one built from the glossary.
        held = tuple(dict.fromkeys(label for s in sigs for label, terms in zip(s.duty_labels, s.duties)
                                   if any(t in p.text or t in p.caption for t in terms)))
        gists = ([llm(exact)] if llm is not None and i == 0 else []) + [rule_gist(p, held or signal.duty_labels)]
        for gist in filter(None, gists):
            if kept := verify_grounds([Grounds(p, cite, gist, duty)], sentence, judge):
                grounds += kept
                break
    if not grounds:
        return None
    what = next(s.what for _, _, s in top)
    return Comment(line=used[0].line, clause=clause.label, paragraph="", type="te",
                   comment=comment_text(used, grounds, what),
                   proposed=proposed_change(used, [g.gist for g in grounds]), mb=mb, origin="technical",
                   rule=f"conflict:{what}", citations=tuple(g.citation for g in grounds))


def ballot_comments(ws, path: Path, mb: str = "JP", position_papers=(), progress: Progress | None = None,
                    use_llm: bool = True, technical: bool = True, dense: bool | None = None) -> CommentSheet:
    """Editorial and technical comments on the draft at `path`, numbered, in the template's order."""
    step = progress or (lambda fraction, message: None)
    step(0.0, f"reading {Path(path).name}")
    draft = read_draft(path)
    comments = [replace(c, mb=mb) for c in check_draft(draft)]
    step(0.1, f"{len(comments)} editorial findings")
    if technical:
        comments += technical_comments(ws, draft, position_papers, progress, use_llm=use_llm, dense=dense, mb=mb)
    step(1.0, "done")
    return number_comments(CommentSheet(draft.name, project_of(draft.name), comments=tuple(comments)))
