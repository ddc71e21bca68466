"""Batch gap runs over many EU acts: cached, resumable, concurrent on a server backend.

    run = run_gaps(ws, ["CBAM", "CSDDD", "CSRD"], progress=print)
    for act in run.acts: act.results        # one GapResult per obligation, in document order

Every result is written to a SQLite cache (cfg.cache_dir/gaps.sqlite) the moment it is
computed, keyed by (hash of the obligation's wording, version of the Japanese corpus, method
and model). So an interrupted run loses nothing and the next run resumes where it stopped;
a re-run after an amendment recomputes only the obligations whose wording changed; a change
to any Japanese document recomputes everything (any article may now cover a duty).

With `llm_backend = "openai"` (vLLM and other OpenAI-compatible servers), obligations are
compared in `llm_concurrency` threads so the server can batch them; the local CPU model
runs them one by one (it serialises calls anyway, and threads would only add contention).
"""
from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
import time
from collections.abc import Callable
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from ruleassist.errors import BackendError, ModelError, QueryError
from ruleassist.reports.gap_index import open_retriever
from ruleassist.reports.gaps import (
    METHOD,
    ActSubject,
    GapChecker,
    GapResult,
    act_subject,
    base_result,
    subject_text_of,
)
from ruleassist.reports.obligations import (
    Obligation,
    extract_obligations,
    obligations_from,
    resolve_act,
)
from ruleassist.store import Store

Progress = Callable[[dict], None]


class GapCache:
    """(obligation key, corpus version, method) -> result JSON, one row per obligation."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self.db = sqlite3.connect(self.path, timeout=30, check_same_thread=False, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("CREATE TABLE IF NOT EXISTS results (key TEXT, corpus TEXT, method TEXT, result TEXT, "
                        "created TEXT, PRIMARY KEY (key, corpus, method))")

    def get(self, key: str, corpus: str, method: str) -> dict | None:
        with self._lock:
            row = self.db.execute("SELECT result FROM results WHERE key=? AND corpus=? AND method=?",
                                  (key, corpus, method)).fetchone()
        return json.loads(row[0]) if row else None

    def put(self, key: str, corpus: str, method: str, result: dict) -> None:
        with self._lock:
            self.db.execute("INSERT OR REPLACE INTO results VALUES (?,?,?,?,?)",
                            (key, corpus, method, json.dumps(result, ensure_ascii=False),
                             datetime.now(UTC).isoformat(timespec="seconds")))

    def count(self) -> int:
        with self._lock:
            return self.db.execute("SELECT COUNT(*) FROM results").fetchone()[0]


def japanese_corpus_version(store: Store) -> str:
    """A short hash of every current Japanese document (id, version, file hash)."""
    rows = sorted((d["doc_id"], d["version"], d["sha256"] or "") for d in store.documents() if d["jurisdiction"] == "JP")
    if not rows:
        raise QueryError(f"the store {store.path} holds no Japanese documents, so there is nothing to compare with; "
                         "ingest them first: ruleassist ingest corpora/jp")
    return hashlib.sha256(json.dumps(rows).encode()).hexdigest()[:16]


@dataclass
class ActGaps:
    name: str                   # as asked: "CBAM", a CELEX number or a file
    act_id: str
    title: str
    version: str
    results: list[GapResult] = field(default_factory=list)
    computed: int = 0
    cached: int = 0
    seconds: float = 0.0
    notices: list[str] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for r in self.results:
            out[r.status] = out.get(r.status, 0) + 1
        return out


@dataclass
class GapRun:
    acts: list[ActGaps]
    corpus_version: str
    method: str
    stopped: str = ""           # why the run stopped early (the rest resumes from the cache)
    notices: list[str] = field(default_factory=list)


@dataclass
class _Act:
    name: str
    obligations: list[Obligation]
    act_id: str
    title: str
    version: str
    subject_text: str = ""


def load_acts(store: Store, names: list[str]) -> list[_Act]:
    """Resolve every name first, so a typo fails before hours of work, with suggestions."""
    out = []
    for name in names:
        path = Path(name)
        if path.suffix and path.is_file():
            from ruleassist.readers import read_file
            parsed = read_file(path)
            obligations = obligations_from(parsed.document, parsed.provisions)
            out.append(_Act(name, obligations, parsed.document.doc_id, parsed.document.title, parsed.document.version,
                            subject_text_of(parsed.provisions)))
            continue
        doc_id = resolve_act(store, name)
        doc = store.document(doc_id)
        out.append(_Act(name, extract_obligations(store, doc_id), doc_id, doc.title, doc.version,
                        subject_text_of(store.provisions(doc_id))))
    return out


def run_gaps(ws, names: list[str], progress: Progress | None = None, cache: GapCache | None = None,
             dense: bool = True) -> GapRun:
    """Gap results for every obligation of every act named; see the module docstring."""
    if not names:
        raise QueryError("name at least one EU act, e.g. ruleassist gaps CBAM CSDDD --out reports/")
    corpus = japanese_corpus_version(ws.store)
    acts = load_acts(ws.store, names)
    cache = cache or GapCache(ws.cfg.cache_dir / "gaps.sqlite")
    method = f"{METHOD}/{ws.cfg.llm_backend}:{ws.cfg.llm_model}"
    runner = _Runner(ws.cfg, _LazyChecker(ws, dense), cache, corpus, method, progress,
                     total=sum(len(a.obligations) for a in acts))
    run = GapRun([], corpus, method)
    for a in acts:
        act, stopped = runner.act(a)
        run.acts.append(act)
        if stopped:
            run.stopped = stopped
            break
    run.notices += runner.checker.notices
    return run


@dataclass
class _Runner:
    """One batch: the cache, the progress counts over all acts, and the comparison of one act at a time."""
    cfg: object
    checker: _LazyChecker
    cache: GapCache
    corpus: str
    method: str
    progress: Progress | None
    total: int
    done: int = 0

    def act(self, a: _Act) -> tuple[ActGaps, str]:
        act = ActGaps(a.name, a.act_id, a.title, a.version)
        if not a.obligations:
            act.notices.append(f"{a.name}: no obligations found ({a.title} has no sentence with 'shall', 'must' "
                               "or 'is required to' outside recitals); check that the right act or file was named")
        start = time.perf_counter()
        slots: list[GapResult | None] = [None] * len(a.obligations)
        todo = []
        for i, o in enumerate(a.obligations):
            hit = self.cache.get(o.key, self.corpus, self.method) if o.compare else None
            if not o.compare:
                slots[i] = base_result(o, "not compared")
            elif hit is not None:
                slots[i] = _refresh(GapResult(**hit), o)
                act.cached += 1
            else:
                todo.append(i)
        self.done += len(a.obligations) - len(todo)
        self._tell(a, slots)

        def finished(i: int, result: GapResult) -> None:
            self.cache.put(a.obligations[i].key, self.corpus, self.method, result.to_dict())
            slots[i] = result
            act.computed += 1
            self.done += 1
            self._tell(a, slots)

        stopped = ""
        try:
            _compute(self.cfg, self.checker, a.obligations, todo, finished, act_subject(a.obligations, a.subject_text))
        except (BackendError, ModelError) as exc:
            stopped = (f"the LLM backend failed while comparing {a.name} ({exc}); {self.done} of {self.total} "
                       f"obligations are done and cached in {self.cache.path}: fix the backend and run the same "
                       "command again to resume where it stopped")
        act.results = [r for r in slots if r is not None]
        act.seconds = round(time.perf_counter() - start, 1)
        if stopped:
            act.notices.append(f"incomplete: {len(act.results)} of {len(a.obligations)} obligations")
        return act, stopped

    def _tell(self, a: _Act, slots: list) -> None:
        if self.progress is not None:
            self.progress({"act": a.name, "done": sum(r is not None for r in slots), "total": len(a.obligations),
                           "overall_done": self.done, "overall_total": self.total})


def _compute(cfg, checker, obligations, todo: list[int], finished, subject: ActSubject) -> None:
    """Compare obligations[i] for i in todo, calling finished(i, result) for each as it completes."""
    if not (cfg.llm_backend == "openai" and cfg.llm_concurrency > 1):
        for i in todo:
            finished(i, checker.get().compare(obligations[i], subject))
        return
    with ThreadPoolExecutor(max_workers=cfg.llm_concurrency) as pool:
        futures = {pool.submit(checker.fresh().compare, obligations[i], subject): i for i in todo}
        failure: BaseException | None = None
        pending = set(futures)
        while pending:
            done_now, pending = wait(pending, return_when=FIRST_EXCEPTION)
            for f in done_now:
                if f.cancelled():
                    continue
                if f.exception() is not None:
                    failure = failure or f.exception()
                else:
                    finished(futures[f], f.result())      # every finished comparison is kept, even after a failure
            if failure is not None:
                for f in pending:
                    f.cancel()                            # queued work stops; running requests finish above
        if failure is not None:
            raise failure


class _LazyChecker:
    """Opens the index and the model only when something must be computed: a cached re-run loads neither."""

    def __init__(self, ws, dense: bool = True):
        self.ws, self.dense = ws, dense
        self._checker: GapChecker | None = None
        self._lock = threading.Lock()
        self.notices: list[str] = []

    def get(self) -> GapChecker:
        with self._lock:
            if self._checker is None:
                index, self.notices = open_retriever(self.ws, self.dense)
                self._checker = GapChecker(self.ws.store, index, self.ws.backend())
            return self._checker

    def fresh(self) -> GapChecker:
        """A checker per thread (its call counter is per comparison), sharing index and backend."""
        base = self.get()
        return GapChecker(base.store, base.index, base.backend, base.k_dense, base.k_bm25)


def _refresh(result: GapResult, o: Obligation) -> GapResult:
    """A cached result under the obligation's current pinpoint (an amendment may renumber)."""
    result.heading, result.citation, result.act_id, result.act_title = o.heading, o.citation, o.act_id, o.act_title
    return result
