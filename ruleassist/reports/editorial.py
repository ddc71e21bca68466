"""Deterministic drafting checks from the ISO/IEC Directives, Part 2 (no LLM).

    comments = check_draft(read_draft(path))        # list[Comment], type ed (or te), with line and change

Rules (each a function below, each finding one comment at the line where the problem stands):
- notes_and_examples: requirements (shall), recommendations (should), permissions (may) or
  "must" inside a NOTE or EXAMPLE (Part 2, 24.5 and 25.5): te for requirements, which lose
  their force in a note, else ed;
- must_for_requirements: "must" used to express a requirement (Part 2, 7.2: use "shall");
- undefined_terms: a term that is the subject of requirements but is not defined in the
  "Terms and definitions" clause (first use only);
- unexpanded_abbreviations: an abbreviation that is never written out or listed (first use);
- references: documents cited in normative text but missing from "Normative references", entries
  listed but never cited, and citations that do not match the listed part;
- numbering: skipped and duplicated clause numbers.
"""
from __future__ import annotations

import re
from collections import Counter

from ruleassist.drafts import Clause, Draft, DraftLine, Sentence
from ruleassist.reports.template import Comment

VERB = re.compile(r"\b(shall|should|must|may)\b", re.IGNORECASE)
KIND_WORD = {"shall": "requirement", "must": "requirement", "should": "recommendation", "may": "permission"}
REF = re.compile(r"\b(?P<org>ISO/IEC|IEC/ISO|ISO|IEC)(?:[ /](?P<type>TS|TR|PAS|Guide))?\s+"
                 r"(?P<num>\d{3,6})(?P<parts>(?:-\d{1,3})*)(?::(?P<year>\d{4}))?")
ABBREVIATION = re.compile(r"\b([A-Z][A-Z0-9]*[A-Z][A-Z0-9]*)(s?)\b")
# Not abbreviations a reader needs expanded: organisations, stages, Part 2's own labels, roman numerals.
KNOWN_ABBREVIATIONS = frozenset([
    "ISO", "IEC", "JTC", "TC", "SC", "WG", "AG", "CD", "DIS", "FDIS", "WD", "NP", "PWI", "AWI", "CDV", "PRF",
    "TS", "TR", "PAS", "IS", "NOTE", "EXAMPLE", "ANNEX", "WARNING", "CAUTION", "DANGER", "II", "III", "IV",
    "VI", "VII", "VIII", "IX", "XI", "XII", "SI", "UK", "USA", "EU", "UN"
])
DETERMINERS = frozenset([
    "the", "a", "an", "each", "every", "any", "one", "all", "no", "its", "their", "such", "this", "that",
    "these", "those", "both", "either"
])
PRONOUNS = frozenset([
    "it", "they", "he", "she", "we", "you", "this", "that", "these", "those", "which", "who", "document"
])


def check_draft(draft: Draft) -> list[Comment]:
    """Every drafting finding of the draft, in clause and line order."""
    out: list[Comment] = []
    for rule in (notes_and_examples, must_for_requirements, undefined_terms, unexpanded_abbreviations,
                 references, numbering):
        out += rule(draft)
    return sorted(out, key=lambda c: c.line or 0)


def _comment(line: int, clause: str, text: str, proposed: str, rule: str, kind: str = "ed",
             paragraph: str = "") -> Comment:
    return Comment(line=line, clause=clause, paragraph=paragraph, type=kind, comment=text, proposed=proposed,
                   origin="editorial", rule=rule)


def _line_with(lines: tuple[DraftLine, ...], pattern: re.Pattern, start: int) -> int:
    """The first line at or after `start` where `pattern` occurs (start when none does)."""
    for line in lines:
        if line.number >= start and pattern.search(line.text):
            return line.number
    return start


def normative_sentences(draft: Draft) -> list[tuple[Clause, Sentence]]:
    """Sentences of the normative body text: no notes or examples, no informative clauses or annexes."""
    out = []
    for c in draft.clauses:
        if c.informative or _is_clause(c, "Terms and definitions") or _is_clause(c, "Normative references"):
            continue
        out += [(c, s) for s in c.sentences() if s.kind == "text"]
    return out


def _is_clause(c: Clause, title: str) -> bool:
    return c.depth == 1 and title.lower() in c.title.lower()


# -- NOTEs and EXAMPLEs, "must" --------------------------------------------------------------------


def notes_and_examples(draft: Draft) -> list[Comment]:
    out = []
    for c in draft.clauses:
        for s in c.sentences():
            if s.kind not in ("note", "example") or not (m := VERB.search(s.text)):
                continue
            verb = m[1].lower()
            what, where = KIND_WORD[verb], s.kind.upper()
            line = _line_with(c.lines, re.compile(rf"\b{verb}\b", re.IGNORECASE), s.line)
            body = re.sub(r"^(NOTE|EXAMPLE)(\s+\d+)?\s*(to entry)?:?\s*", "", s.text)
            if s.kind == "note":
                proposed = (f"Move the {what} out of the NOTE into the body text as \"{_as_shall(body, verb)}\", "
                            f"or reword the NOTE as a statement of fact without '{verb}'.")
            else:
                proposed = (f"Reword the EXAMPLE as a description without '{verb}', e.g. "
                            f"\"{_as_fact(body, verb)}\"; state any requirement in the body text.")
            out.append(_comment(line, c.label, f"A {what} ('{verb}') inside a{'n' if where[0] == 'E' else ''} "
                                f"{where}: notes and examples cannot contain {what}s (ISO/IEC Directives, Part 2).",
                                proposed, f"{verb}-in-{s.kind}", "te" if KIND_WORD[verb] == "requirement" else "ed",
                                s.label or where))
    return out


def _as_shall(text: str, verb: str) -> str:
    return re.sub(rf"\b{verb}\b", "shall" if verb == "must" else verb, text, count=1)


def _as_fact(text: str, verb: str) -> str:
    return re.sub(rf"\b{verb}\s+be\b", "is", re.sub(rf"\b{verb}\s+(?!be\b)", "", text, count=1), count=1)


def must_for_requirements(draft: Draft) -> list[Comment]:
    out = []
    for c in draft.clauses:
        for s in c.sentences():
            if s.kind in ("note", "example") or not re.search(r"\bmust\b", s.text, re.IGNORECASE):
                continue
            line = _line_with(c.lines, re.compile(r"\bmust\b", re.IGNORECASE), s.line)
            fixed = re.sub(r"\bmust\b", "shall", re.sub(r"\bMust\b", "Shall", s.text))
            out.append(_comment(line, c.label, "'must' is used to express a requirement; the ISO/IEC Directives, "
                                "Part 2 (7.2) reserve 'shall' for requirements ('must' only for external "
                                "constraints).", f"Replace 'must' with 'shall': \"{fixed}\"", "must"))
    return out


# -- terms ------------------------------------------------------------------------------------------


def defined_terms(draft: Draft) -> set[str]:
    """Terms (and admitted terms) of the terms-and-definitions clause, normalised."""
    terms = set()
    for c in draft.clauses:
        if c.label.split(".")[0] == _terms_number(draft) and c.depth > 1:
            for part in re.split(r"[;,]", c.title):
                if part.strip():
                    terms.add(_norm_term(part))
    return terms


def _terms_number(draft: Draft) -> str:
    c = next((c for c in draft.clauses if _is_clause(c, "Terms and definitions") or _is_clause(c, "Terms,")), None)
    return c.label if c else "3"


def _norm_term(phrase: str) -> str:
    words = [w.lower() for w in phrase.split()]
    if words and len(words[-1]) > 3 and words[-1].endswith("s") and not words[-1].endswith("ss"):
        words[-1] = words[-1][:-1]
    return " ".join(words)


def requirement_subject(sentence: str) -> str:
    """The noun phrase before 'shall'/'must' ("The service operator shall ..." -> "service operator")."""
    m = re.search(r"(?:^|[,;:]\s*)([A-Za-z][\w\- ]{0,80}?)\s+(?:shall|must)\b", sentence)
    if not m:
        return ""
    words = re.split(r"\s+", m[1].strip())
    for i, w in enumerate(words):          # "A service operator that holds ..." -> "A service operator"
        if w.lower() in ("that", "which", "who", "whose", "with", "of", "in", "for", "on", "at", "by"):
            words = words[:i]
            break
    while words and words[0].lower() in DETERMINERS:
        words = words[1:]
    return " ".join(words)


def undefined_terms(draft: Draft) -> list[Comment]:
    terms = defined_terms(draft)
    text = " ".join(line.text for line in draft.lines).lower()
    out, seen = [], set()
    for c, s in normative_sentences(draft):
        subject = requirement_subject(s.text)
        words = subject.split()
        # Single common nouns ("vehicle") and abbreviations are not terms of art; a term of art recurs.
        if len(words) < 2 or any(not w.islower() for w in words) or any(w.lower() in PRONOUNS for w in words):
            continue
        term = _norm_term(subject)
        if term in seen or term in terms or any(term.endswith(" " + t) for t in terms):
            continue
        seen.add(term)
        if text.count(term) < 2:
            continue
        line = _line_with(c.lines, re.compile(re.escape(subject.split()[0]), re.IGNORECASE), s.line)
        out.append(_comment(line, c.label, f"The term '{term}' is used in requirements but is not defined in "
                            f"Clause {_terms_number(draft)}.",
                            f"Add an entry to Clause {_terms_number(draft)} (e.g. \"{_terms_number(draft)}.x "
                            f"{term}: <definition>\"), or replace '{term}' with a defined term.", "undefined-term"))
    return out


# -- abbreviations ----------------------------------------------------------------------------------


def unexpanded_abbreviations(draft: Draft) -> list[Comment]:
    everything = " ".join(line.text for line in draft.preamble + draft.lines)
    listed = _listed_abbreviations(draft)
    own = set(re.findall(r"[A-Z]{2,}", draft.reference))
    out, seen = [], set()
    for c in draft.clauses:
        for line in c.lines:
            for m in ABBREVIATION.finditer(REF.sub(" ", line.text)):
                abbr = m[1]
                if abbr in seen or abbr in KNOWN_ABBREVIATIONS or abbr in own or len(abbr) > 6:
                    continue
                seen.add(abbr)
                if abbr in listed or re.search(rf"\({re.escape(abbr)}s?\)", everything):
                    continue
                expansion = _guess_expansion(abbr, everything)
                proposed = (f"Write it out at first use: \"{expansion} ({abbr})\"" if expansion else
                            f"Write '{abbr}' out at first use, e.g. \"<full term> ({abbr})\"")
                out.append(_comment(line.number, c.label, f"The abbreviation '{abbr}' is used but never written "
                                    "out or listed among the abbreviated terms.",
                                    proposed + ", or add it to the abbreviated terms.", "abbreviation"))
    return out


def _listed_abbreviations(draft: Draft) -> set[str]:
    out = set()
    for c in draft.clauses:
        if "abbreviat" in c.title.lower():
            out |= {m[1] for line in c.lines if (m := re.match(r"([A-Z][A-Z0-9]+)\b", line.text))}
        if c.depth > 1 and re.fullmatch(r"[A-Z][A-Z0-9]+", c.title.strip()):
            out.add(c.title.strip())            # an abbreviation given as an admitted term
    return out


def _guess_expansion(abbr: str, text: str) -> str:
    """Words of the draft whose initials spell the abbreviation ("minimal risk condition" for MRC)."""
    letters = abbr.lower()
    words = re.findall(r"[A-Za-z][\w-]*", text)
    for i in range(len(words) - len(letters) + 1):
        run = words[i:i + len(letters)]
        if "".join(w[0].lower() for w in run) == letters and all(len(w) > 2 for w in run):
            return " ".join(w.lower() for w in run)
    return ""


# -- normative references ---------------------------------------------------------------------------


def _key(m: re.Match) -> tuple[str, str]:
    return m["num"], m["parts"] or ""


def references(draft: Draft) -> list[Comment]:
    refs_clause = next((c for c in draft.clauses if _is_clause(c, "Normative references")), None)
    if refs_clause is None:
        return []
    own = re.search(r"\d{3,6}", draft.reference)
    listed = {}                     # (number, part) -> (line, text of the entry)
    for line in refs_clause.lines:
        if (m := REF.match(line.text)) and (own is None or m["num"] != own[0]):
            listed.setdefault(_key(m), (line.number, m[0]))
    cited = Counter()
    out = []
    for c in draft.clauses:
        if c is refs_clause or c.label == "Bibliography":
            continue
        notes = {id(x) for b in c.blocks for x in b.lines}
        for line in c.lines:
            for m in REF.finditer(line.text):
                if own is not None and m["num"] == own[0]:
                    continue
                key = _key(m)
                same_number = [k for k in listed if k[0] == key[0]]
                if key in listed:
                    cited[key] += 1
                elif same_number:
                    cited[same_number[0]] += 1
                    entry = listed[same_number[0]][1]
                    out.append(_comment(line.number, c.label, f"The reference '{m[0]}' does not match the entry "
                                        f"'{entry}' in Clause {refs_clause.label}.",
                                        f"Cite the document as listed: replace '{m[0]}' with "
                                        f"'{entry.split(':')[0]}' (or correct the entry in Clause "
                                        f"{refs_clause.label}).", "reference-mismatch"))
                elif not c.informative and id(line) not in notes:
                    out.append(_comment(line.number, c.label, f"'{m[0]}' is cited in the text but is missing from "
                                        f"Clause {refs_clause.label} (Normative references).",
                                        f"Add '{m[0]}' with its date and title to Clause {refs_clause.label}, "
                                        "or move it to the Bibliography if it is cited for information only.",
                                        "reference-missing"))
    for key, (number, entry) in listed.items():
        if not cited[key]:
            out.append(_comment(number, refs_clause.label, f"'{entry}' is listed as a normative reference but is "
                                "never cited in the text.",
                                f"Cite '{entry.split(':')[0]}' where its content is required, or delete the entry "
                                "(move it to the Bibliography if it is useful background).", "reference-uncited"))
    return out


# -- numbering --------------------------------------------------------------------------------------

HEADING_LIKE = re.compile(r"(\d{1,2}(?:\.\d{1,3}){0,6})\s+([^\W\d_][^.;:]{0,100})")


def numbering(draft: Draft) -> list[Comment]:
    out = []
    last: dict[tuple[int, ...], int] = {}       # parent number -> last child number seen
    for c in draft.clauses:
        if not c.label[0].isdigit():
            continue
        nums = tuple(int(n) for n in c.label.split("."))
        parent, n = nums[:-1], nums[-1]
        expected = last.get(parent, 0) + 1
        if n > expected:
            missing = ".".join(map(str, parent + (expected,)))
            out.append(_comment(c.line, c.label, f"The clause numbering skips {missing}: {c.label} follows "
                                f"{'.'.join(map(str, parent + (expected - 1,))) if expected > 1 else 'its parent'}.",
                                f"Renumber {c.label} as {missing} (and the subclauses that follow).", "numbering"))
        last[parent] = n
    out += _duplicates(draft)
    return out


def _duplicates(draft: Draft) -> list[Comment]:
    """Heading lines that repeat the number of a clause already found (the heading finder skips them)."""
    headings = {c.line: c.label for c in draft.clauses}
    labels = set(headings.values())
    out = []
    for line in draft.lines:
        m = HEADING_LIKE.fullmatch(line.text)
        if not m or line.number in headings or m[1] not in labels:
            continue
        if draft.format == "pdf" and not line.bold:
            continue        # in a PDF a heading is set in bold; a sentence that starts with a number is not
        owner = draft.clause_at(line.number)
        out.append(_comment(line.number, owner.label if owner else m[1], f"The clause number {m[1]} is used twice.",
                            f"Renumber this clause (\"{m[1]} {m[2].strip()}\") so that numbers run in sequence.",
                            "numbering"))
    return out


