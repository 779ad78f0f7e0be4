"""`shopbot catalog|interactions|privacy|db …`: the data layer from the command line."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import typer

from core.settings import get_settings

catalog_app = typer.Typer(help="Import and export the product catalog", no_args_is_help=True)
interactions_app = typer.Typer(help="Import shoppers' interactions or rating data", no_args_is_help=True)
privacy_app = typer.Typer(help="A shopper's data: export it or forget it", no_args_is_help=True)
db_app = typer.Typer(help="Database migrations (Alembic)", no_args_is_help=True)


def _report(report, what: str) -> None:
    """Print the per-line errors, then a summary; exit 1 when any row was refused."""
    for line, reason in report.errors:
        typer.echo(f"第 {line} 行：{reason}", err=True)
    verb = "would load" if report.dry_run else "loaded"
    typer.echo(f"{verb} {report.loaded} {what}; {len(report.errors)} bad rows")
    if report.errors:
        raise typer.Exit(1)


def _existing(path: Path) -> Path:
    if not path.exists():
        typer.echo(f"文件不存在：{path}", err=True)
        raise typer.Exit(2)
    return path


@catalog_app.command("import")
def catalog_import(file: Path, dry_run: bool = typer.Option(False, "--dry-run", help="validate only"),
                   categories: Path | None = typer.Option(None, help="categories JSONL to load first")) -> None:
    """Upsert products from CSV or JSONL; bad rows are reported by line, good rows load."""
    from store.catalog import import_categories, import_products

    url = get_settings().db_url
    if categories:
        _report(import_categories(url, _existing(categories)), "categories")
    _report(import_products(url, _existing(file), dry_run=dry_run), "products")


@catalog_app.command("export")
def catalog_export(output: Path | None = typer.Argument(None, help="file to write (default stdout)"),
                   fmt: str = typer.Option("jsonl", "--format", help="jsonl or csv")) -> None:
    """Write the catalog in the same format `catalog import` reads."""
    from store.catalog import export_products

    if fmt not in ("jsonl", "csv"):
        raise typer.BadParameter("format must be jsonl or csv")
    if output is None:
        export_products(get_settings().db_url, sys.stdout, fmt)
        return
    with output.open("w", encoding="utf-8", newline="") as fh:
        count = export_products(get_settings().db_url, fh, fmt)
    typer.echo(f"exported {count} products to {output}", err=True)


@interactions_app.command("import")
def interactions_import(file: Path, dataset: str | None = typer.Option(
        None, help="name to file the rows under (default: shop, or movielens for ratings files)"),
        replace: bool = typer.Option(False, help="replace the dataset's existing rows"),
        dry_run: bool = typer.Option(False, "--dry-run")) -> None:
    """Stream our event CSV (user_id,product_id,event,rating,timestamp) or a MovieLens
    userId,movieId,rating,timestamp file into the database."""
    from store.history import import_interactions

    report = import_interactions(get_settings().db_url, _existing(file), dataset=dataset,
                                 dry_run=dry_run, replace=replace)
    _report(report, "interactions")


@privacy_app.command("export")
def privacy_export(user: str = typer.Option(..., "--user")) -> None:
    """Everything held about a shopper, as JSON: profile, events, cart, orders, annotations, chats."""
    from store.privacy import export_user

    settings = get_settings()
    data = export_user(settings.db_url, user, settings.tracker_db_url)
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def _nlu_files(given: list[Path] | None) -> list[Path]:
    """The exported annotation files to scrub: the ones given, else the export's default path."""
    from web.console.teach import DEFAULT_EXPORT

    return list(given) if given else [get_settings().path(DEFAULT_EXPORT)]


@privacy_app.command("forget")
def privacy_forget(user: str = typer.Option(..., "--user"),
                   nlu_file: list[Path] | None = typer.Option(
                       None, "--nlu-file", help="exported annotations to remove the shopper's examples from "
                       "(repeatable; default data/nlu/annotations.yml)"),
                   yes: bool = typer.Option(False, "--yes", help="don't ask for confirmation")) -> None:
    """Delete a shopper's profile, events, cart, annotations and conversations (shop database and
    the profile's tracker store); anonymise their orders."""
    import yaml

    from web.console.nlu_forget import export_scrubber
    from store.privacy import forget_user

    if not yes:
        typer.confirm(f"Forget everything about {user}?", abort=True)
    settings = get_settings()
    try:
        counts = forget_user(settings.db_url, user, settings.tracker_db_url,
                             export_scrubber(_nlu_files(nlu_file)))
    except (ValueError, OSError, yaml.YAMLError) as exc:  # an NLU file we cannot read or rewrite
        typer.echo(f"error: {exc} (the shop database and tracker store were not changed)", err=True)
        raise typer.Exit(1)
    typer.echo(json.dumps(counts, ensure_ascii=False))
    if counts["nlu_examples"]:
        typer.echo("training examples removed: run `shopbot train` so the model forgets them too", err=True)


@db_app.command("upgrade")
def db_upgrade(revision: str = typer.Argument("head")) -> None:
    from store.db import migrate

    migrate(get_settings().db_url, revision)
    typer.echo(f"database at {revision}")


@db_app.command("downgrade")
def db_downgrade(revision: str) -> None:
    from store.db import downgrade

    downgrade(get_settings().db_url, revision)
    typer.echo(f"database at {revision}")
