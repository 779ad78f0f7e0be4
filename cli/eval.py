"""`shopbot eval …`: offline evaluation from the command line."""
from __future__ import annotations

import json
from pathlib import Path

import typer

from core.settings import get_settings

eval_app = typer.Typer(help="Offline evaluation", no_args_is_help=True)
DEFAULT_QUERIES = Path("data/eval/retrieval_queries.jsonl")
DEFAULT_JUDGEMENT = Path("data/eval/judgement.jsonl")
DEFAULT_SENTIMENT = Path("data/sentiment/test.tsv")


def reachable(url: str) -> None:
    """Stop with a clear message when no Rasa server answers at `url`."""
    import httpx

    try:
        httpx.get(url, timeout=5)
    except httpx.HTTPError:
        typer.echo(f"No Rasa server answers at {url}: start the assistant first (`make run`), "
                   "or pass --url.", err=True)
        raise typer.Exit(2)


@eval_app.command("retrieval")
def eval_retrieval(queries: Path = typer.Option(DEFAULT_QUERIES, help="labelled queries (JSONL)"),
                   k: int = typer.Option(10, "--k"), as_json: bool = typer.Option(False, "--json")) -> None:
    """nDCG@k, MRR@k and P@5 for BM25-only, dense-only and hybrid, side by side."""
    from core.services import make_searcher
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


@eval_app.command("judgement")
def eval_judgement(messages: Path = typer.Option(DEFAULT_JUDGEMENT, help="labelled messages (JSONL: text, kind, expect)"),
                   url: str = typer.Option(None, help="Rasa server (default: the settings' first instance; start it with `make run`)"),
                   as_json: bool = typer.Option(False, "--json"), misses: int = typer.Option(15, help="misses to list")) -> None:
    """Send every labelled message to the running assistant (a new shopper each) and print what
    it did against what it should do: confusion table, wrong product lists, complaints met, needs found."""
    from core.judgement import judge, load_set, rasa_speaker

    settings = get_settings()
    items = load_set(settings.path(messages))
    reachable(url or settings.rasa_url)
    report = judge(items, rasa_speaker(url or settings.rasa_url, settings.api_token()))
    if as_json:
        typer.echo(json.dumps({"messages": len(items), **report.rates(),
                               "confusion": {k: dict(v) for k, v in report.confusion.items()},
                               "misses": report.misses}, ensure_ascii=False))
        return
    typer.echo(f"{len(items)} labelled messages\n{report.table()}")
    for name, value in report.rates().items():
        typer.echo(f"{name}: {value:.1%}")
    for miss in report.misses[:misses]:
        typer.echo(f"  [{miss['kind']}] {miss['text'][:40]} → {miss['shown']} (expected {miss['expect']}): {miss['reply']}")


@eval_app.command("sentiment")
def eval_sentiment(messages: Path = typer.Option(DEFAULT_SENTIMENT, help="held-out stances: `label<TAB>text` "
                                                  "lines, or a judgement set (JSONL), whose kinds imply them"),
                   url: str = typer.Option(None, help="Rasa server (default: the settings' first instance)"),
                   as_json: bool = typer.Option(False, "--json")) -> None:
    """Accuracy of the served pipeline's sentiment (negative / neutral / positive) on labelled
    messages it never trained on, with the confusion table."""
    from core.judgement import load_stances, rasa_parser, sentiment_report

    settings = get_settings()
    try:
        pairs = load_stances(settings.path(messages))
    except (OSError, ValueError) as exc:
        typer.echo(f"无法读取标注文件：{exc}", err=True)
        raise typer.Exit(2)
    reachable(url or settings.rasa_url)
    report = sentiment_report(pairs, rasa_parser(url or settings.rasa_url, settings.api_token()))
    if as_json:
        typer.echo(json.dumps({"messages": len(pairs), "accuracy": report.accuracy(), "recall": report.recall(),
                               "confusion": {k: dict(v) for k, v in report.confusion.items()}}))
        return
    typer.echo(f"{len(pairs)} labelled messages, accuracy {report.accuracy():.1%}\n{report.table()}")


@eval_app.command("recommender")
def eval_recommender(ratings: Path = typer.Option(None, help="MovieLens-format file (userId,movieId,rating,timestamp); "
                                                              "default: the shop's events in the database"),
                     k: int = typer.Option(10, "--k"), engine: str = typer.Option("local", help="ALS engine: local or spark"),
                     sessions: bool = typer.Option(False, "--sessions", help="also the held-out-session protocol"),
                     complements: bool = typer.Option(False, "--complements",
                                                      help="also \"这个配什么\" on held-out baskets (shop data only)"),
                     sequential: list[str] = typer.Option(None, "--sequential", metavar="KEY=VALUE",
                                                          help="sequential model setting, repeatable "
                                                               "(e.g. --sequential max_len=200 --sequential epochs=200)"),
                     as_json: bool = typer.Option(False, "--json")) -> None:
    """Temporal leave-last-out (and with --sessions held-out sessions): P/R/F1/NDCG/MAP@k and
    coverage for popularity, user-CF, item-CF, ALS, the sequential model and the blend; with
    --complements, "这个配什么" at k=4 (what the chat shows) by each way of ordering the items."""
    from core.services import blend_weights
    from recommender.evaluate import evaluate, evaluate_complements, evaluate_sessions, standard_models
    from recommender.service import COMPLEMENTS_SHOWN
    from recommender.data import events_from_rows, read_ratings_file

    settings = get_settings()
    try:
        overrides = {key: json.loads(value) for key, value in (item.split("=", 1) for item in sequential or [])}
    except ValueError as exc:
        raise typer.BadParameter(f"--sequential 应写成 KEY=VALUE，如 epochs=200（{exc}）")
    brand_of: dict[str, str] = {}
    category_of: dict[str, str] = {}
    if ratings is not None and complements:
        raise typer.BadParameter("--complements 需要商品类目，只能评估商城自己的数据（不带 --ratings）")
    if ratings is not None:
        try:
            events = list(read_ratings_file(ratings))
        except (OSError, ValueError) as exc:
            typer.echo(f"无法读取评分文件：{exc}", err=True)
            raise typer.Exit(2)
        source = str(ratings)
    else:
        from core.build import build_all
        from store.catalog import all_products
        from store.db import session_scope
        from store.history import interaction_rows

        build_all(settings, only=["catalog"], log=lambda _: None)
        with session_scope(settings.db_url) as session:
            events = events_from_rows(interaction_rows(session))
            products = all_products(session)
            brand_of = {p.id: p.brand for p in products}
            category_of = {p.id: p.category for p in products if p.category}
        source = "shop database"
    models = standard_models(explicit=all(e.event == "rating" for e in events), engine=engine,
                             master=settings.spark_master, weights=blend_weights(settings), brand_of=brand_of,
                             sequential=overrides)
    protocols = {"leave-last-out": evaluate(events, models, k=k)}
    if sessions:
        protocols["sessions"] = evaluate_sessions(events, models, k=k)
    if complements:
        protocols["complements"] = evaluate_complements(events, category_of, brand_of, k=COMPLEMENTS_SHOWN,
                                                        weights=blend_weights(settings), sequential=overrides)
    if as_json:
        report = {"source": source, "events": len(events), "k": k,
                  "models": {name: m.as_dict() for name, m in protocols["leave-last-out"].items()}}
        for protocol in ("sessions", "complements"):
            if protocol in protocols:
                report[protocol] = {name: m.as_dict() for name, m in protocols[protocol].items()}
        typer.echo(json.dumps(report, ensure_ascii=False))
        return
    for protocol, scores in protocols.items():
        first = next(iter(scores.values()), None)
        counted = {"leave-last-out": "users evaluated", "sessions": "next-item predictions in held-out sessions",
                   "complements": "held-out pairs (bought item → next item from another category)"}[protocol]
        cut = COMPLEMENTS_SHOWN if protocol == "complements" else k
        width = max(12, *(len(name) for name in scores))
        typer.echo(f"{source}: {len(events)} events, {first.users if first else 0} {counted} ({protocol})")
        typer.echo(f"{'model':<{width}} {'P@' + str(cut):>8} {'R@' + str(cut):>8} {'F1@' + str(cut):>8} "
                   f"{'NDCG@' + str(cut):>8} {'MAP@' + str(cut):>8} {'coverage':>9} {'fit s':>7}")
        for name, m in scores.items():
            typer.echo(f"{name:<{width}} {m.precision:>8.4f} {m.recall:>8.4f} {m.f1:>8.4f} {m.ndcg:>8.4f} "
                       f"{m.map:>8.4f} {m.coverage:>9.3f} {m.fit_seconds:>7.2f}")
