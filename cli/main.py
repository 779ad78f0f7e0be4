"""`shopbot`: set up, build, run and poke at Daogou from the command line."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time

import typer

from cli.console import nlu_app, staff_app
from cli.data import catalog_app, db_app, interactions_app, privacy_app
from cli.eval import eval_app
from cli.recommender import recommender_app
from cli.search import index_app, search
from core.settings import get_settings

app = typer.Typer(help="Daogou (导购) shopping assistant", no_args_is_help=True)


@app.callback()
def private_by_default() -> None:
    """Everything shopbot and its servers create (databases, secrets, logs) is owner-only."""
    os.umask(0o077)

app.add_typer(index_app, name="index")
app.command()(search)
app.add_typer(catalog_app, name="catalog")
app.add_typer(interactions_app, name="interactions")
app.add_typer(privacy_app, name="privacy")
app.add_typer(db_app, name="db")
app.add_typer(eval_app, name="eval")
app.add_typer(recommender_app, name="recommender")
app.add_typer(staff_app, name="staff")
app.add_typer(nlu_app, name="nlu")
events_app = typer.Typer(help="the chat data-collection consumer (production profile)")
app.add_typer(events_app, name="events")
identity_app = typer.Typer(help="shopper identity tokens (what a shop's backend mints)", no_args_is_help=True)
app.add_typer(identity_app, name="identity")


@identity_app.command("token")
def identity_token(user: str = typer.Argument(..., help="the shop's user id (the token's subject)"),
                   ttl: int = typer.Option(None, "--ttl", help="lifetime in seconds (default SHOPBOT_IDENTITY_TTL)",
                                           min=1)) -> None:
    """Print a signed identity token for USER: the widget's data-identity-token, or
    `Authorization: Bearer …` on POST /api/chat."""
    from core.identity import mint_identity

    settings = get_settings()
    try:
        token = mint_identity(settings.secret("identity_secret"), user, settings.identity_issuer,
                              ttl or settings.identity_ttl)
    except ValueError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2)
    typer.echo(token)


@events_app.command("consume")
def consume_events() -> None:
    """Write what shoppers were shown in chat (Rasa events on RabbitMQ) into the interactions table."""
    import logging

    from core.event_consumer import consume

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    logging.getLogger("pika").setLevel(logging.WARNING)  # it logs every connection step at INFO
    consume(get_settings())


@app.command()
def setup(force: bool = typer.Option(False, help="rebuild everything even if up to date")) -> None:
    """Build what is missing or stale: catalog DB, lexicon, index, CF model, Rasa model."""
    from core.build import build_all

    typer.echo("Building (each step is skipped when its inputs are unchanged):")
    build_all(get_settings(), force=force)


@app.command()
def train(force: bool = typer.Option(False, help="retrain even if nothing changed")) -> None:
    """Train the Rasa model (after regenerating the lexicon it depends on)."""
    from core.build import build_all

    build_all(get_settings(), only=["catalog", "lexicon", "rasa"], force=force)


@app.command()
def doctor() -> None:
    """Check Python versions, venvs, ports, artefacts and the model; say how to fix problems."""
    from cli.doctor import run_checks

    problems = 0
    for check in run_checks(get_settings()):
        mark = "ok " if check.ok else "!! "
        typer.echo(f"{mark} {check.name:<20} {check.detail}")
        if not check.ok:
            problems += 1
            typer.echo(f"    -> {check.fix}")
    typer.echo("all good" if not problems else f"{problems} problem(s)")
    raise typer.Exit(1 if problems else 0)


def _announce_ready(settings, started: float) -> None:
    from core.processes import wait_until_up

    try:
        waited = wait_until_up(f"{settings.rasa_url}/", timeout=600)
    except TimeoutError:
        typer.echo("Rasa did not come up within 10 minutes; see the rasa lines above.", err=True)
        return
    typer.echo(f"\n>>> Daogou is ready after {time.monotonic() - started:.0f}s "
               f"(Rasa loaded in {waited:.0f}s): open http://{settings.host}:{settings.web_port}/\n")


@app.command()
def run(build: bool = typer.Option(True, help="build what is stale before starting"),
        profile: str = typer.Option("", help="'production': PostgreSQL, Redis, RabbitMQ, "
                                             "two Rasa instances and two action workers")) -> None:
    """Start Rasa, the action server and the web app as one process group (Ctrl-C stops all)."""
    import os

    from honcho.manager import Manager

    from core.build import build_all
    from core.processes import commands, process_env
    from store.db import ensure_database

    if profile:
        os.environ["SHOPBOT_PROFILE"] = profile
        get_settings.cache_clear()
    settings = get_settings()
    started = time.monotonic()
    if settings.production:
        ensure_database(settings.tracker_db_url)  # Rasa creates tables, not the database
    if build:
        typer.echo("Building (each step is skipped when its inputs are unchanged):")
        build_all(settings)
        typer.echo(f"Build check took {time.monotonic() - started:.1f}s")
    env = process_env(settings)
    manager = Manager()
    for name, argv in commands(settings).items():
        manager.add_process(name, subprocess.list2cmdline(argv), env=env, cwd=str(settings.root))
    typer.echo(f"Starting; the page is http://{settings.host}:{settings.web_port}/ "
               "(Rasa needs about a minute to load its model)")
    threading.Thread(target=_announce_ready, args=(settings, started), daemon=True).start()
    manager.loop()
    sys.exit(manager.returncode)


@app.command()
def shell() -> None:
    """`rasa shell` against the action server (started here if it is not running)."""
    from core.processes import action_command, port_free, process_env, wait_until_up

    settings = get_settings()
    env = process_env(settings)
    action = None
    if port_free(settings.internal_host, settings.action_port):
        action = subprocess.Popen(action_command(settings), env=env, cwd=settings.root)
        wait_until_up(f"http://{settings.internal_host}:{settings.action_port}/health", 120, action)
    # rasa shell runs its own server; give it a free internal port so it works beside `make run`.
    with socket.socket() as sock:
        sock.bind((settings.internal_host, 0))
        shell_port = sock.getsockname()[1]
    rasa = [settings.rasa_bin(), "shell", "--model", str(settings.path(settings.models_dir)),
            "--endpoints", "endpoints.yml", "--interface", settings.internal_host,
            "--port", str(shell_port)]
    try:
        code = subprocess.call(rasa, env=env, cwd=settings.root)
    finally:
        if action:
            action.terminate()
            action.wait()
    raise typer.Exit(code)


if __name__ == "__main__":
    app()
