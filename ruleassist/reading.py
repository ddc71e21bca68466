"""Reading statements against provisions: deterministic checks plus narrow yes/no LLM judgements.

Used by `answer.py` (sentences, quantities a claim must not change) and by the multiple-choice
reader for lawqa-style questions:

    passages = context_passages(item["コンテキスト"])                # or store_passages(store, provisions)
    reading = read_choices(backend, question, {"a": "...", "b": "..."}, passages)
    reading.letter, reading.choices["b"].evidence

Each choice is read on its own, so the order of the choices cannot change the result:
1. the question's polarity: 誤っているもの / 該当しないもの … are read in their positive form and the
   choice with the *least* support wins;
2. the decisive sentences: the sentences sharing most content with the choice, with 前項 / 前条 / 同項 …
   followed to the passage they point to, so the reader sees what the law says, not a pointer;
3. an LLM yes/no ("does the law say this?") scored from log-probabilities, with only the decisive
   sentences and the passages they refer to quoted (a small model reads a short text better);
4. deterministic contradiction signals between the choice and its decisive sentences: a quantity that
   differs, a negation that flips, しなければならない against することができる, 必ず / 常に / 一切 against a
   provision with an exception.
"""
from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass, field

from ruleassist.judge import provision_block, yes_probability
from ruleassist.numerals import kanji_to_int
from ruleassist.verify import content_units

__all__ = [
    "ChoiceReading",
    "Passage",
    "Reading",
    "context_passages",
    "contradiction",
    "coverage",
    "decisive_sentences",
    "parse_choices",
    "quantities",
    "question_polarity",
    "read_choices",
    "sentences",
    "store_passages",
]

REFERENCE_CHARS = 300           # of a passage that 前条 / 前項 points to, quoted after the decisive sentences
DECISIVE = 2                    # sentences quoted next to each statement
NEGATIVE_FORMS = [              # (negative question phrase, its positive reading)
    ("誤っているもの", "正しいもの"), ("誤りであるもの", "正しいもの"), ("正しくないもの", "正しいもの"),
    ("適切でないもの", "適切なもの"), ("不適切なもの", "適切なもの"), ("該当しないもの", "該当するもの"),
    ("含まれないもの", "含まれるもの"), ("必要のないもの", "必要があるもの"), ("必要がないもの", "必要があるもの"),
    ("できないもの", "できるもの"), ("当たらないもの", "当たるもの")]


# ------------------------------------------------------------------------------------ text checks

KANJI_NUM = "[〇一二三四五六七八九十百千]+"
NUMBER = rf"(?:[0-9]+(?:[.,][0-9]+)?|{KANJI_NUM}(?:・{KANJI_NUM})?)"
COUNTER = r"(万円|億円|円|営業日|箇月|か月|ヶ月|カ月|月|週間|日|時間|年|人|回|倍|割|歳|%|パーセント)"
QUANTITY = re.compile(rf"(?<![第同])({NUMBER})(万|億)?{COUNTER}")
FRACTION = re.compile(rf"({NUMBER})分の({NUMBER})")
MUST = re.compile(r"なければならない|なくてはならない|必要がある|を要する|義務を負う|ものとする")
MAY = re.compile(r"ことができる|ことを妨げない|してもよい")
NEGATION = re.compile(r"(?<!け)(?:ない|ず[、。に]|ぬ|不要|限りでない|限りではない)")
ABSOLUTE = re.compile(r"必ず|常に|一切|いかなる場合|すべて|全て|例外なく")
EXCEPTION = re.compile(r"ただし|限りでない|限りではない|を除き|を除く|場合を除|この限り|妨げない")


def sentences(text: str) -> list[str]:
    """Split at 。 and line breaks outside brackets: 「…（…を除く。）…」 stays one sentence."""
    out, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        depth += ch in "（(「『" and 1 or 0
        depth -= ch in "）)」』" and 1 or 0
        depth = max(depth, 0)
        if (ch == "。" and depth == 0) or ch == "\n":
            piece = text[start:i + 1].strip()
            if piece:
                out.append(piece)
            start = i + 1
    tail = text[start:].strip()
    return out + ([tail] if tail else [])


def _value(number: str) -> float:
    number = number.replace(",", "")
    if "・" in number:                                   # 四・五 = 4.5
        whole, frac = number.split("・", 1)
        return float(f"{kanji_to_int(whole)}.{kanji_to_int(frac)}")
    try:
        return float(number) if re.match(r"[0-9]", number) else float(kanji_to_int(number))
    except ValueError:
        return float("nan")


def quantities(text: str) -> set[tuple[str, float]]:
    """(unit, value) pairs: '60万円' -> ('円', 600000), '百分の四・五' -> ('分の', 0.045), '三年' -> ('年', 3)."""
    text = unicodedata.normalize("NFKC", text)
    found = set()
    for number, scale, unit in QUANTITY.findall(text):
        value = _value(number) * {"万": 1e4, "億": 1e8}.get(scale, 1) * {"万円": 1e4, "億円": 1e8}.get(unit, 1)
        unit = {"万円": "円", "億円": "円", "箇月": "月", "か月": "月", "ヶ月": "月", "カ月": "月",
                "パーセント": "%"}.get(unit, unit)
        found.add((unit, value))
    for whole, part in FRACTION.findall(text):
        found.add(("分の", _value(part) / _value(whole)))
    return found


def coverage(statement: str, evidence: str) -> float:
    """Share of the statement's content units (Japanese bigrams, content words) found in the evidence."""
    units = content_units(statement)
    return len(units & content_units(evidence)) / len(units) if units else 0.0


def _negations(text: str) -> int:
    return len(NEGATION.findall(MUST.sub("〇", text)))


def contradiction(statement: str, sentence: str) -> float:
    """0 = no sign of contradiction; 1 = a quantity differs; 0.5-0.7 = a flipped negation or modality."""
    overlap = coverage(statement, sentence)
    said, have = quantities(statement), quantities(sentence)
    for unit in {u for u, _ in said}:
        ours = {v for u, v in said if u == unit}
        theirs = {v for u, v in have if u == unit}
        if theirs and not ours & theirs and overlap >= 0.3:
            return 0.5 if has_exception(sentence) else 1.0   # "ただし…その期間による" may allow other numbers
    if overlap < 0.4:                                    # not about the same thing: no polarity signal
        return 0.0
    if _negations(statement) % 2 != _negations(sentence) % 2:
        return 0.7
    if (MUST.search(statement) and MAY.search(sentence) and not MUST.search(sentence)) or \
            (MAY.search(statement) and MUST.search(sentence) and not MAY.search(sentence)):
        return 0.5
    return 0.0


def absolute_claim(text: str) -> bool:
    return bool(ABSOLUTE.search(text))


def has_exception(text: str) -> bool:
    return bool(EXCEPTION.search(text))


# ------------------------------------------------------------------------------------ passages

@dataclass(frozen=True)
class Passage:
    label: str                  # "金融商品取引法第18条第1項"
    text: str
    law: str = ""
    article: str = ""           # number key: "18", "27-32-2"
    paragraph: str = ""
    item: str = ""
    provision_id: str = ""      # store id in system mode

    @property
    def article_label(self) -> str:
        return f"{self.law}第{self.article.replace('-', 'の')}条" if self.article else self.law


HEADING = re.compile(r"^(#{2,5})\s*(.+?)\s*$")


def _num(text: str, unit: str) -> str:
    m = re.match(rf"第([0-9０-９〇一二三四五六七八九十百千]+)({unit})((?:の[0-9０-９〇一二三四五六七八九十百千]+)*)", text)
    if not m:
        return ""
    parts = [m.group(1)] + [p for p in m.group(3).split("の") if p]
    return "-".join(str(kanji_to_int(p)) for p in parts)


def context_passages(markdown: str) -> list[Passage]:
    """Passages of a lawqa-style context: `## law` / `### 第N条` / `#### 第N項` / `##### 第N号`, then text."""
    out: list[Passage] = []
    law, heads, lines = "", ["", "", ""], []

    def flush() -> None:
        text = " ".join(lines).strip()
        if text:
            art, para, item = _num(heads[0], "条"), _num(heads[1], "項"), _num(heads[2], "号")
            label = law + "".join(h for h in heads if h)
            out.append(Passage(label, text, law, art, para, item))
        lines.clear()

    for line in markdown.splitlines():
        m = HEADING.match(line)
        if not m:
            lines.append(line.strip())
            continue
        flush()
        depth, title = len(m.group(1)), m.group(2)
        if depth == 2:
            law, heads = title, ["", "", ""]
        else:
            heads[depth - 3] = title
            heads[depth - 2:] = [""] * (3 - (depth - 2))
    flush()
    return out


def store_passages(provisions) -> list[Passage]:
    """Passages for store provisions (paragraph or article level), keyed like the lawqa ones."""
    out = []
    for p in provisions:
        parts = dict(re.findall(r"(a|p|i)([0-9][0-9\-]*)", p.address.replace("/", " ")))
        out.append(Passage(p.citation, p.text, p.title, parts.get("a", ""), parts.get("p", ""), parts.get("i", ""),
                           p.id))
    return out


# ------------------------------------------------------------------------------------ references

NUMK = "[0-9〇一二三四五六七八九十百千]+"
REF_TOKEN = re.compile(rf"(前|次|同)(条|項|号)|第({NUMK})(条|項|号)((?:の{NUMK})*)")
OTHER_LAW = re.compile(r"(?:法|令|則|律|規程|基準)$")    # '…法第五条' names another law: not followed


def _find(passages: list[Passage], law: str, article: str, paragraph: str = "", item: str = "") -> Passage | None:
    same = [p for p in passages if p.law == law and p.article == article]
    if paragraph:
        exact = [p for p in same if p.paragraph == paragraph and p.item == item]
        return exact[0] if exact else None
    return same[0] if same else None


def _step(key: str, delta: int) -> str:
    head = key.split("-")[0]
    return str(int(head) + delta) if head.isdigit() and int(head) + delta > 0 else ""


def _neighbour(passage: Passage, passages: list[Passage], delta: int) -> str:
    """The article key before (delta -1) or after (+1) the passage's article among those present."""
    keys = sorted({p.article for p in passages if p.law == passage.law and p.article},
                  key=lambda k: [int(x) for x in k.split("-") if x.isdigit()])
    if passage.article not in keys:
        return ""
    at = keys.index(passage.article) + delta
    return keys[at] if 0 <= at < len(keys) else ""


def _chains(text: str) -> list[list[tuple[str, str, str]]]:
    """Runs of adjacent reference words: '前条第一項' -> [('前', '条', ''), ('', '項', '1')]."""
    chains: list[list[tuple[str, str, str]]] = []
    end = -1
    for m in REF_TOKEN.finditer(text):
        if m.group(1):
            token = (m.group(1), m.group(2), "")
        else:
            try:
                number = "-".join(str(kanji_to_int(x)) for x in [m.group(3), *m.group(5).split("の")[1:]])
            except ValueError:
                continue
            token = ("", m.group(4), number)
        if chains and m.start() == end:
            chains[-1].append(token)
        elif not (token[0] == "" and OTHER_LAW.search(text[:m.start()])):
            chains.append([token])
        else:
            chains.append([("other", token[1], token[2])])          # kept only so 同条 does not bind to it
        end = m.end()
    return chains


def _resolve(chain, passage: Passage, passages: list[Passage], last: tuple[str, str]) -> tuple[str, str, str]:
    """(article, paragraph, item) a chain of reference words points to; article '' = not followed."""
    art, para, item, art_named = passage.article, "", "", False
    delta = {"前": -1, "次": 1}
    for rel, unit, number in chain:
        if rel == "other":
            return "", "", ""
        if unit == "条":
            art_named = True
            art = number or (last[0] if rel == "同" else _neighbour(passage, passages, delta[rel]))
        elif unit == "項":
            para = number or (last[1] if rel == "同" else "" if art_named else _step(passage.paragraph, delta[rel]))
        else:
            para = para or ("1" if art_named else passage.paragraph)
            item = number or ("" if art_named else _step(passage.item, delta.get(rel, 0)))
    return art, para, item


def referenced(passage: Passage, passages: list[Passage]) -> list[Passage]:
    """The passages that 前項 / 前条 / 同条第二項 / 第五条 … inside `passage` point to (when present)."""
    found: list[Passage] = []
    last = (passage.article, passage.paragraph)
    for chain in _chains(unicodedata.normalize("NFKC", passage.text)):
        art, para, item = _resolve(chain, passage, passages, last)
        if not art:
            continue
        last = (art, para)
        target = _find(passages, passage.law, art, para, item)
        if target is not None and target != passage and target not in found:
            found.append(target)
    return found


# ------------------------------------------------------------------------------------ questions

def parse_choices(text: str) -> dict[str, str]:
    """'a 目論見書には…\\nb …' -> {'a': '目論見書には…', 'b': …}."""
    choices: dict[str, str] = {}
    for line in text.splitlines():
        m = re.match(r"^\s*([a-dａ-ｄA-D])[\s　.．:：)）]+(.+)$", line)
        if m:
            choices[unicodedata.normalize("NFKC", m.group(1)).lower()] = m.group(2).strip()
        elif choices and line.strip():
            last = list(choices)[-1]
            choices[last] += line.strip()
    return choices


def question_polarity(question: str) -> tuple[str, bool]:
    """(the question in its positive form, whether the choice with the least support is wanted)."""
    for negative, positive in NEGATIVE_FORMS:
        if negative in question:
            return question.replace(negative, positive), True
    return question, False


def is_statement(question: str) -> bool:
    """'…正しいものを教えてください' asks which statement is true; other questions ask for an instance."""
    return bool(re.search(r"(正しい|誤っている|誤り|適切な|適切でない|不適切な)もの", question)) and \
        not re.search(r"条文として", question)


# ------------------------------------------------------------------------------------ reading

@dataclass
class ChoiceReading:
    letter: str
    text: str
    evidence: list[Passage] = field(default_factory=list)
    sentences: list[str] = field(default_factory=list)
    coverage: float = 0.0           # share of the choice's content the decisive sentences hold
    contradiction: float = 0.0      # deterministic signals against the choice (0 = none)
    llm: float = 0.0                # log-odds of "yes" with the passages
    score: float = 0.0


@dataclass
class Reading:
    letter: str
    negative: bool
    choices: dict[str, ChoiceReading]
    kind: str = "statement"

    @property
    def cited(self) -> list[Passage]:
        """The passage the chosen letter rests on: the one holding its best decisive sentence."""
        chosen = self.choices.get(self.letter)
        return chosen.evidence[:1] if chosen else []


def decisive_sentences(statement: str, passages: list[Passage], n: int = DECISIVE) -> list[tuple[str, Passage]]:
    """The `n` sentences of `passages` that share most content with `statement`."""
    scored = [(coverage(statement, s), i, s, p) for p in passages for i, s in enumerate(sentences(p.text))]
    scored.sort(key=lambda x: (-x[0], x[1]))
    return [(s, p) for _, _, s, p in scored[:n]]


def _log_odds(p: float) -> float:
    p = min(max(p, 1e-6), 1 - 1e-6)
    return math.log(p / (1 - p))


CITED = re.compile(r"第([0-9〇一二三四五六七八九十百千]+)条((?:の[0-9〇一二三四五六七八九十百千]+)*)"
                   r"(?:第([0-9〇一二三四五六七八九十百千]+)項)?(?:第([0-9〇一二三四五六七八九十百千]+)号)?")


def cited_passages(choice: str, passages: list[Passage]) -> list[Passage]:
    """For a choice that names a provision ('第23条の2の15第3項'): the passages it names."""
    m = CITED.search(unicodedata.normalize("NFKC", choice).replace(" ", ""))
    if not m:
        return []
    article = "-".join(str(kanji_to_int(x)) for x in [m.group(1), *m.group(2).split("の")[1:]])
    para = str(kanji_to_int(m.group(3))) if m.group(3) else ""
    item = str(kanji_to_int(m.group(4))) if m.group(4) else ""
    laws = {p.law for p in passages if p.law and p.law in choice}
    same = [p for p in passages if p.article == article and (not laws or p.law in laws)]
    exact = [p for p in same if (not para or p.paragraph == para) and (not item or p.item == item)]
    return exact or [p for p in same if not p.paragraph]     # a source without paragraphs: the article


def choice_kind(question: str, choices: dict[str, str]) -> str:
    """'citation' (which provision says …), 'statement' (which statement is true) or 'candidate'."""
    if "条文" in question and all(CITED.search(unicodedata.normalize("NFKC", c).replace(" ", ""))
                                 for c in choices.values()):
        return "citation"
    return "statement" if is_statement(question) else "candidate"


def _evidence(picked: list[tuple[str, Passage]], passages: list[Passage]) -> list[Passage]:
    evidence: list[Passage] = []
    for _, p in picked:
        for q in [p, *referenced(p, passages)]:
            if q not in evidence:
                evidence.append(q)
    return evidence


def _prompt(kind: str, question: str, text: str) -> str:
    if kind == "statement":
        return f"記述: {text}\n\n上の条文によれば、この記述は正しいですか。"
    return f"問い: {question}\n回答: {text}\n\n上の条文によれば、この回答は正しいですか。"


def _quoted(picked: list[tuple[str, Passage]], evidence: list[Passage]) -> str:
    """The decisive sentences, then the passages they refer to (前条 / 前項 …), as quoted data."""
    blocks = [provision_block(p.label, s) for s, p in picked]
    shown = {p for _, p in picked}
    blocks += [provision_block(q.label, q.text, limit=REFERENCE_CHARS) for q in evidence if q not in shown]
    return "\n".join(blocks) or "（該当する条文はありません）"


def read_choice(backend, question: str, letter: str, text: str, passages: list[Passage],
                kind: str) -> ChoiceReading:
    if kind == "citation":
        named = cited_passages(text, passages)
        picked = [(s, p) for p in named for s in sentences(p.text)][:2 * DECISIVE]
        target = question
    else:
        probe = text if kind == "statement" else f"{text} {text} {question}"   # the choice weighs double
        picked = decisive_sentences(probe, passages)
        target = text
    quoted = [s for s, _ in picked]
    reading = ChoiceReading(letter, text, _evidence(picked, passages), quoted)
    joined = " ".join(quoted)
    reading.coverage = coverage(target, joined) if kind == "citation" else \
        max((coverage(text, s) for s in quoted), default=0.0)
    if kind != "citation":
        reading.contradiction = max((contradiction(text, s) for s in quoted), default=0.0)
        if absolute_claim(text) and any(has_exception(q.text) for q in reading.evidence):
            reading.contradiction = max(reading.contradiction, 0.5)
    if backend is not None:
        evidence = _quoted(picked, reading.evidence)
        reading.llm = _log_odds(yes_probability(backend, _prompt(kind, question, text), evidence, "ja"))
    return reading


def combine(c: ChoiceReading) -> float:
    """One support score: the LLM's log-odds, the lexical coverage, minus contradiction signals."""
    return c.llm + 2.0 * c.coverage - 4.0 * c.contradiction


def read_choices(backend, question: str, choices: dict[str, str], passages: list[Passage]) -> Reading:
    """Judge each choice against the passages; backend None = deterministic signals only."""
    positive, negative = question_polarity(question)
    kind = choice_kind(positive, choices)
    readings = {letter: read_choice(backend, positive, letter, text, passages, kind)
                for letter, text in sorted(choices.items())}
    for r in readings.values():
        r.score = combine(r)
    ranked = sorted(readings.values(), key=lambda r: r.score, reverse=not negative)
    return Reading(ranked[0].letter, negative, readings, kind)
