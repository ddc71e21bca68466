"""Reading EU legal English: sentences, duty verbs, addressees and dates (used by obligations.py).

Everything here is deterministic text analysis of the drafting conventions of EU acts (the
Joint Practical Guide): "shall" imposes a duty unless it is used for scope, definitions,
entry into force, deeming or empowerment; the addressee is the grammatical subject.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

# -------------------------------------------------------------------------------- addressees

ECONOMIC = "economic operators"
MEMBER_STATES = "Member States"
EU_BODIES = "EU bodies"
UNSPECIFIED = "unspecified"

# (pattern, label, group, Japanese name used in explanations); longest and most specific first: "authorised CBAM declarant" before "declarant".
_ACTORS = [
    (r"authori[sz]ed CBAM declarants?", "authorised CBAM declarants", ECONOMIC, "認定CBAM申告者"),
    (r"indirect customs representatives?", "indirect customs representatives", ECONOMIC, "間接通関代理人"),
    (r"financial market participants?", "financial market participants", ECONOMIC, "金融市場参加者"),
    (r"financial advisers?", "financial advisers", ECONOMIC, "金融アドバイザー"),
    (r"economic operators?", "economic operators", ECONOMIC, "事業者"),
    (r"fulfil?ment service providers?", "fulfilment service providers", ECONOMIC, "フルフィルメント・サービス事業者"),
    (r"authori[sz]ed representatives?", "authorised representatives", ECONOMIC, "認定代理人"),
    (r"(?:independent )?assurance services? providers?", "assurance services providers", ECONOMIC, "保証業務提供者"),
    (r"statutory auditors?|audit firms?", "statutory auditors", ECONOMIC, "法定監査人"),
    (r"parent undertakings?", "parent undertakings", ECONOMIC, "親会社"),
    (r"large undertakings?", "large undertakings", ECONOMIC, "大企業"),
    (r"(?:public-interest entities|public-interest entity)", "public-interest entities", ECONOMIC, "社会的影響度の高い事業体"),
    (r"undertakings?", "undertakings", ECONOMIC, "企業"),
    (r"compan(?:y|ies)", "companies", ECONOMIC, "会社"),
    (r"issuers?", "issuers", ECONOMIC, "発行者"),
    (r"importers?", "importers", ECONOMIC, "輸入者"),
    (r"declarants?", "declarants", ECONOMIC, "申告者"),
    (r"manufacturers?", "manufacturers", ECONOMIC, "製造者"),
    (r"producers?(?! responsibility)", "producers", ECONOMIC, "生産者"),
    (r"producer responsibility organisations?", "producer responsibility organisations", ECONOMIC, "生産者責任組織"),
    (r"distributors?", "distributors", ECONOMIC, "販売事業者"),
    (r"traders?", "traders", ECONOMIC, "取引業者"),
    (r"suppliers?", "suppliers", ECONOMIC, "供給者"),
    (r"deployers?", "deployers", ECONOMIC, "導入者（利用者）"),
    (r"providers?", "providers", ECONOMIC, "提供者"),
    (r"verifiers?", "verifiers", ECONOMIC, "検証機関"),
    (r"operators?", "operators", ECONOMIC, "事業者"),
    (r"applicants?", "applicants", ECONOMIC, "申請者"),
    (r"(?:credit institutions?|insurance undertakings?|investment firms?)", "financial institutions", ECONOMIC, "金融機関"),
    (r"notified bod(?:y|ies)|conformity assessment bod(?:y|ies)", "notified bodies", MEMBER_STATES, ""),
    (r"(?:market surveillance|customs|tax|notifying|supervisory|national|designated) authorit(?:y|ies)",
     "competent authorities", MEMBER_STATES, ""),
    (r"competent authorit(?:y|ies)", "competent authorities", MEMBER_STATES, ""),
    (r"Member States?", "Member States", MEMBER_STATES, ""),
    (r"[Tt]he Commission", "the Commission", EU_BODIES, ""),
    (r"EFRAG|ESMA|EBA|EIOPA|European Supervisory Authorities|[Tt]he (?:AI )?Office|[Tt]he Agency|[Tt]he Board",
     "EU agencies and boards", EU_BODIES, ""),
    (r"[Tt]he European Parliament|[Tt]he Council", "the European Parliament and the Council", EU_BODIES, ""),
]
ACTOR = re.compile("|".join(f"(?P<g{i}>\\b(?:{p})\\b)" for i, (p, _, _, _) in enumerate(_ACTORS)))
ADDRESSEE_JA = {label: ja for _, label, _, ja in _ACTORS if ja}


def actors_in(text: str) -> list[tuple[str, str]]:
    """(label, group) of each actor named, in order, without repeats."""
    seen: dict[str, str] = {}
    for m in ACTOR.finditer(text):
        i = int(m.lastgroup[1:])
        _, label, group, _ = _ACTORS[i]
        seen.setdefault(label, group)
    return list(seen.items())


# -------------------------------------------------------------------------------- duties

@dataclass(frozen=True)
class Duty:
    modal: str          # "shall", "shall ensure", "shall not", "must", "is required to", "may not"
    start: int          # offset of the modal in the sentence
    end: int


MODAL = re.compile(r"\b(?:shall(?:\s+not)?|must(?:\s+not)?|(?:is|are)\s+(?:required|obliged)\s+to|"
                   r"may\s+not|(?:is|are)\s+prohibited)\b")
# Uses of "shall" that are legal technique, not duties (what follows the modal).
NOT_DUTY_AFTER = re.compile(
    r"\s*(?:also\s+|only\s+|in particular\s+)?(?:"
    r"enter into force|apply\b|be binding|mean|be deemed|deem|be considered|be construed|be read|be understood|"
    r"be empowered|be conferred|be repealed|be amended|be replaced|be inserted|be without prejudice|"
    r"not affect|not prejudice|be without|expire|cease to|be entitled|have the right|remain|be subject to|"
    r"be liable|be regarded|take effect|be published in the Official Journal|be adopted in accordance with the "
    r"(?:examination|advisory) procedure|be referred to as|have the meaning|not apply|not be affected|"
    r"be valid|continue to apply|be assisted|constitute|be composed|be possible|have\b(?! in place)|be granted|"
    r"be the following|be as follows|put an end|release|relieve|exempt|preclude|prevent|affect|prejudice|"
    r"be the\b(?! responsibility)|be those\b|be limited to|be provided for indicative|be defined\b|"
    r"be an? [^,.;]{0,60}(?:within the meaning|for the purposes? of))", re.IGNORECASE)
NOT_DUTY_SUBJECT = re.compile(r"^\s*(?:\(?\w{1,4}[.)]\s*)?(?:(?:It|This (?:Regulation|Directive|Decision|Article|Chapter|Annex|paragraph)|"
                              r"(?:That|Such|Those|These) (?:delegated|implementing) acts?|The (?:delegated|"
                              r"implementing) acts?|The delegation of power|The power to adopt)\b)", re.IGNORECASE)
ENSURE = re.compile(r"\s*(?:ensure|require|provide that|lay down rules requiring|oblige)\b", re.IGNORECASE)


DEFINITION = re.compile(r"^\W*(?:\(?\w{1,4}[.)]\s*)?[‘“'\"][^’”'\"]{1,80}[’”'\"]\s+(?:means|shall mean)\b")


def duty_in(sentence: str) -> Duty | None:
    """The duty verb of a sentence, or None when it imposes no duty."""
    if DEFINITION.match(sentence):
        return None         # "'net turnover' means …; … shall be defined in accordance with …"
    for m in MODAL.finditer(sentence):
        if re.search(r"\b(?:which|who|whom|that)\s*$", sentence[:m.start()]):
            continue        # a relative clause ('…, which shall not be longer than one hour') qualifies, it does not oblige
        # '… shall, for the purposes of this Regulation, be regarded as …': look past the inserted phrase
        after = re.sub(r"^\s*,[^,]{1,90},", "", sentence[m.end():])
        technique = NOT_DUTY_AFTER.match(after) or (m.group(0).endswith("not") and NOT_DUTY_AFTER.match(" not" + after))
        if technique and not _actor_applies(sentence[:m.start()], after):
            continue
        subject = sentence[:m.start()]
        if CONDITIONAL.match(subject) and "," in subject:
            subject = subject[subject.index(",") + 1:]
        if NOT_DUTY_SUBJECT.match(subject):
            continue
        modal = " ".join(m.group(0).split()).lower()
        if modal.startswith(("is ", "are ")):
            modal = "prohibited" if "prohibited" in modal else "is required to"
        elif modal == "shall" and ENSURE.match(after):
            modal = "shall ensure"
        return Duty(modal, m.start(), m.end())
    return None


def _actor_applies(subject: str, after: str) -> bool:
    """'Member States shall apply penalties' is a duty; 'This Article shall apply' is not."""
    return after.lstrip().lower().startswith("apply") and bool(actors_in(subject[-80:]))


def has_permission_only(text: str) -> bool:
    """A list point that grants a permission ('companies may request …') completes no duty."""
    return bool(re.search(r"\bmay\b(?!\s+not)|\bare entitled\b|\bis entitled\b", text)) and duty_in(text) is None


CONDITIONAL = re.compile(r"^\s*(?:\(?[a-z0-9]+\)\s*)?(?:Where|If|When|In (?:the )?case|Unless|Without prejudice|"
                         r"By way of derogation|For the purposes?|In accordance with|Notwithstanding|Following|"
                         r"After|Before|Upon|On the basis)\b", re.IGNORECASE)


def _head_actors(subject: str) -> list[tuple[str, str]]:
    """Actors of a subject whose head is an actor; [] when the head is a thing ('A decision of the authority')."""
    m = ACTOR.search(subject)
    if m is None:
        return []
    clause = re.split(r"[,;]", subject[:m.start()])[-1]
    if re.search(r"\b(?:of|for|to|by|on|with|from|about|in|between|against)\b", clause):
        return []
    return actors_in(subject)


def subject_actors(sentence: str, duty: Duty) -> tuple[tuple[str, ...], str, bool, bool]:
    """(addressees, group, inferred, via_member_states) of one duty sentence.

    The head of the subject is its first actor once a leading condition ('Where an importer is
    not established …,') is dropped; a pronoun subject ('…, it shall') falls back to the condition's.
    """
    full = sentence[:duty.start]
    subject = full[full.index(",") + 1:] if CONDITIONAL.match(full) and "," in full else full
    found = _head_actors(subject) if actors_in(subject) else _head_actors(full)
    after = sentence[duty.end:]
    if found and found[0][1] == MEMBER_STATES and duty.modal == "shall ensure":
        target = [a for a in actors_in(after[:160]) if a[1] == ECONOMIC]
        if target:
            return tuple(a for a, _ in target[:2]), ECONOMIC, False, True
    if not found:      # passive: "shall be imported … only by an authorised CBAM declarant"
        by = re.match(r"\s*(?:also |only |then )?be\s+\w+(?:ed|en|wn|ne|t)\b[^;.]{0,120}?\bby\s+([^,;.]{0,60})", after)
        found = actors_in(by.group(1)) if by else []
    if not found and re.search(r"\b(?:implementing|delegated) acts?\b", full + after[:50]):
        return ("the Commission",), EU_BODIES, True, False
    if not found:
        return (), UNSPECIFIED, True, False
    group = found[0][1]
    return tuple(a for a, g in found if g == group)[:3], group, False, False


# -------------------------------------------------------------------------------- sentences

ABBREV = re.compile(r"(?:\b(?:No|Art|para|e\.g|i\.e|cf|etc|p|pp|Vol|Nr)|\b[A-Z])\.$")


def sentences(text: str) -> list[str]:
    """Sentences of one piece of legal text; list labels and numbering stay with their sentence."""
    out: list[str] = []
    for line in _join_labels(text.splitlines()):
        line = " ".join(line.split())
        if not line:
            continue
        start = 0
        for m in re.finditer(r"(?<=[.;:])\s+(?=[A-Z‘“(])", line):
            piece = line[start:m.start()]
            if ABBREV.search(piece) or not piece.rstrip().endswith("."):
                continue
            out.append(piece.strip())
            start = m.end()
        if line[start:].strip():
            out.append(line[start:].strip())
    return [s for s in out if len(s) > 12]


LABEL = re.compile(r"^\s*(?:\((?:[a-z]{1,3}|[ivxl]+|\d+[a-z]?)\)|\d+(?:\.\d+)*\.?|[—–-])\s*$")


def _join_labels(lines: list[str]) -> list[str]:
    """'(a)' alone on a line belongs to the next line (EUR-Lex tables put labels in their own cell)."""
    out: list[str] = []
    carry = ""
    for line in lines:
        if LABEL.match(line):
            carry += line.strip() + " "
            continue
        out.append(carry + line)
        carry = ""
    return out


# A numbered heading or label at the start of a line of an annex or a long text.
SECTION = re.compile(r"^\s*(?P<num>\d+(?:\.\d+)*)\.?\s+\S")
POINT = re.compile(r"^\s*\((?P<pt>[a-z]{1,3}|[ivxl]+|\d+[a-z]?)\)\s*")
INSERTED = re.compile(r"^[‘'“]?\s*Article\s+(?P<art>\d+[a-z]*)\s*$")


ROMAN = {"i", "ii", "iii", "iv", "v", "vi", "vii", "viii", "ix", "x", "xi", "xii"}


def virtual_units(heading: str, text: str) -> list[tuple[str, str, str, bool]]:
    """(pinpoint, line, chapeau, is_item) for each line of an unstructured long text.

    A line that imposes a duty and ends with ':' is a chapeau: it is carried into the labelled
    lines below it and not listed on its own when it has any.
    """
    out: list[tuple[str, str, str, bool]] = []
    section = point = sub = inserted = chapeau = ""
    chapeau_at = -1
    for line in _join_labels(text.splitlines()):
        if not line.strip():
            continue
        if (m := INSERTED.match(line.strip())):
            inserted, section, point, sub = m["art"], "", "", ""
            continue
        if (m := POINT.match(line)):
            label = m["pt"]
            if label in ROMAN and point and (sub or (label == "i" and point != "h")):
                sub = label
            else:
                point, sub = label, ""
        elif (m := SECTION.match(line)) and len(m["num"]) < 6:
            section, point, sub, chapeau = m["num"], "", "", ""
        else:
            point = sub = chapeau = ""
        where = _pinpoint(heading, inserted, section, point + (f")({sub}" if sub else ""))
        is_item = bool(point) and bool(chapeau)
        if is_item and chapeau_at >= 0:
            out[chapeau_at] = ("", "", "", False)        # its items carry it
            chapeau_at = -1
        out.append((where, line, chapeau if is_item else "", is_item))
        stripped = line.strip()
        if stripped.endswith(":") and duty_in(stripped):
            chapeau, chapeau_at = stripped, len(out) - 1
    return [u for u in out if u[1]]


def _pinpoint(heading: str, inserted: str, section: str, point: str) -> str:
    inner = (f"({section})" if inserted and section else section) + (f"({point})" if point else "")
    if inserted:
        return f"{heading} (inserted Article {inserted}{inner})"
    return f"{heading}, point {inner}" if inner else heading


# -------------------------------------------------------------------------------- dates

MONTH = r"(?:January|February|March|April|May|June|July|August|September|October|November|December)"
DATE = rf"\d{{1,2}}\s+{MONTH}(?:\s+\d{{4}}|\s+of\s+each\s+year)?"
DATE_PHRASE = re.compile(rf"\b(?:from|by|until|before|after|as from|as of|no later than|not later than|"
                         rf"on or after|starting on|until)\s+{DATE}|\bfor the first time in \d{{4}}[^,.;]{{0,30}}", re.IGNORECASE)


def dates_in(sentence: str) -> list[str]:
    return [" ".join(m.group(0).split()) for m in DATE_PHRASE.finditer(sentence)]


ARTICLE_LIST = re.compile(r"Articles?\s+((?:\d+[a-z]?(?:\(\d+\))*(?:\s*,\s*|\s+and\s+|\s+to\s+)?)+)")
APPLY = re.compile(rf"shall apply (?P<rel>from|until) (?P<date>{DATE})")


def application_dates(provisions) -> dict[str, list[str]]:
    """Article address ('a35') -> 'applies from …' phrases from the act's final provisions; '*' = default."""
    out: dict[str, list[str]] = {}
    for p in provisions:
        if p.level == "recital" or "/" in p.address:
            continue
        for s in sentences(p.text):
            for m in APPLY.finditer(s):
                phrase = f"applies {m['rel']} {m['date']}"
                before = s[:m.start()]
                lists = ARTICLE_LIST.findall(before)
                if not lists and re.search(r"\b(?:It|This (?:Regulation|Directive))\s*$", before.strip()[-40:] + " "):
                    out.setdefault("*", []).append(phrase)
                for art in _article_numbers(" ".join(lists)):
                    out.setdefault(f"a{art}", []).append(phrase)
    return out


def _article_numbers(text: str) -> list[str]:
    text = re.sub(r"\(\d+\)", "", text)
    nums: list[str] = []
    for m in re.finditer(r"(\d+)([a-z]?)(?:\s+to\s+(\d+))?", text):
        if m.group(3):
            nums += [str(n) for n in range(int(m.group(1)), int(m.group(3)) + 1)]
        else:
            nums.append(m.group(1) + m.group(2))
    return nums
