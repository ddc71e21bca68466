"""Adding a file to the corpus from the app: validated, stored whole or not at all, then indexed.

    path = store_upload(cfg, "/tmp/gradio/abc/規則.pdf", "規則.pdf", "pilot-zone")
    text = add_upload(ws, "/tmp/gradio/abc/規則.pdf", "pilot-zone", "ja")    # + ingest + index update

Checks, each with a message that says what to do: the collection is a plain name (no path);
the file name keeps only its last part (no `../`); the type is sniffed from the content and
must match the name (a PDF named .html is refused); the size is within cfg.upload_max_mb.
The file is parsed before anything is written to the store, and the store write is one
transaction, so a bad file leaves nothing behind.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from ruleassist.errors import ParseError, RuleAssistError
from ruleassist.files import copy_atomic

KINDS = {".pdf": "PDF", ".xml": "XML", ".html": "HTML", ".htm": "HTML"}
COLLECTION = re.compile(r"^[\w\-]{1,40}$")       # \w: letters and digits of any script, and _


def sniff(path: Path) -> str:
    """'PDF' / 'XML' / 'HTML' from the first bytes, '' when it is none of them."""
    with open(path, "rb") as f:
        head = f.read(4096)
    if head.startswith(b"%PDF-"):
        return "PDF"
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if b"<!doctype html" in text[:300] or re.search(rb"<html[\s>]", text):
        return "HTML"
    if text.startswith(b"<?xml") or re.match(rb"<[a-z_][\w\-.:]*[\s>]", text):
        return "XML"
    return ""


def check_upload(path: Path, name: str, collection: str, max_mb: int) -> tuple[str, str]:
    """(collection, safe file name) for an upload, or a RuleAssistError saying what is wrong."""
    collection = (collection or "").strip()
    if not COLLECTION.match(collection):
        raise RuleAssistError(f"collection name {collection!r} is not allowed: use 1-40 letters, digits, '-' or '_' "
                              "(no '/', '.' or spaces), e.g. pilot-zone")
    base = re.split(r"[\\/]", name or "")[-1]
    safe = re.sub(r"[^\w.\-]", "_", base).lstrip("._")
    suffix = Path(safe).suffix.lower()
    if suffix not in KINDS:
        raise ParseError(base or "(no name)", f"only {', '.join(sorted(KINDS))} files can be added; "
                         "convert the file or pick another")
    size = Path(path).stat().st_size
    if size == 0:
        raise ParseError(base, "the file is empty")
    if size > max_mb * 1024 * 1024:
        raise ParseError(base, f"the file is {size / 1048576:.1f} MB; the limit is {max_mb} MB (upload_max_mb)")
    found = sniff(Path(path))
    if found != KINDS[suffix]:
        what = f"looks like {found}" if found else "is not PDF, XML or HTML"
        raise ParseError(base, f"the name says {KINDS[suffix]} but the content {what}; upload the real file")
    return collection, safe


def store_upload(cfg, path: str | Path, name: str, collection: str) -> Path:
    """Copy a checked upload to corpora/uploads/<collection>/<name>, atomically; returns that path."""
    collection, safe = check_upload(Path(path), name, collection, cfg.upload_max_mb)
    root = (Path(cfg.corpora_dir) / "uploads").resolve()
    dest = (root / collection / safe).resolve()
    if root not in dest.parents:              # cannot happen after check_upload; kept as a second lock
        raise RuleAssistError(f"{name!r} would be written outside {root}; rename the file")
    return copy_atomic(Path(path), dest)


def add_upload(ws, file, collection: str, lang: str = "ja",
               progress: Callable[[float, str], None] = lambda f, m: None) -> str:
    """Check, parse, store and index one uploaded file; returns a one-line summary for the UI."""
    from ruleassist.index import update_index
    from ruleassist.ingest import ingest_file
    from ruleassist.readers import read_file

    if file is None:
        raise RuleAssistError("choose a file first (PDF, XML or HTML)" if lang == "en" else
                              "ファイルを選んでください（PDF・XML・HTML）")
    src = Path(getattr(file, "name", file))
    name = getattr(file, "orig_name", None) or src.name
    progress(0.1, "checking")
    collection, safe = check_upload(src, name, collection, ws.cfg.upload_max_mb)
    read_file(src)                             # parse before anything is kept: a bad file stores nothing
    dest = store_upload(ws.cfg, src, name, collection)
    progress(0.3, "storing")
    outcome = ingest_file(ws.store, dest, collection)
    if outcome.status == "skipped":
        dest.unlink(missing_ok=True)
        raise ParseError(safe, outcome.reason)
    progress(0.5, "indexing")
    report = update_index(ws.cfg, ws.store, progress=False)
    with ws._lock:                             # the next question loads the updated index
        ws._index = None
    progress(1.0, "done")
    if lang == "en":
        return (f"Added **{outcome.title or safe}** ({outcome.provisions} provisions) to collection "
                f"`{collection}`; {report.summary()}")
    return f"**{outcome.title or safe}**（{outcome.provisions} 条項）をコレクション `{collection}` に追加しました。{report.summary()}"
