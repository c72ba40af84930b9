import sys

import click
from flask.cli import with_appcontext

from portal.archive import services

archive_cli = click.Group("archive", help="The signed-document archive.")


@archive_cli.command("verify")
@click.option("--tidy", is_flag=True,
              help="Delete stale temporary files and move stale orphans into the orphans folder "
                   f"(files older than {services.ORPHAN_GRACE_SECONDS // 60} minutes).")
@with_appcontext
def verify(tidy: bool) -> None:
    """Recheck every archived file against its stored SHA-256; exit 1 on any missing or altered file.

    Files no document names (left by a process killed while archiving) are reported, not counted
    as failures: no document is damaged by them."""
    from sqlalchemy import func, select
    from portal.archive.models import ArchivedDocument
    from portal.extensions import db
    problems = services.verify_all()
    total = db.session.scalar(select(func.count(ArchivedDocument.id)))
    for problem in problems:
        click.echo(f"{problem.problem.upper():8} {problem.document.number} v{problem.document.version} "
                   f"{problem.document.path}", err=True)
    strays = services.find_strays()
    handled = {stray.path for stray in services.tidy(strays)} if tidy else set()
    for stray in strays:
        action = ("deleted" if stray.kind == "temporary" else f"moved to {services.ORPHANS_DIR}/") \
            if stray.path in handled else "left in place"
        click.echo(f"{stray.kind.upper():9} {stray.path.as_posix()} ({stray.age_seconds / 60:.0f} min old, "
                   f"{action})", err=True)
    click.echo(f"{total - len(problems)} of {total} archived files intact")
    if strays:
        orphans = sum(1 for stray in strays if stray.kind == "orphan")
        click.echo(f"{orphans} orphaned and {len(strays) - orphans} temporary files without a document"
                   + ("" if tidy else " (--tidy clears those older than the grace period)"))
    sys.exit(1 if problems else 0)
