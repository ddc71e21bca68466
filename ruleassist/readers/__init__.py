"""Readers turn one file into (Document, provisions). One module per format.

Every reader has the same tiny protocol:

    reader.accepts(path) -> bool          cheap sniff: is this file mine?
    reader.read(path) -> Parsed           Document + list of Provision; raises ParseError

`reader_for(path)` picks the first reader that accepts a file, in the order of READERS,
so more specific formats (e-Gov XML, EUR-Lex) come before general ones (PDF, text).
Files that are not documents (licences, READMEs, meta.json sidecars) raise NotADocument.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from ruleassist.errors import NotADocument, ParseError, UnsupportedFormat
from ruleassist.records import Document, Provision

NOT_DOCUMENTS = ("license", "licence", "readme", "notice", "copying", "sources", "manifest",
                 "meta.json", "laws_index.json")


@dataclass
class Parsed:
    document: Document
    provisions: list[Provision] = field(default_factory=list)


class Reader(Protocol):
    name: str

    def accepts(self, path: Path) -> bool: ...

    def read(self, path: Path) -> Parsed: ...


def _registry() -> list[Reader]:
    # Imported here so `import ruleassist.readers` stays cheap and free of cycles.
    from ruleassist.readers import (egov_html, egov_xml, esrs_markdown, eu_json, eurlex, formex, law_markdown, pdf,
                                    text)
    return [egov_xml.EgovXmlReader(), egov_html.EgovHtmlReader(), formex.FormexReader(),
            eurlex.EurlexHtmlReader(), eu_json.EuJsonReader(), law_markdown.LawMarkdownReader(),
            esrs_markdown.EsrsMarkdownReader(), pdf.PdfReader(), text.TextReader()]


def is_not_a_document(path: Path) -> bool:
    name = path.name.lower()
    return any(name.startswith(n) or name == n for n in NOT_DOCUMENTS)


def reader_for(path: Path) -> Reader:
    if is_not_a_document(path):
        raise NotADocument(path, "not a document (licence, README or metadata); skipped")
    readers = _registry()
    for reader in readers:
        if reader.accepts(path):
            return reader
    raise UnsupportedFormat(path, known=[r.name for r in readers])


def read_file(path: Path) -> Parsed:
    """Read one file with the reader that accepts it. Empty results are an error, not silence."""
    path = Path(path)
    if not path.is_file():
        raise ParseError(path, "no such file")
    if path.stat().st_size == 0:
        raise ParseError(path, "empty file")
    parsed = reader_for(path).read(path)
    if not parsed.provisions:
        raise ParseError(path, "no provisions found (is this the right format?)")
    return parsed


def read_text(path: Path) -> str:
    """Decode a text file; legacy Japanese encodings are tried before giving up with a clear reason."""
    raw = Path(path).read_bytes()
    for enc in ("utf-8-sig", "cp932", "euc_jp", "iso2022_jp"):
        try:
            return raw.decode(enc)
        except UnicodeDecodeError:
            continue
    raise ParseError(path, "not UTF-8 and not a known Japanese encoding (Shift_JIS/EUC-JP); re-save as UTF-8")
