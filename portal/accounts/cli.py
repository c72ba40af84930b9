from __future__ import annotations

import sys

import click
from flask.cli import with_appcontext

from portal.accounts import services
from portal.accounts.forms import password_problem
from portal.core.errors import ValidationFailed
from portal.core.roles import Role
from portal.extensions import db

users_cli = click.Group("users", help="Manage staff accounts.")


@users_cli.command("create")
@click.argument("username")
@click.option("--role", required=True, type=click.Choice([r.value for r in Role]))
@click.option("--display-name", default=None, help="Name shown to colleagues (defaults to USERNAME).")
@click.option("--language", default=None, type=click.Choice(["zh_CN", "en"]))
@with_appcontext
def create(username: str, role: str, display_name: str | None, language: str | None) -> None:
    """Create a user; the password is prompted for, or read from standard input when piped."""
    if sys.stdin.isatty():
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    else:
        password = sys.stdin.readline().rstrip("\n")
    problem = password_problem(password, username=username)
    if problem:
        raise click.ClickException(str(problem))
    try:
        user = services.user_create(username=username, display_name=display_name or username,
                                    role=Role(role), password=password, preferred_language=language)
    except ValidationFailed as error:
        raise click.ClickException(error.message) from None
    db.session.commit()
    click.echo(f"created {user.username} ({user.role.value})")
