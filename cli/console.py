"""`shopbot staff …` (console accounts) and `shopbot nlu export-annotations`."""
from __future__ import annotations

import os
import sys
from pathlib import Path

import typer

from core.settings import get_settings

staff_app = typer.Typer(help="Staff console accounts.", no_args_is_help=True)
nlu_app = typer.Typer(help="NLU training data from the console.", no_args_is_help=True)


def _password(from_stdin: bool) -> str:
    """The new password: stdin, SHOPBOT_STAFF_PASSWORD (scripts), or a hidden prompt."""
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    if os.environ.get("SHOPBOT_STAFF_PASSWORD"):
        return os.environ["SHOPBOT_STAFF_PASSWORD"]
    return typer.prompt("密码", hide_input=True, confirmation_prompt=True)


@staff_app.command("add")
def add(username: str, role: str = typer.Option("agent", help="agent or admin"),
        password_stdin: bool = typer.Option(False, "--password-stdin", help="read the password from stdin")) -> None:
    """Create a staff account (or reset its password and role)."""
    from web.console.auth import add_staff

    try:
        add_staff(get_settings().db_url, username, _password(password_stdin), role)
    except ValueError as exc:
        typer.echo(f"错误：{exc}", err=True)
        raise typer.Exit(2)
    typer.echo(f"已保存员工账号 {username}（{role}）")


@staff_app.command("list")
def list_accounts() -> None:
    """Every account with its role and whether it may log in."""
    from web.console.auth import list_staff
    from store.db import migrate, session_scope

    url = get_settings().db_url
    migrate(url)
    with session_scope(url) as session:
        for user in list_staff(session):
            typer.echo(f"{user.username}\t{user.role}\t{'active' if user.active else 'disabled'}")


@staff_app.command("disable")
def disable(username: str) -> None:
    """Stop an account from logging in and end its sessions."""
    from web.console.auth import set_active

    if not set_active(get_settings().db_url, username, False):
        typer.echo(f"没有员工账号 {username}", err=True)
        raise typer.Exit(1)
    typer.echo(f"已停用 {username}")


@nlu_app.command("export-annotations")
def export(out: Path = typer.Option(None, help="default: data/nlu/annotations.yml")) -> None:
    """Write the console's annotations as Rasa NLU YAML; the next `shopbot train` uses them."""
    from web.console.teach import DEFAULT_EXPORT, export_annotations

    settings = get_settings()
    path = out or settings.path(DEFAULT_EXPORT)
    try:
        changed = export_annotations(settings.db_url, path)
    except (ValueError, OSError) as exc:
        typer.echo(f"错误：{exc}", err=True)
        raise typer.Exit(1)
    typer.echo(f"{path}: {changed} 条例句新增或更新" + ("，下次 shopbot train 会重新训练" if changed else ""))
