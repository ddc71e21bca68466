"""Kanji numerals ⇄ integers, and Japanese article numbers ⇄ address keys.

Japanese statutes write 第七十五条の十二第一項第二号; addresses use "75-12" for the
article (条の枝番 joined by "-"), "1" for the paragraph and "2" for the item.
"""
from __future__ import annotations

import re
import unicodedata

DIGITS = {"〇": 0, "零": 0, "一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9,
          "壱": 1, "弐": 2, "参": 3}
UNITS = {"十": 10, "百": 100, "千": 1000}
KANJI_DIGITS = "〇一二三四五六七八九"
KANJI_NUMBER = "[〇零一二三四五六七八九十百千壱弐参]+"
IROHA = "イロハニホヘトチリヌルヲワカヨタレソツネナラムウヰノオクヤマケフコエテアサキユメミシヱヒモセスン"


def kanji_to_int(text: str) -> int:
    """'七十五' -> 75, '百三十二' -> 132, '二〇二三' -> 2023. Arabic digits pass through."""
    text = unicodedata.normalize("NFKC", text).strip()
    if text.isdigit():
        return int(text)
    if not text or any(c not in DIGITS and c not in UNITS for c in text):
        raise ValueError(f"not a kanji numeral: {text!r}")
    if not any(c in UNITS for c in text):          # positional form: 二〇二三
        return int("".join(str(DIGITS[c]) for c in text))
    total, digit = 0, None
    for c in text:
        if c in DIGITS:
            digit = DIGITS[c]
        else:
            total += (1 if digit is None else digit) * UNITS[c]
            digit = None
    return total + (digit or 0)


def int_to_kanji(n: int) -> str:
    """75 -> '七十五', 132 -> '百三十二', 1000 -> '千' (statute style, no 一 before 十/百/千)."""
    if n < 0:
        raise ValueError("negative numbers have no statute form")
    if n == 0:
        return "〇"
    out = []
    for unit, char in ((1000, "千"), (100, "百"), (10, "十")):
        q, n = divmod(n, unit)
        if q:
            out.append(("" if q == 1 else KANJI_DIGITS[q]) + char)
    if n:
        out.append(KANJI_DIGITS[n])
    return "".join(out)


def number_key(text: str) -> str:
    """'七十五条の十二' / '七十五の十二' / '75の12' -> '75-12' (条 and 号 are dropped)."""
    text = unicodedata.normalize("NFKC", text)
    text = re.sub("[条号項]", "", text)
    parts = [p for p in text.split("の") if p]
    return "-".join(str(kanji_to_int(p)) for p in parts)


def key_to_kanji(key: str) -> str:
    """'75-12' -> '七十五の十二' (caller adds 条/項/号)."""
    return "の".join(int_to_kanji(int(p)) for p in key.split("-"))


def key_to_arabic(key: str) -> str:
    """'75-12' -> '75の12'."""
    return "の".join(key.split("-"))


def article_heading(article: str, paragraph: str = "", item: str = "", subitem: str = "",
                    arabic: bool = False) -> str:
    """('75-12', '1', '2') -> '第七十五条の十二第一項第二号' (or '第75条の12第1項第2号')."""
    conv = key_to_arabic if arabic else key_to_kanji
    def branched(key: str, unit: str) -> str:       # '3-2', '号' -> '第三号の二'
        first, *rest = key.split("-")
        return f"第{conv(first)}{unit}" + "".join(f"の{conv(r)}" for r in rest)

    head = branched(article, "条") if article else ""
    if paragraph:
        head += f"第{conv(paragraph)}項"
    if item:
        head += branched(item, "号")
    if subitem:
        head += subitem
    return head
