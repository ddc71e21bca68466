"""The corpus catalogue (corpora/sources.toml) and `corpus sync`.

The catalogue names each source, its files in the mirror, its licence and the attribution line
that every report citing it carries. Sync copies the files into corpora/ (atomic, skipping
files whose hash already matches) and, on a machine that is online, fetches sources that the
mirror lacks by official id from the e-Gov law API or EUR-Lex.
"""
from __future__ import annotations

import hashlib
import os
import tempfile
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable

from ruleassist.errors import ConfigError
from ruleassist.files import copy_atomic

EGOV_API = "https://laws.e-gov.go.jp/api/2/law_data/{id}?response_format=xml"
EURLEX_HTML = "https://eur-lex.europa.eu/legal-content/EN/TXT/HTML/?uri=CELEX:{id}"


@dataclass(frozen=True)
class Source:
    id: str
    title: str
    jurisdiction: str
    kind: str
    official_id: str
    url: str
    starter: bool
    short_names: tuple[str, ...]
    files: tuple[str, ...]
    attribution: str
    licence: str


def load_catalogue(path: Path) -> list[Source]:
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: corpus catalogue missing; restore corpora/sources.toml from git") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from None
    sources = []
    for i, entry in enumerate(data.get("source", [])):
        try:
            sources.append(Source(**{**entry, "short_names": tuple(entry.get("short_names", ())),
                                     "files": tuple(entry.get("files", ()))}))
        except TypeError as exc:
            raise ConfigError(f"{path}: source #{i + 1} ({entry.get('id', '?')}): {exc}") from None
    return sources


def attribution_lines(sources: Iterable[Source], doc_ids: Iterable[str]) -> list[str]:
    """The distinct attribution lines for the documents a report cites (in catalogue order)."""
    wanted = set(doc_ids)
    lines: list[str] = []
    for s in sources:
        if s.id in wanted and s.attribution not in lines:
            lines.append(s.attribution)
    return lines


def catalogue_aliases(sources: Iterable[Source]) -> dict[str, str]:
    """Short names and titles -> document id, so citations like 金商法第5条 resolve."""
    return {name: s.id for s in sources for name in (s.title, *s.short_names) if name}


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


@dataclass
class SyncResult:
    copied: int = 0
    unchanged: int = 0
    fetched: int = 0
    missing: list[str] | None = None


def sync(sources: list[Source], mirror: Path | None, dest: Path, starter_only: bool = True,
         online: bool = False, step: Callable[[str], None] = lambda _: None) -> SyncResult:
    """Fill `dest` with the catalogue's files from the mirror; fetch the rest when online."""
    result = SyncResult(missing=[])
    for source in sources:
        if starter_only and not source.starter:
            continue
        for rel in source.files:
            step(rel)
            src, dst = (mirror / rel if mirror else None), dest / rel
            if src is not None and src.is_file():
                if dst.is_file() and sha256_file(dst) == sha256_file(src):
                    result.unchanged += 1
                else:
                    copy_atomic(src, dst)
                    result.copied += 1
            elif not dst.is_file():
                if online and fetch_official(source, dest):
                    result.fetched += 1
                else:
                    result.missing.append(rel)
    return result


def fetch_official(source: Source, dest: Path) -> bool:
    """Download a source by its official id (e-Gov law XML, EUR-Lex HTML). False when unreachable."""
    import httpx

    if not source.official_id:
        return False
    if source.jurisdiction == "JP":
        url, target = EGOV_API.format(id=source.official_id), dest / "jp" / "egov-api" / f"{source.official_id}.xml"
    else:
        url, target = EURLEX_HTML.format(id=source.official_id), dest / "eu" / "eurlex-online" / f"{source.official_id}.html"
    try:
        response = httpx.get(url, timeout=30, follow_redirects=True)
        response.raise_for_status()
    except httpx.HTTPError:
        return False
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent)
    with os.fdopen(fd, "wb") as f:
        f.write(response.content)
    os.replace(tmp, target)
    return True
