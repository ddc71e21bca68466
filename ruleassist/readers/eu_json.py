"""EU acts as JSON: {id, full_name, celex_id, effective_date, articles: [{number, title, text}], recitals}.

Article text is flat: paragraphs start "1.\xa0\xa0\xa0…", points are a "(a)" block followed by
their words, and blocks are separated by blank lines. Nesting is not marked, so it is inferred
from the kind of label: (a) letters, (i) roman numerals, (1) numbers. UN/ECE regulations in the
same shape number their paragraphs "6.3.1." and repeat each block; both are handled here.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

from ruleassist.errors import ParseError
from ruleassist.readers import Parsed
from ruleassist.readers import _eu
from ruleassist.readers._eu import ROMAN, Unit, clean

PARA = re.compile(r"^(\d{1,3}[a-z]{0,2})\.[ \xa0]{2,}(\S.*)$", re.S)        # "1.\xa0\xa0\xa0The CBAM …"
DOTTED = re.compile(r"^(\d{1,2}(?:\.\d{1,2})+)\.?$")                      # UN/ECE "6.3.1."
LABEL = re.compile(r"^\(([a-z]{1,3}|\d{1,3}[a-z]{0,2})\)$")
INLINE_LABEL = re.compile(r"^\(([a-z]{1,3}|\d{1,3}[a-z]{0,2})\)[ \xa0]+(\S.*)$", re.S)
QUOTE_OPEN = re.compile(r"^[‘“](?:\d+[a-z]*\.|\([a-z0-9]+\)|Article|CHAPTER|Chapter|ANNEX|Annex|Section|SECTION|Part|PART)")
QUOTE_CLOSE = re.compile(r"[’”][.;,]?[\"”]?\s*$")
DONE_AT = re.compile(r"^Done at [A-Z]")
FINAL_FORMULA = re.compile(r"^This (?:Regulation|Decision) shall be binding in its entirety")
ROMANS = [("x" * (n // 10)) + ("", "i", "ii", "iii", "iv", "v", "vi", "vii", "viii", "ix")[n % 10] for n in range(1, 40)]
ANNEX_HEAD = re.compile(r"^ANNEX(?:[ \xa0]+[IVXLC]+)?$")


class EuJsonReader:
    name = "eu_json"

    def accepts(self, path: Path) -> bool:
        path = Path(path)
        if path.suffix.lower() != ".json" or path.name.lower() in ("meta.json", "manifest.json"):
            return False
        try:
            with open(path, "rb") as f:
                head = f.read(8192)
        except OSError:
            return False
        return b'"celex_id"' in head and b'"articles"' in head

    def read(self, path: Path) -> Parsed:
        path = Path(path)
        try:
            data = json.loads(path.read_text(encoding="utf-8-sig"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise ParseError(path, f"not valid UTF-8 JSON ({exc}); the file may be truncated") from None
        if not isinstance(data, dict) or not isinstance(data.get("articles"), list) or not data.get("celex_id"):
            raise ParseError(path, "expected an object with 'celex_id' and an 'articles' list")
        names = (data.get("id", ""), data.get("full_name", ""))
        doc = _eu.make_document(data["celex_id"], data.get("full_name", ""), self.name, path,
                                str(data.get("effective_date", "")), names)
        provisions = [_eu.recital_provision(doc, str(r.get("recital_number", "")), r.get("text", ""))
                      for r in data.get("recitals") or [] if r.get("recital_number") and r.get("text")]
        for i, art in enumerate(data["articles"]):
            if not isinstance(art, dict) or not str(art.get("number", "")).strip():
                raise ParseError(path, "article without a number", where=f"articles[{i}]")
            blocks, annexes = _split_tail(_blocks(art.get("text") or ""))
            provisions += _article(doc, art, blocks)
            provisions += [p for annex in annexes for p in _annex(doc, annex)]
        return Parsed(doc, _eu.merge_duplicates(provisions))


def _split_tail(blocks: list[str]) -> tuple[list[str], list[list[str]]]:
    """The last article also carries the closing formula, signatures, footnotes and annexes."""
    done = next((i for i, b in enumerate(blocks) if DONE_AT.match(b)), len(blocks))
    body = [b for b in blocks[:done] if not FINAL_FORMULA.match(b)] if done < len(blocks) else blocks
    annexes: list[list[str]] = []
    for block in blocks[done:]:
        if ANNEX_HEAD.match(block):
            annexes.append([block])
        elif annexes:
            annexes[-1].append(block)
    return body, annexes


def _annex(doc, blocks: list[str]) -> list:
    address, heading = _eu.annex_place(_eu.annex_label(blocks[0]))
    caption = clean(blocks[1]) if len(blocks) > 1 and len(blocks[1]) < 200 else ""
    # Only "PART A" / "Section 2" headings are trusted: numbered lines are list items here.
    marked = [(bool(_eu.SECTION_WORD.match(clean(b))) and len(b) < 150, b) for b in blocks]
    return _eu.annex_provisions(doc, address, heading, caption, marked)


def _article(doc, art: dict, blocks: list[str]) -> list:
    number, title = str(art["number"]).strip(), clean(art.get("title") or "")
    if m := re.fullmatch(r"annex\s+(\w+)", number, re.I):
        address, heading = _eu.annex_place(m.group(1))
        return _eu.annex_provisions(doc, address, heading, title, [(False, b) for b in blocks])
    chapter = clean(str(art.get("chapter") or ""))
    path = (f"Chapter {chapter}",) if chapter else ()
    un_ece = doc.doc_id.startswith("eu:4")    # UN/ECE regulations: "paragraph 6.3.1", not Article 6(3)
    return _eu.article_provisions(doc, number.lower(), _units(blocks, un_ece), title, path,
                                  "Paragraph" if un_ece else "Article")


def _blocks(text: str) -> list[str]:
    """Blank-line separated blocks, without the repeats the UN/ECE conversions carry."""
    blocks = [b.strip() for b in text.split("\n\n") if b.strip()]
    out: list[str] = []
    for i, block in enumerate(blocks):
        if out and clean(block) == clean(out[-1]):
            continue
        if "\n" in block and _covers(clean(block).replace("\n", " "), blocks[i + 1:]):
            continue      # a table cell holding the same words as the blocks after it
        out.append(block)
    return out


def _covers(joined: str, following: list[str]) -> bool:
    acc = ""
    for block in following:
        words = clean(block).replace("\n", " ")
        if acc.endswith(words):
            continue
        acc = f"{acc} {words}".strip()
        if len(acc) >= len(joined):
            return acc == joined
    return False


def _tokens(blocks: list[str], dotted: bool) -> list[tuple[str, str, str]]:
    """(kind, label, text): kind is para / point / text / quoted; a lone label takes the next block."""
    out: list[tuple[str, str, str]] = []
    i, quoted = 0, False
    while i < len(blocks):
        block, nxt = blocks[i], blocks[i + 1] if i + 1 < len(blocks) else ""
        i += 1
        announced = bool(out) and out[-1][0] in ("point", "quoted") and out[-1][2].rstrip().endswith(":")
        if quoted or (QUOTE_OPEN.match(block) and not QUOTE_CLOSE.search(block)) or \
                (announced and block.startswith(("‘", "“"))):
            # Text inserted into another act ("… is replaced by the following: ‘…’"): it belongs
            # to the point that announces it, and its numbers are not this act's structure.
            quoted = not QUOTE_CLOSE.search(block)
            out.append(("quoted", "", block))
        elif m := PARA.match(block):
            out.append(("para", m.group(1), m.group(2)))
        elif m := (dotted and DOTTED.match(block)) or LABEL.match(block):
            # The words follow in the next block, unless it is another label (words missing).
            words = "" if LABEL.match(nxt) or DOTTED.match(nxt) else nxt
            out.append(("para" if m.re is DOTTED else "point", m.group(1), words))
            i += 1 if words else 0
        elif m := INLINE_LABEL.match(block):
            out.append(("point", m.group(1), m.group(2)))
        else:
            out.append(("text", "", block))
    return out


def _units(blocks: list[str], dotted: bool = False) -> list[Unit]:
    """Paragraphs, points and text from flat blocks; a stack of open lists gives the nesting."""
    tokens = _tokens(blocks, dotted)
    top: list[Unit] = []
    base, stack, closed, last_para = top, [], [], -1.0
    for i, (kind, label, text) in enumerate(tokens):
        if kind == "para" and _para_number(label) > last_para:
            last_para = _para_number(label)
            top.append(Unit("paragraph", label, clean(text)))
            base, stack, closed = top[-1].children, [], []
        elif kind == "point":
            following = next((t[1] for t in tokens[i + 1:] if t[0] == "point"), "")
            stack = _reopen(stack, closed, label)
            _push_point(base, stack, label, clean(text), following)
        elif kind == "quoted":
            (stack[-1][1].children if stack else base).append(Unit("text", text=clean(text)))
        else:          # text after a list closes it; a paragraph number out of order is text too
            base.append(Unit("text", text=clean(f"{label}. {text}" if label else text)))
            stack, closed = [], stack or closed
    return top


def _reopen(stack: list, closed: list, label: str) -> list:
    """'(b)' after an unnumbered block continues the list of '(a)' that the block seemed to close."""
    if any(label in _successors(u.label) for _, u in stack):
        return stack
    for depth, (_, unit) in enumerate(closed):
        if label in _successors(unit.label):
            return closed[:depth + 1]
    return stack


def _successors(label: str) -> set[str]:
    nexts = set()
    if label.isdigit():
        nexts.add(str(int(label) + 1))
    if len(label) == 1 and label.isalpha() and label != "z":
        nexts.add(chr(ord(label) + 1))
    if label in ROMANS[:-1]:
        nexts.add(ROMANS[ROMANS.index(label) + 1])
    return nexts


def _para_number(label: str) -> float:
    """Paragraph numbers only go up: '3a' sorts just after '3', '6.3.1' just after '6.3'."""
    value = sum(int(p) / 100 ** k for k, p in enumerate(re.findall(r"\d+", label)))
    letter = re.sub(r"[\d.]", "", label)
    return value + (ord(letter[0]) - 96) / 1e7 if letter else value


def _push_point(base: list[Unit], stack: list, label: str, text: str, following: str) -> None:
    kind = _label_kind(label, stack, following)
    for depth, (k, _) in enumerate(stack):
        if k == kind:           # a sibling of an open list: close the lists nested in it
            del stack[depth:]
            break
    unit = Unit("point", label, text)
    (stack[-1][1].children if stack else base).append(unit)
    stack.append((kind, unit))


def _label_kind(label: str, stack: list, following: str) -> str:
    if label[0].isdigit():
        return "num"
    if not ROMAN.fullmatch(label):
        return "alpha"
    alpha = next((u.label for k, u in reversed(stack) if k == "alpha"), "")
    # "(i)" after "(h)" is the next letter, unless "(ii)" follows; elsewhere it is a roman numeral.
    next_letter = len(label) == 1 and len(alpha) == 1 and ord(label) == ord(alpha) + 1
    return "alpha" if next_letter and not ROMAN.fullmatch(following or "-") else "roman"
