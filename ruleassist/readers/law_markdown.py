"""Japanese law Markdown (e-Gov converted to `# title` / `<a id="第一条"></a>` / `**第一条**`).

The conversion dropped paragraph numbers, item numbers and captions, so only articles can be
cited: every provision is article level and says so in its note. It also dropped the 附則
labels; a 附則 shows only as article numbering that starts again (第一条 after 第百三十二条),
so blocks are split there and numbered ('suppl-1/a1', 'suppl-2/a1' …). 附則 made only of
paragraphs (no articles) did not survive the conversion at all.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from ruleassist.errors import ParseError
from ruleassist.numerals import article_heading
from ruleassist.readers import Parsed, read_text
from ruleassist.readers._jp import MD_NOTE, NUMERIC_KEY, label_key, make_document, make_provision, sniff
from ruleassist.records import Document, Provision

KANJI = "〇一二三四五六七八九十百千"
ARTICLE = f"第[{KANJI}]+条(?:の[{KANJI}]+)*"
# '**第百三十一条の二**の五' is one heading (the converter bolded only part of it); a range of
# deleted articles reads '**第百二十一条**及び第百二十二条'. Anything longer is sentence text.
HEADING = re.compile(rf"\*\*(?P<bold>{ARTICLE})\*\*(?P<tail>(?:の[{KANJI}]+)*"
                     rf"(?:(?:及び|から){ARTICLE}(?:まで)?)?)")
ANCHOR = re.compile(r"<a id=\"[^\"]*\"></a>")
SNIFF = re.compile(rf"^\*\*{ARTICLE}\*\*", re.MULTILINE)
LINK = re.compile(r"!?\[([^\[\]]*)\]\([^)]*\)")      # innermost first: links nest in law titles
END_OF_LAW = ("---", "## この法令を参照している法令")


@dataclass
class _Article:
    title: str
    key: str
    line: int
    block: int                      # 0 main provision, 1 … n the 附則 blocks in source order
    lines: list[str] = field(default_factory=list)
    end: int = 0


class LawMarkdownReader:
    name = "law_markdown"

    def accepts(self, path: Path) -> bool:
        if Path(path).suffix.lower() != ".md":
            return False
        head = sniff(path, 64 * 1024).decode("utf-8", errors="ignore")
        return SNIFF.search(head) is not None

    def read(self, path: Path) -> Parsed:
        path = Path(path)
        lines = read_text(path).splitlines()
        if not any(line.strip() for line in lines):
            raise ParseError(path, "empty file")
        title = next((ln[2:].strip() for ln in lines if ln.startswith("# ")), "")
        if not title:
            raise ParseError(path, "no '# title' line: not a law Markdown file")
        articles = _articles(lines)
        if not articles:
            raise ParseError(path, "no article headings ('<a id=…></a>' then '**第一条**') found")
        doc = make_document(path, path.stem, title, "", "law_markdown", article_level_only=True)
        return Parsed(doc, _provisions(doc, articles))


def _articles(lines: list[str]) -> list[_Article]:
    """Split the body at article headings; a heading is an anchor line followed by a bold number."""
    out: list[_Article] = []
    block, last = 0, None
    for i, line in enumerate(lines):
        if line.strip() in END_OF_LAW:
            break
        m = HEADING.fullmatch(line.strip())
        if m and _after_anchor(lines, i):
            title = m["bold"] + m["tail"]
            key = label_key(title)
            order = _order(key)
            if last is not None and order <= last:      # numbering starts again: a new 附則
                block += 1
            last = order
            out.append(_Article(title, key, i + 1, block))
        elif out:
            text = _plain(line)
            if text:
                out[-1].lines.append(text)
                out[-1].end = i + 1
    return out


def _after_anchor(lines: list[str], i: int) -> bool:
    """A real heading follows its anchor, which follows a blank line. Cells of 読替え tables such as
    '第七十五条の三' get an anchor too, but sit right under the previous cell's text."""
    return i > 1 and ANCHOR.fullmatch(lines[i - 1].strip()) is not None and not lines[i - 2].strip()


def _order(key: str) -> tuple[int, ...]:
    first = key.split(":")[0]
    return tuple(int(p) for p in first.split("-")) if NUMERIC_KEY.fullmatch(first) else (0,)


def _plain(line: str) -> str:
    """Markdown to the statute's plain text: links to their text, no anchors, bold or heading marks."""
    text = ANCHOR.sub("", line)
    while LINK.search(text):
        text = LINK.sub(r"\1", text)
    text = text.replace("**", "")
    text = re.sub(r"^\s*(?:#+|-)\s+", "", text)
    return text.strip()


def _provisions(doc: Document, articles: list[_Article]) -> list[Provision]:
    out, used = [], set()
    for art in articles:
        prefix, path = _block(art.block)
        address = f"{prefix}a{art.key}"
        n = 1
        while address in used:          # a repeated number inside one block: keep both, never overwrite
            n += 1
            address = f"{prefix}a{art.key}~{n}"
        used.add(address)
        pin = article_heading(art.key) if NUMERIC_KEY.fullmatch(art.key) else art.title
        out.append(make_provision(
            doc, address, ("附則" if art.block else "") + pin, "\n".join(art.lines) or art.title, "article",
            path=path + (art.title,), suppl=art.block > 0, note=MD_NOTE,
            line_start=art.line, line_end=art.end or art.line))
    return out


def _block(block: int) -> tuple[str, tuple[str, ...]]:
    """附則 blocks get an ordinal, not 'suppl/': the Markdown names no amending law, and when the
    enactment's own 附則 had no articles it was dropped, so the first block is often an amendment's."""
    if block == 0:
        return "", ()
    return f"suppl-{block}/", (f"附則（{block}番目・改正法名は原文になし）",)
