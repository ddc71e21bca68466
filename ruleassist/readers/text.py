"""Plain text and Markdown: the fallback reader, tried after every specific format.

A file with Markdown headings ("# ...") gives one provision per heading, addressed by a slug of
the heading ("s-introduction"), so ids survive edits elsewhere in the file; text before the first
heading becomes "preamble". A file without headings gives one provision per blank-line-separated
paragraph ("para-3"): there is nothing better to name them by. Line numbers are lines of the file.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from ruleassist.readers import Parsed, read_text
from ruleassist.records import Document, Provision

HEADING = re.compile(r"(#{1,6})\s+(.+?)(?:\s+#+)?\s*")
FENCE = re.compile(r"\s*(```|~~~)")
JAPANESE = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uff66-\uff9f]")
LATIN = re.compile(r"[A-Za-z]")


@dataclass
class Block:
    address: str
    heading: str
    level: str
    start: int                      # first line of the file (1-based), heading included
    lines: list[str]                # the lines after the heading
    path: tuple[str, ...] = ()
    offset: int = 0                 # 1 when line `start` is the heading itself


class TextReader:
    name = "text"

    def accepts(self, path: Path) -> bool:
        return Path(path).suffix.lower() in (".txt", ".md", ".markdown")

    def read(self, path: Path) -> Parsed:
        path = Path(path)
        lines = read_text(path).replace("\r\n", "\n").replace("\r", "\n").split("\n")
        blocks = heading_blocks(lines) or paragraph_blocks(lines)
        text = "\n".join(lines)
        lang = "ja" if _mostly_japanese(text) else "en"
        doc = Document(doc_id=f"file:{path.stem}", title=_title(lines, path),
                       jurisdiction="JP" if lang == "ja" else "INTL", kind="other", version="",
                       lang=lang, format="text", source=str(path))
        return Parsed(doc, [_provision(doc, b) for b in blocks if _body(b)])


def heading_blocks(lines: list[str]) -> list[Block]:
    """One block per Markdown heading (headings inside code fences are text); [] without headings."""
    blocks = [Block("preamble", "Preamble", "section", 1, [])]
    seen: dict[str, int] = {}
    trail: list[tuple[int, str]] = []         # (depth, heading) of the headings above this one
    fenced = False
    for n, line in enumerate(lines, start=1):
        fenced ^= bool(FENCE.match(line))
        m = None if fenced else HEADING.fullmatch(line)
        if m is None:
            blocks[-1].lines.append(line)
            continue
        depth, title = len(m[1]), m[2]
        trail = [t for t in trail if t[0] < depth] + [(depth, title)]
        blocks.append(Block(_unique(f"s-{slug(title)}", seen), title, "section", n, [],
                            tuple(t[1] for t in trail), offset=1))
    return blocks if len(blocks) > 1 else []


def paragraph_blocks(lines: list[str]) -> list[Block]:
    blocks: list[Block] = []
    current: Block | None = None
    for n, line in enumerate(lines, start=1):
        if not line.strip():
            current = None
        elif current is None:
            current = Block(f"para-{len(blocks) + 1}", f"para. {len(blocks) + 1}", "paragraph", n, [line])
            blocks.append(current)
        else:
            current.lines.append(line)
    return blocks


def slug(text: str) -> str:
    """'2.1 Scope & Field' -> '2-1-scope-field'; Japanese headings keep their letters."""
    text = unicodedata.normalize("NFKC", text).lower()
    text = re.sub(r"[`*_\[\]()]", "", text)
    return re.sub(r"[^\w]+", "-", text).strip("-") or "untitled"


def _unique(address: str, seen: dict[str, int]) -> str:
    # A repeated heading ("Example") gets -2, -3: stable while the headings before it stay.
    seen[address] = seen.get(address, 0) + 1
    return address if seen[address] == 1 else f"{address}-{seen[address]}"


def _body(block: Block) -> str:
    return "\n".join(block.lines).strip()


def _mostly_japanese(text: str) -> bool:
    ja, latin = len(JAPANESE.findall(text)), len(LATIN.findall(text))
    return ja > 0 and ja >= 0.3 * (ja + latin)


def _title(lines: list[str], path: Path) -> str:
    """The first top-level heading, else the first line with text."""
    tops = [m[2] for line in lines if (m := HEADING.fullmatch(line)) and len(m[1]) == 1]
    first = next((line.strip() for line in lines if line.strip()), "")
    return (tops[0] if tops else first.lstrip("# ").strip())[:200] or path.stem


def _provision(doc: Document, block: Block) -> Provision:
    # Trailing blank lines belong to no one: the range ends at the last line with text.
    last = block.start + max(i for i, line in enumerate(block.lines, start=block.offset) if line.strip())
    return Provision(doc_id=doc.doc_id, address=block.address, heading=block.heading, text=_body(block),
                     level=block.level, title=doc.title, jurisdiction=doc.jurisdiction, kind=doc.kind,
                     version=doc.version, path=block.path, line_start=block.start, line_end=last,
                     lang=doc.lang, source=doc.source)
