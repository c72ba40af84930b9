import sys

import click
from flask.cli import with_appcontext

from portal.archive import services

archive_cli = click.Group("archive", help="The signed-document archive.")


@archive_cli.command("verify")
@with_appcontext
def verify() -> None:
    """Recheck every archived file against its stored SHA-256; exit 1 on any missing or altered file."""
    from sqlalchemy import func, select
    from portal.archive.models import ArchivedDocument
    from portal.extensions import db
    problems = services.verify_all()
    total = db.session.scalar(select(func.count(ArchivedDocument.id)))
    for problem in problems:
        click.echo(f"{problem.problem.upper():8} {problem.document.number} v{problem.document.version} "
                   f"{problem.document.path}", err=True)
    click.echo(f"{total - len(problems)} of {total} archived files intact")
    sys.exit(1 if problems else 0)
