"""A Workspace bundles what every feature needs: config, store, and the index and LLM backend,
opened on first use and then shared (the CLI opens one per command, the app one per process).
"""
from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path

from ruleassist.config import Config, load_config
from ruleassist.store import Store


@dataclass
class Workspace:
    cfg: Config
    store: Store
    _index: object = field(default=None, repr=False)
    _backend: object = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @classmethod
    def open(cls, cfg: Config | None = None, store_path: Path | None = None) -> "Workspace":
        cfg = cfg or load_config()
        return cls(cfg, Store(store_path or cfg.store_path))

    def index(self):
        """The search index (ruleassist.index.open_index), loaded once."""
        with self._lock:
            if self._index is None:
                from ruleassist.index import open_index
                self._index = open_index(self.cfg, store=self.store)
            return self._index

    def backend(self):
        """The LLM backend that the config names (loads its model on first call)."""
        with self._lock:
            if self._backend is None:
                from ruleassist.backends import make_backend
                self._backend = make_backend(self.cfg)
            return self._backend
