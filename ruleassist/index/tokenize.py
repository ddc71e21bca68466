"""Lexical tokens for BM25: SudachiPy content words for Japanese, lower-cased words for Latin text.

    tokens("特定自動運行の許可を受けなければならない")  -> ["特定", "自動", "運行", "許可", "受ける", ...]
    tokens("Reporting obligations of CBAM declarants") -> ["reporting", "obligation", "cbam", "declarant"]

Japanese tokens take Sudachi's normalised form (為る/する, 其の/その fold together), but only
for Japanese tokens: the normalised form turns English words into katakana (report ->
レポート), so a Latin token keeps its own lower-cased spelling. Particles, auxiliaries,
symbols and numerals are dropped; they match everywhere and only add noise.
"""
from __future__ import annotations

import re
import threading
import unicodedata

TOKENIZER_ID = "sudachi-core/A/normalized+latin-lower+article-refs/v2"

JAPANESE = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff々〆ヵヶ]")
LATIN_WORD = re.compile(r"[a-z0-9]+(?:['’][a-z]+)?")
# Sudachi refuses inputs over ~49 KB; articles rarely get close, PDF pages and annexes can.
SUDACHI_CHUNK = 4000
# 第二十七条の五 / 第27条の5: an article reference becomes one token "§27-5", so a question citing
# 法第27条第1項 matches the cabinet order article that says 法第二十七条第一項に規定する…
ARTICLE_REF = re.compile(r"第([0-9〇一二三四五六七八九十百千]+)条((?:の[0-9〇一二三四五六七八九十百千]+)*)")
CONTENT_POS = {"名詞", "動詞", "形容詞", "形状詞", "接尾辞"}
SKIP_SUBPOS = {"数詞", "非自立可能", "助数詞", "形状詞的", "動詞的", "形容詞的"}
# A short English list: legal English repeats these in every article.
STOPWORDS = frozenset(["a", "an", "and", "any", "are", "as", "at", "be", "been", "being", "by", "can", "for", "from", "has", "have", "if", "in", "into", "is", "it", "its", "may", "must", "no", "not", "of", "on", "or", "other", "shall", "should", "such", "than", "that", "the", "their", "them", "then", "there", "these", "this", "those", "to", "under", "upon", "was", "were", "where", "which", "who", "whom", "will", "with", "within", "without", "would"])

_local = threading.local()      # a Sudachi tokenizer is not safe to share between threads


def _sudachi():
    tok = getattr(_local, "sudachi", None)
    if tok is None:
        from sudachipy import Dictionary, SplitMode
        tok = (Dictionary(dict="core").tokenizer(), SplitMode.A)
        _local.sudachi = tok
    return tok


def fold_plural(word: str) -> str:
    """'obligations' -> 'obligation', 'authorities' -> 'authority'; a light stem, no dictionary."""
    if len(word) <= 3 or word.isdigit():
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def latin_tokens(text: str) -> list[str]:
    return [fold_plural(w) for w in LATIN_WORD.findall(text.lower()) if w not in STOPWORDS]


def _chunks(text: str, size: int = SUDACHI_CHUNK) -> list[str]:
    """Pieces under `size` characters, cut after 。 or a newline where possible."""
    out = []
    while len(text) > size:
        cut = max(text.rfind("。", 0, size), text.rfind("\n", 0, size))
        cut = cut + 1 if cut > size // 2 else size
        out.append(text[:cut])
        text = text[cut:]
    return out + [text] if text else out


def article_refs(text: str) -> list[str]:
    from ruleassist.numerals import number_key
    out = []
    for m in ARTICLE_REF.finditer(text):
        try:
            out.append("§" + number_key(m.group(1) + m.group(2)))
        except ValueError:          # 第百万条: not a numeral number_key reads; not a reference either
            continue
    return out


def _japanese_tokens(text: str) -> list[str]:
    tokenizer, mode = _sudachi()
    out: list[str] = article_refs(text)
    for chunk in _chunks(text):
        for m in tokenizer.tokenize(chunk, mode):
            surface = m.surface()
            if not JAPANESE.search(surface):       # English inside Japanese text keeps its spelling;
                out += [t for t in latin_tokens(surface) if not t.isdigit()]   # numbers live in § refs
                continue
            pos = m.part_of_speech()
            if pos[0] in CONTENT_POS and pos[1] not in SKIP_SUBPOS:
                out.append(m.normalized_form())
    return out


def tokens(text: str) -> list[str]:
    """BM25 tokens of one text (a provision or a query); [] when nothing searchable is left."""
    text = unicodedata.normalize("NFKC", text)
    if not JAPANESE.search(text):
        return latin_tokens(text)               # pure Latin text: no need to run Sudachi
    return _japanese_tokens(text)
