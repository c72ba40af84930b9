"""Demo data: `flask --app app demo load` (idempotent) creates a user for every role."""
from __future__ import annotations

import click
from flask.cli import with_appcontext

from sqlalchemy import func, select

from portal.accounts import services as accounts
from portal.accounts.models import User
from portal.core.roles import Role
from portal.customers.demo import load_customer_demo
from portal.parts.demo import load_parts_demo
from portal.repairs.demo import load_case_demo
from portal.receipts.demo import load_signature_demo
from portal.carryin.demo import load_carryin_demo
from portal.returns.demo import load_returns_demo
from portal.visits.demo import load_visits_demo
from portal.complaints.demo import load_complaints_demo
from portal.reports.demo import load_reports_demo
from portal.extensions import db
from portal.settings import services as settings

DEMO_USERS = [
    ("admin", "系统管理员", Role.admin),
    ("manager", "王经理", Role.manager),
    ("clerk", "李内勤", Role.clerk),
    ("operator", "赵接线", Role.operator),
    ("tech", "张师傅", Role.technician),
    ("tech2", "刘师傅", Role.technician),
    ("warehouse", "陈库管", Role.warehouse),
]
DEMO_PASSWORD_SUFFIX = "-demo-2026"  # nosec B105  # the published demo logins (README), loaded only on request

demo_cli = click.Group("demo", help="Demo data for trying the portal.")


def demo_password(username: str) -> str:
    return f"{username}{DEMO_PASSWORD_SUFFIX}"


def load_demo() -> list[tuple[str, str, Role, bool]]:
    """Create whatever demo data is missing; return (username, password, role, created) rows."""
    rows = []
    for username, display_name, role in DEMO_USERS:
        created = accounts.find_by_username(username) is None
        if created:
            accounts.user_create(username=username, display_name=display_name, role=role,
                                 password=demo_password(username))
        rows.append((username, demo_password(username), role, created))
    if settings.get_settings().id is None:
        settings.settings_update(values={}, expected_version=None, actor=None)
    load_customer_demo(actor=accounts.find_by_username("clerk"))
    load_parts_demo(actor=accounts.find_by_username("manager"))
    load_case_demo()
    load_signature_demo()
    load_carryin_demo()
    load_returns_demo()
    load_visits_demo()
    load_complaints_demo()
    load_reports_demo()
    db.session.commit()
    return rows


@demo_cli.command("load")
@click.option("--if-empty", is_flag=True, help="Only on a database without any user (first start).")
@with_appcontext
def load(if_empty: bool) -> None:
    """Load the demo data (safe to run again: nothing is duplicated)."""
    if if_empty and db.session.scalar(select(func.count(User.id))):
        click.echo("Database has users already; demo data not loaded.")
        _print_logins()
        return
    rows = load_demo()
    click.echo("Demo logins (username / password / role):")
    for username, password, role, created in rows:
        click.echo(f"  {username:<10} {password:<22} {role.value:<11}{'' if created else ' (existing)'}")


@demo_cli.command("logins")
def logins() -> None:
    """Print the demo logins (writes nothing)."""
    _print_logins()


def _print_logins() -> None:
    click.echo("Demo logins (username / password / role):")
    for username, _display, role in DEMO_USERS:
        click.echo(f"  {username:<10} {demo_password(username):<22} {role.value}")
