"""Ingest files and folders into the provision store, one transaction per file.

Bad files never stop a batch: each gets one line (file and reason), the rest goes on, and the
summary says what was read, written, unchanged, ignored (not documents) and skipped (errors).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

from ruleassist.catalogue import sha256_file
from ruleassist.errors import NotADocument, ParseError, RuleAssistError
from ruleassist.readers import read_file
from ruleassist.store import Store

SKIP_DIRS = {".git", "__pycache__", ".venv", "node_modules"}


@dataclass
class FileOutcome:
    path: Path
    status: str                   # written / unchanged / superseded / ignored / skipped
    doc_id: str = ""
    title: str = ""
    version: str = ""
    provisions: int = 0
    reason: str = ""


@dataclass
class IngestReport:
    outcomes: list[FileOutcome] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(o.status == status for o in self.outcomes)

    @property
    def provisions_written(self) -> int:
        return sum(o.provisions for o in self.outcomes if o.status == "written")

    @property
    def failed(self) -> list[FileOutcome]:
        return [o for o in self.outcomes if o.status == "skipped"]

    def summary(self) -> str:
        return (f"{len(self.outcomes)} files: {self.count('written')} written "
                f"({self.provisions_written} provisions), {self.count('unchanged')} unchanged, "
                f"{self.count('superseded')} superseded by a finer format, {self.count('ignored')} not documents, "
                f"{len(self.failed)} skipped")


def walk(paths: Iterable[Path]) -> list[Path]:
    """Files under the given paths, in a stable order; hidden files and tool folders left out."""
    files: list[Path] = []
    for path in map(Path, paths):
        if path.is_dir():
            files += sorted(p for p in path.rglob("*") if p.is_file() and not p.name.startswith(".")
                            and not SKIP_DIRS.intersection(p.parts))
        else:
            files.append(path)
    return files


def ingest_file(store: Store, path: Path, collection: str = "") -> FileOutcome:
    try:
        if not path.exists():
            raise ParseError(path, "no such file or folder")
        digest = sha256_file(path)
        if store.file_unchanged(path, digest):
            return FileOutcome(path, "unchanged")
        parsed = read_file(path)
        doc = parsed.document
        status = store.write(doc, parsed.provisions, digest, collection)
        outcome = FileOutcome(path, "written", doc.doc_id, doc.title, doc.version, len(parsed.provisions))
        if status != "written":
            outcome.status, outcome.provisions, outcome.reason = "superseded", 0, status
        return outcome
    except NotADocument as exc:
        return FileOutcome(path, "ignored", reason=exc.why)
    except ParseError as exc:
        return FileOutcome(path, "skipped", reason=exc.why)
    except RuleAssistError as exc:
        return FileOutcome(path, "skipped", reason=str(exc))
    except (OSError, ValueError, KeyError, IndexError, AttributeError, TypeError) as exc:
        # A reader bug or an odd file must not stop the batch; name the file and the cause.
        return FileOutcome(path, "skipped", reason=f"could not be read ({type(exc).__name__}: {exc}); "
                                                  "please report this file")


def ingest(store: Store, paths: Iterable[Path], collection: str = "",
           progress: Callable[[Path], None] = lambda _: None) -> IngestReport:
    report = IngestReport()
    for path in walk(paths):
        progress(path)
        report.outcomes.append(ingest_file(store, path, collection))
    return report
