"""`shopbot search` and `shopbot index …`: retrieval from the command line."""
from __future__ import annotations

import json
import sys

import typer

from core.settings import get_settings

index_app = typer.Typer(help="The FAISS product index", no_args_is_help=True)
RESULT_FIELDS = ("id", "title", "brand", "category", "price", "color", "score")


@index_app.command("build")
def index_build(force: bool = typer.Option(False, help="rebuild even if the catalog is unchanged")) -> None:
    """Build the embedding index (re-encoding only products whose text changed)."""
    from core.build import build_all

    build_all(get_settings(), only=["catalog", "index"], force=force)


@index_app.command("ship")
def index_ship() -> None:
    """Write the shipped catalog's vectors to data/catalog/ so fresh clones skip encoding."""
    from core.build import shipped_embeddings
    from retrieval.index import EmbeddingCache
    from core.services import read_catalog

    settings = get_settings()
    texts = [p.embedding_text() for p in read_catalog(settings)[0]]
    target = shipped_embeddings(settings)
    EmbeddingCache(settings.index_dir, settings.embedding_model).save(target, only=texts)
    typer.echo(f"wrote {len(texts)} vectors to {target}")


@index_app.command("status")
def index_status() -> None:
    """Print the index manifest."""
    from retrieval.index import IndexManifest

    manifest = IndexManifest.read(get_settings().index_dir)
    typer.echo(json.dumps(manifest.__dict__ if manifest else None, ensure_ascii=False, indent=2))


@index_app.command("add")
def index_add(product_ids: list[str]) -> None:
    """Add (or re-encode) single products from the database without a rebuild."""
    from retrieval.encoder import load_encoder
    from retrieval.index import IndexMismatch, load_index
    from core.services import read_catalog

    settings = get_settings()
    products = {p.id: p for p in read_catalog(settings)[0]}
    unknown = [pid for pid in product_ids if pid not in products]
    if unknown:
        typer.echo(f"数据库里没有这些商品：{', '.join(unknown)}（先 shopbot catalog import）", err=True)
        raise typer.Exit(1)
    index = load_index(settings.index_dir)
    try:
        count = index.upsert([(pid, products[pid].embedding_text()) for pid in product_ids],
                             load_encoder(settings.embedding_model, settings.encoder_dir),
                             settings.embedding_model)
    except IndexMismatch as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from exc
    typer.echo(f"indexed {count} products; the index holds {index.manifest.count}")


@index_app.command("remove")
def index_remove(product_ids: list[str]) -> None:
    """Remove single products from the index without a rebuild."""
    from retrieval.index import load_index

    index = load_index(get_settings().index_dir)
    removed = index.remove(product_ids)
    typer.echo(f"removed {removed} products; the index holds {index.manifest.count}")


def search_json(searcher, query: str, k: int) -> str:
    """One JSON line: the query, how it was understood, and the results."""
    parsed = searcher.parse(query)
    results = [{f: getattr(r, f) for f in RESULT_FIELDS} for r in searcher.search(parsed, k)]
    return json.dumps({"query": query, "parsed": parsed.as_dict(), "results": results},
                      ensure_ascii=False)


def search(query: str = typer.Argument(..., help="the query, or - to read one query per line from stdin"),
           k: int = typer.Option(5, "--k"), as_json: bool = typer.Option(False, "--json")) -> None:
    """Search the catalog as the assistant would (the model loads once for all queries)."""
    from core.services import make_searcher

    searcher = make_searcher(get_settings())
    queries = (line.strip() for line in sys.stdin) if query == "-" else iter([query])
    for text in queries:
        if not text:
            continue
        if as_json:
            typer.echo(search_json(searcher, text, k))
            continue
        for r in searcher.search(text, k):
            typer.echo(f"{r.score:.4f}  ¥{r.price:>8.1f}  {r.title}")
