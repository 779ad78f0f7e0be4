"""`shopbot eval …`: offline evaluation from the command line."""
from __future__ import annotations

import json
from pathlib import Path

import typer

from bot.settings import get_settings

eval_app = typer.Typer(help="Offline evaluation", no_args_is_help=True)
DEFAULT_QUERIES = Path("data/eval/retrieval_queries.jsonl")


@eval_app.command("retrieval")
def eval_retrieval(queries: Path = typer.Option(DEFAULT_QUERIES, help="labelled queries (JSONL)"),
                   k: int = typer.Option(10, "--k"), as_json: bool = typer.Option(False, "--json")) -> None:
    """nDCG@k, MRR@k and P@5 for BM25-only, dense-only and hybrid, side by side."""
    from bot.services import make_searcher
    from retrieval.evaluate import evaluate, load_queries

    settings = get_settings()
    labelled = load_queries(settings.path(queries))
    scores = evaluate(make_searcher(settings), labelled, k=k)
    if as_json:
        typer.echo(json.dumps({"queries": len(labelled), "k": k,
                               **{m: s.__dict__ for m, s in scores.items()}}))
        return
    typer.echo(f"{len(labelled)} labelled queries")
    typer.echo(f"{'mode':<8} {'nDCG@' + str(k):>9} {'MRR@' + str(k):>8} {'P@5':>7}")
    for mode in ("bm25", "dense", "hybrid"):
        s = scores[mode]
        typer.echo(f"{mode:<8} {s.ndcg:>9.4f} {s.mrr:>8.4f} {s.p5:>7.4f}")
