"""A small family of exceptions; each message says what went wrong and what to do next."""
from __future__ import annotations

from pathlib import Path


class RuleAssistError(Exception):
    """Root of every error ruleassist raises on purpose."""


class ConfigError(RuleAssistError):
    pass


class ParseError(RuleAssistError):
    """A file could not be turned into provisions."""

    def __init__(self, path: Path | str, why: str, where: str = ""):
        self.path, self.why, self.where = Path(path), why, where
        at = f" ({where})" if where else ""
        super().__init__(f"{path}{at}: {why}")


class UnsupportedFormat(ParseError):
    def __init__(self, path: Path | str, known: list[str] | tuple[str, ...] = ()):
        hint = f"; known formats: {', '.join(known)}" if known else ""
        super().__init__(path, f"unknown format{hint}")


class NotADocument(ParseError):
    """Licences, READMEs and metadata sidecars: recognised and skipped, not an error."""


class CitationNotFound(RuleAssistError):
    pass


class StoreError(RuleAssistError):
    pass


class ModelError(RuleAssistError):
    pass


class MissingExtra(RuleAssistError):
    def __init__(self, module: str, extra: str):
        super().__init__(f"{module} is not installed; run: pip install 'ruleassist[{extra}]'")


class IndexError_(RuleAssistError):
    """The index is missing, corrupt or built for other settings (name avoids the builtin)."""


class QueryError(RuleAssistError):
    pass


class BackendError(RuleAssistError):
    pass
