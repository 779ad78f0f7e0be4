"""`shopbot recommender …`: train the recommenders and ask them from the command line."""
from __future__ import annotations

import json

import typer

from core.settings import get_settings

recommender_app = typer.Typer(help="Collaborative filtering and popularity models", no_args_is_help=True)


@recommender_app.command("train")
def recommender_train(engine: str = typer.Option(None, help="local (implicit) or spark; default from settings"),
                      full: bool = typer.Option(False, "--full", help="refit everything, no incremental ALS")) -> None:
    """Refit on the shipped history plus every event shoppers made in chat since."""
    from core.build import build_all
    from core.build import train_recommender

    settings = get_settings()
    if engine not in (None, "local", "spark"):
        raise typer.BadParameter("engine 只能是 local 或 spark")
    build_all(settings, only=["catalog"], log=lambda _: None)
    manifest = train_recommender(settings, incremental=not full, engine=engine, log=typer.echo)
    typer.echo(f"trained on {manifest.interactions} events: {manifest.users} users × {manifest.items} items "
               f"(engine {manifest.engine}) → {settings.cf_dir}")


@recommender_app.command("for")
def recommender_for(user: str = typer.Argument(..., help="shopper id (the chat sender id)"),
                    k: int = typer.Option(5, "--k"), category: str = typer.Option(None),
                    as_json: bool = typer.Option(False, "--json")) -> None:
    """Personal recommendations for one shopper, with the reason shown to them."""
    from core.services import make_personaliser

    settings = get_settings()
    personaliser = make_personaliser(settings)
    picks = personaliser.recommend(user, k=k, category=category)
    rows = [{"id": r.item, "title": personaliser.products[r.item].title, "score": r.score,
             "reason": r.reason, "source": r.source} for r in picks]
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False))
        return
    for row in rows:
        typer.echo(f"{row['id']}  {row['title'][:40]:<40}  {row['reason']}")


@recommender_app.command("complements")
def recommender_complements(item: str, k: int = typer.Option(4, "--k"),
                            as_json: bool = typer.Option(False, "--json")) -> None:
    """Items bought together with this one ("搭配推荐")."""
    from core.services import make_personaliser

    personaliser = make_personaliser(get_settings())
    rows = [{"id": r.item, "title": personaliser.products[r.item].title, "category": personaliser.products[r.item].category,
             "reason": r.reason} for r in personaliser.complements(item, k=k)]
    typer.echo(json.dumps(rows, ensure_ascii=False) if as_json else
               "\n".join(f"{r['id']}  {r['title'][:40]:<40}  {r['reason']}" for r in rows) or "没有搭配数据")
