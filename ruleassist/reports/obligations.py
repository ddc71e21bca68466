"""Obligations of an EU act: the sentences that impose duties, each with its pinpoint citation.

    doc_id = resolve_act(store, "CBAM")                 # CELEX, short name, title or eu:… id
    obligations = extract_obligations(store, doc_id)     # or obligations_from(document, provisions)

The act is walked in document order at the finest level the store holds (article, paragraph,
point, annex). A provision's own text is its text minus its children's; a duty sentence stays
at the level that holds it, so a point that imposes a duty is cited as Article 35(2)(a). A
chapeau that imposes a duty and introduces a list ("The CBAM report shall include the
following information:") is carried down into each point that has no duty of its own, so each
element keeps its own pinpoint. Annexes and other long texts without stored children are
split on their own numbering ("1.", "(a)") to give pinpoints like "Annex VI, point 1(a)".

A sentence is a duty when it has a deontic verb ("shall", "must", "is required to", "shall
not", "may not") that is not one of the legal-technique uses of "shall" (scope, entry into
force, definitions, deeming, empowerment, comitology). The addressee is read from the
subject; "Member States shall ensure that companies …" is a duty on companies through
transposition. Duties on Member States, authorities and EU bodies are kept but flagged
`compare=False`: the gap comparison is about what businesses must do.
"""
from __future__ import annotations

import difflib
import hashlib
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from ruleassist.errors import QueryError
from ruleassist.records import Document, Provision
from ruleassist.reports.obligation_text import (
    ECONOMIC,
    EU_BODIES,
    POINT,
    SECTION,
    UNSPECIFIED,
    actors_in,
    application_dates,
    dates_in,
    duty_in,
    has_permission_only,
    sentences,
    subject_actors,
    virtual_units,
)
from ruleassist.store import Store

# Articles of pure legal technique: comitology and the delegation of powers bind EU institutions
# to procedure only, and are the same in every act.
EMPOWERS = re.compile(r"\b(?:is|are) empowered to\b|\bpower to adopt\b|\bmay adopt\b")
SKIP_CAPTIONS = re.compile(r"^(?:Exercise of the delegation|Committee procedure|Committee|Repeal)\b", re.IGNORECASE)


@dataclass(frozen=True)
class Obligation:
    act_id: str                 # "eu:32023R0956"
    act_title: str              # "Regulation (EU) 2023/956"
    provision_id: str           # store id of the provision holding the sentence
    heading: str                # "Article 35(2)(a)", "Annex VI, point 1(a)"
    text: str                   # the duty sentence (with its chapeau for list points)
    addressee: tuple[str, ...]  # ("importers", "indirect customs representatives")
    group: str                  # "economic operators" / "Member States" / "EU bodies" / "unspecified"
    modal: str                  # "shall", "shall ensure", "shall not", "must" …
    dates: tuple[str, ...] = ()         # effective dates the text gives ("from 1 January 2026")
    caption: str = ""                   # article title
    context: str = ""                   # the whole provision text (for side-by-side display)
    inferred_addressee: bool = False    # read from the article around it, not the sentence
    via_member_states: bool = False     # "Member States shall ensure that companies …"

    @property
    def citation(self) -> str:
        return f"{self.act_title}, {self.heading}"

    @property
    def compare(self) -> bool:
        """Only duties on businesses are compared with Japanese law."""
        return self.group == "economic operators"

    @property
    def key(self) -> str:
        """Identity of the obligation's wording: a re-run redoes only rows whose text changed."""
        norm = " ".join(unicodedata.normalize("NFKC", self.text).split()).lower()
        return hashlib.sha256(norm.encode("utf-8")).hexdigest()[:20]

    @property
    def is_prohibition(self) -> bool:
        return self.modal in ("shall not", "may not", "must not", "prohibited")


def resolve_act(store: Store, name: str) -> str:
    """The doc_id of an EU act named by CELEX, short name, title or doc id; QueryError with suggestions."""
    raw = name.strip()
    if not raw:
        raise QueryError("no act named; give a short name (CBAM), a CELEX number (32023R0956) or a file")
    eu_docs = {d["doc_id"]: d for d in store.documents() if d["jurisdiction"] == "EU"}
    candidates = [raw, raw.upper(), "eu:" + raw.upper().removeprefix("CELEX:").removeprefix("EU:")]
    for c in candidates:
        if c in eu_docs:
            return c
    aliases = {n.lower(): d for n, d in store.aliases().items() if d in eu_docs}
    titles = {d["title"].lower(): d["doc_id"] for d in eu_docs.values()}
    found = aliases.get(raw.lower()) or titles.get(raw.lower())
    if found:
        return found
    known = sorted({n for n, d in store.aliases().items() if d in eu_docs} | {d["title"] for d in eu_docs.values()})
    close = difflib.get_close_matches(raw, known, n=4, cutoff=0.5)
    close += [n for n in known if raw.lower() in n.lower() and n not in close][:4 - len(close)]
    if not eu_docs:
        raise QueryError(f"unknown act {raw!r}: the store {store.path} holds no EU acts; "
                         "ingest them first: ruleassist ingest corpora/eu")
    hint = f"did you mean {', '.join(close)}?" if close else f"known acts: {', '.join(known[:15])}"
    raise QueryError(f"unknown act {raw!r}; {hint} (or give a CELEX number such as 32023R0956, or a file path)")


def extract_obligations(store: Store, doc_id: str, version: str | None = None) -> list[Obligation]:
    """Every duty sentence of the act's current (or given) version, in document order."""
    doc = store.document(doc_id, version)
    if doc is None:
        raise QueryError(f"{doc_id} is not in the store {store.path}; run `ruleassist ingest` on its file")
    return obligations_from(doc, list(store.provisions(doc_id, doc.version)))


def obligations_from_file(path: Path) -> list[Obligation]:
    """Obligations of an act read straight from a file (EUR-Lex HTML/Formex, EU JSON, PDF …)."""
    from ruleassist.readers import read_file
    parsed = read_file(Path(path))
    return obligations_from(parsed.document, parsed.provisions)


def obligation_from_text(text: str, act_id: str = "", act_title: str = "", heading: str = "") -> Obligation:
    """An obligation as an analyst words it ("Importers submit a quarterly report …"), for one-off checks."""
    duty = duty_in(text)
    if duty is not None:
        actors, group, inferred, via = subject_actors(text, duty)
    else:
        found = actors_in(text)
        group = found[0][1] if found else ECONOMIC
        actors, inferred, via = tuple(a for a, g in found if g == group)[:3], not found, False
    return Obligation(act_id=act_id, act_title=act_title, provision_id=f"{act_id}/{heading}", heading=heading,
                      text=" ".join(text.split()), addressee=actors, group=group or ECONOMIC,
                      modal=duty.modal if duty else "shall", context=text, inferred_addressee=inferred,
                      via_member_states=via)


# ----------------------------------------------------------------------------------------- walking

@dataclass
class _Unit:
    """A piece of own text with its pinpoint, and the duty chapeau it completes (for list points)."""
    provision: Provision
    heading: str
    text: str
    chapeau: str = ""
    is_item: bool = False
    extra: list[str] = field(default_factory=list)


def _children(provisions: list[Provision]) -> dict[str, list[Provision]]:
    kids: dict[str, list[Provision]] = {}
    for p in provisions:
        if "/" in p.address:
            kids.setdefault(p.address.rsplit("/", 1)[0], []).append(p)
    return kids


def _own_text(p: Provision, kids: list[Provision]) -> tuple[str, str]:
    """(chapeau, tail): the parent's text before its first child and after its last one."""
    if not kids:
        return p.text, ""
    text = p.text
    first = text.find(kids[0].text.strip()[:60]) if kids[0].text.strip() else -1
    if first < 0:
        return "", ""          # children not found inside: the parent is only a container
    last_text = kids[-1].text.strip()
    end = text.find(last_text[-60:], first) if last_text else -1
    tail = text[end + len(last_text[-60:]):] if end >= 0 else ""
    return text[:first], tail


def _units(provisions: list[Provision]) -> list[_Unit]:
    kids = _children(provisions)
    by_address = {p.address: p for p in provisions}
    chapeaus: dict[str, str] = {}
    empowering: set[str] = set()
    out: list[_Unit] = []
    for p in provisions:
        if p.level == "recital" or not p.text.strip():
            continue
        parent = p.address.rsplit("/", 1)[0] if "/" in p.address else ""
        if parent in empowering:          # the content of implementing acts the Commission may adopt
            empowering.add(p.address)
            continue
        own_kids = kids.get(p.address, [])
        if own_kids:
            head, tail = _own_text(p, own_kids)
            if EMPOWERS.search(head.strip().splitlines()[-1] if head.strip() else ""):
                empowering.add(p.address)
            if _introduces_list(head):
                chapeaus[p.address] = head.strip()
            out.append(_Unit(p, p.heading, "" if _introduces_list(head) else head))
            if tail.strip():
                out.append(_Unit(p, p.heading, tail))
            continue
        chapeau = chapeaus.get(parent, "") if parent in by_address else ""
        if not chapeau and _has_inner_numbering(p):
            out += [_Unit(p, h, t, c, item) for h, t, c, item in virtual_units(p.heading, p.text)]
        else:
            out.append(_Unit(p, p.heading, p.text, chapeau, is_item=bool(chapeau)))
    return out


def _has_inner_numbering(p: Provision) -> bool:
    """An annex, or a long text without stored children whose lines carry their own numbering."""
    if len(p.text) < 400:
        return False
    if p.level in ("annex", "section"):
        return True
    labelled = [ln for ln in p.text.splitlines()[1:] if POINT.match(ln) or SECTION.match(ln)]
    return len(labelled) >= 2


def _introduces_list(text: str) -> bool:
    last = text.strip().splitlines()[-1] if text.strip() else ""
    return last.rstrip().endswith((":", "following")) and duty_in(last) is not None


def obligations_from(doc: Document, provisions: list[Provision]) -> list[Obligation]:
    """Duty sentences of one act (its provisions in document order)."""
    applies = application_dates(provisions)
    units = [u for u in _units(provisions) if not SKIP_CAPTIONS.search(_caption(u.provision, provisions))]
    found = [(unit, sentence, duty, subject_actors(sentence, duty)) for unit in units
             for sentence, duty in _duties(unit)]
    context = _article_context(found, _dominant_actor(provisions))
    out: list[Obligation] = []
    for unit, sentence, duty, (actors, group, inferred, via) in found:
        article = unit.provision.address.split("/")[0]
        if not actors:
            actors, group = _passive_addressee(sentence[:duty.start], article, context)
        dates = tuple(dict.fromkeys(dates_in(sentence) + applies.get(article, applies.get("*", []))))
        out.append(Obligation(
            act_id=doc.doc_id, act_title=doc.title, provision_id=unit.provision.id, heading=unit.heading,
            text=sentence, addressee=actors, group=group, modal=duty.modal, dates=dates,
            caption=_caption(unit.provision, provisions), context=unit.provision.text,
            inferred_addressee=inferred, via_member_states=via))
    return _dedupe(out)


def _duties(unit: _Unit):
    """(sentence, duty) pairs of one unit; a list point without its own duty takes its chapeau's."""
    found = []
    for s in sentences(unit.text):
        duty = duty_in(s)
        if duty is not None:
            found.append((s, duty))
    if found or not unit.chapeau or has_permission_only(unit.text):
        return found
    last = unit.chapeau.strip().splitlines()[-1]
    duty = duty_in(last)
    return [(f"{last.strip()} {' '.join(unit.text.split())}", duty)] if duty else []


def _article_context(found, dominant: tuple[str, ...]) -> dict[str, tuple[tuple[str, ...], str]]:
    """Per article, who its explicit duties address: passive duties ('shall be calculated') go to the
    majority group there, and to its most named economic operator (else the act's) when that is businesses."""
    per: dict[str, Counter] = {}
    names: dict[str, Counter] = {}
    for unit, _, _, (actors, group, inferred, _) in found:
        if actors and not inferred:
            article = unit.provision.address.split("/")[0]
            per.setdefault(article, Counter())[group] += 1
            if group == ECONOMIC:
                names.setdefault(article, Counter()).update(actors[:1])
    out = {}
    for article, groups in per.items():
        group = groups.most_common(1)[0][0]
        if article in names:
            out[article + "#economic"] = (names[article].most_common(1)[0][0],)
        out[article] = (out.get(article + "#economic", ()), group) if group == ECONOMIC else ((), group)
    out.setdefault("*", (dominant, ECONOMIC) if dominant else ((), UNSPECIFIED))
    return out


# Subjects that only a business prepares or places on the market: "The CBAM report shall include …",
# "Electric vehicle batteries shall bear a label …", "a carbon footprint declaration shall be drawn up …".
BUSINESS_THINGS = re.compile(
    r"\b(?:batter(?:y|ies)|products?|goods|commodit(?:y|ies)|CBAM (?:report|declaration)|declarations? of "
    r"conformity|(?:carbon footprint |due diligence |sustainability )?(?:declaration|statement)s?|labels?|"
    r"technical documentation|records?|passports?|management reports?|sustainability report(?:ing|s)?|"
    r"application for an authori[sz]ation|verification reports?|reporting obligations?|emissions|embedded emissions|information "
    r"(?:referred to|required|provided|on the))\b", re.IGNORECASE)


# Subjects that the Commission makes or keeps: "The sustainability reporting standards shall specify …".
EU_THINGS = re.compile(r"\b(?:(?:reporting|technical|sustainability reporting) standards?|guidelines|CBAM registry|"
                       r"central platform|union database|delegated acts?|implementing acts?)\b", re.IGNORECASE)


def _passive_addressee(subject: str, article: str, context) -> tuple[tuple[str, ...], str]:
    names, group = context.get(article, ((), UNSPECIFIED))
    if EU_THINGS.search(subject):
        return ("the Commission",), EU_BODIES
    if BUSINESS_THINGS.search(subject):
        economic = context.get(article + "#economic") or context["*"][0]
        return (economic or names), ECONOMIC if (economic or names) else UNSPECIFIED
    return names, group


def _caption(p: Provision, provisions: list[Provision]) -> str:
    if p.caption:
        return p.caption
    top = p.address.split("/")[0]
    return next((q.caption for q in provisions if q.address == top), "")


def _dominant_actor(provisions: list[Provision]) -> tuple[str, ...]:
    """The economic operator the act speaks to most, for passive duties ("a declaration shall be drawn up")."""
    counts: Counter[str] = Counter()
    for p in provisions:
        if p.level != "recital" and "/" not in p.address:
            counts.update(a for a, g in actors_in(p.text) if g == "economic operators")
    return (counts.most_common(1)[0][0],) if counts else ()


def _dedupe(rows: list[Obligation]) -> list[Obligation]:
    """The same sentence read at two levels (article text and paragraph) is kept once, at the finer one."""
    best: dict[tuple[str, str], Obligation] = {}
    for o in rows:
        k = (o.key, o.provision_id.split("/", 2)[1] if "/" in o.provision_id else "")
        prev = best.get(k)
        if prev is None or o.heading.count("(") + o.heading.count(",") > prev.heading.count("(") + prev.heading.count(","):
            best[k] = o
    keep = set(map(id, best.values()))
    return [o for o in rows if id(o) in keep]
