"""Facts both EUR-Lex readers (formex.py, eurlex.py) take from a file and its lex-corpus folder.

The mirror keeps each act as works/<celex>/versions/<date>--<hash>/<file>, with meta.json
sidecars holding the CELEX number and the English title; the text itself is the fallback.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

from ruleassist.errors import ParseError
from ruleassist.readers import _eu

VERSION_DIR = re.compile(r"^(\d{4}-\d{2}-\d{2})--")

def head_bytes(path: Path, size: int = 4096) -> bytes:
    try:
        with open(path, "rb") as f:
            return f.read(size)
    except OSError:
        return b""


def sidecar_facts(path: Path) -> tuple[str, str, str]:
    """(celex, title, version date) from the lex-corpus folders: works/<celex>/versions/<date>--<hash>/."""
    vdir = next((p for p in path.parents if VERSION_DIR.match(p.name)), None)
    if vdir is None:
        return "", "", ""
    version = VERSION_DIR.match(vdir.name).group(1)
    celex = title = ""
    for meta_path in (vdir / "meta.json", vdir.parent.parent / "meta.json"):
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        celex = celex or meta.get("raw", {}).get("celex", "") or meta.get("work_identifier", "").rsplit("/", 1)[-1]
        en = [e for e in meta.get("expressions", []) if e.get("language") == "en"]
        title = title or (en[0].get("title", "") if en else "") or meta.get("title", "")
    return _eu.base_celex(celex) if celex else "", title, version


def document(path: Path, fmt: str, celex: str, title: str, version: str):
    side_celex, side_title, side_version = sidecar_facts(path)
    celex, title, version = side_celex or celex, side_title or title, side_version or version
    if not celex:
        raise ParseError(path, "no CELEX number found: no meta.json sidecar and none in the text; "
                               "keep the file inside its works/<celex>/versions/<date>--<hash>/ folder")
    return _eu.make_document(celex, title, fmt, path, version)
