"""Backups: the database and every archived file in one .tar.gz with a manifest of SHA-256 hashes.

    flask --app app backup create [--output DIR_OR_FILE] [--keep N]
    flask --app app backup restore FILE [--force]

The database is copied while the portal runs: SQLite through its online backup API (a consistent
snapshot, writers are not stopped), PostgreSQL with pg_dump in its custom format. The archive
files are listed after the database snapshot, so every archived document the snapshot names has
its file in the backup (files are written before their row is committed and never change).

manifest.json (the last member) records the sha256 and size of every other member, the app
version, the Alembic revision, the database kind and when the backup was made. A restore extracts
into a staging folder and checks every hash before it touches anything; it refuses a database or an
archive folder that holds data unless --force is given (the archive files found are then moved
aside, never deleted).
"""
from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess  # nosec B404  # pg_dump and psql with fixed argument lists, never a shell
import tarfile
import tempfile
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path, PurePosixPath
from typing import Any, BinaryIO

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import inspect, select, text
from sqlalchemy.engine import URL, Engine

from portal.extensions import db

FORMAT = 1
MANIFEST = "manifest.json"
SQLITE_MEMBER = "database/portal.sqlite3"
PG_MEMBER = "database/portal.pgdump"
ARCHIVE_PREFIX = "archive/"
NAME_PATTERN = "portal-backup-*.tar.gz"
CHUNK = 1 << 20


class BackupError(Exception):
    """A backup or restore that cannot go on; the message says why, for the operator."""


@dataclass
class Created:
    path: Path
    manifest: dict[str, Any]
    removed: list[Path] = field(default_factory=list)


@dataclass
class Restored:
    manifest: dict[str, Any]
    files: int
    moved_aside: Path | None


# --- helpers -------------------------------------------------------------------------------------

def _engine() -> Engine:
    return db.engine


def database_kind(engine: Engine | None = None) -> str:
    return (engine or _engine()).dialect.name


def _sqlite_path(engine: Engine) -> Path:
    database = engine.url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        raise BackupError(f"cannot back up the SQLite database {database!r}: not a plain file")
    return Path(database)


def _pg_command(tool: str) -> str:
    found = shutil.which(tool)
    if not found:
        raise BackupError(f"{tool} not found on PATH: install the PostgreSQL client (Debian: postgresql-client)")
    return found


def _pg_args(engine: Engine) -> tuple[list[str], dict[str, str]]:
    """Connection arguments for pg_dump/pg_restore; the password goes in the environment, not argv."""
    url: URL = engine.url
    args = []
    host = url.host or url.query.get("host")  # ?host=/var/run/postgresql: a unix socket folder
    if host:
        args += ["--host", str(host)]
    if url.port:
        args += ["--port", str(url.port)]
    if url.username:
        args += ["--username", url.username]
    args += ["--dbname", url.database or ""]
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    return args, env


def _run(command: list[str], env: dict[str, str]) -> None:
    result = subprocess.run(command, env=env, capture_output=True, text=True)  # nosec B603  # a list, no shell
    if result.returncode != 0:
        raise BackupError(f"{Path(command[0]).name} failed (exit {result.returncode}): {result.stderr.strip()[-2000:]}")


def _alembic_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        if not inspect(connection).has_table("alembic_version"):
            return None
        return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()


def _app_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("after-sales-portal")
    except PackageNotFoundError:
        return "unknown"


def _archive_root() -> Path:
    return Path(current_app.config["ARCHIVE_DIR"])


def archive_files(root: Path) -> list[Path]:
    """The archive's files, relative to its root, sorted; temporary files of writes in progress and
    the orphans folder (see portal.archive.services) are not documents and are left out."""
    from portal.archive.services import ORPHANS_DIR, is_temporary

    found = []
    for directory, subdirs, files in os.walk(root):
        relative_dir = Path(directory).relative_to(root)
        if relative_dir == Path("."):
            subdirs[:] = [name for name in subdirs if name != ORPHANS_DIR]
        subdirs.sort()
        for name in sorted(files):
            if not is_temporary(name):
                found.append(relative_dir / name)
    return found


class _HashingReader(io.RawIOBase):
    """Reads a file for tarfile.addfile while hashing what was read."""

    def __init__(self, handle: BinaryIO) -> None:
        self.handle = handle
        self.digest = hashlib.sha256()

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        data = self.handle.read(size)
        self.digest.update(data)
        return data


def _add_file(tar: tarfile.TarFile, source: Path, member: str, members: dict[str, dict[str, Any]]) -> None:
    with open(source, "rb") as handle:
        size = os.fstat(handle.fileno()).st_size
        info = tarfile.TarInfo(member)
        info.size, info.mode, info.mtime = size, 0o600, int(os.fstat(handle.fileno()).st_mtime)
        reader = _HashingReader(handle)
        tar.addfile(info, reader)
    members[member] = {"sha256": reader.digest.hexdigest(), "size": size}


def _fsync_directory(path: Path) -> None:
    directory = os.open(path, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


# --- create --------------------------------------------------------------------------------------

def default_directory() -> Path:
    return Path(current_app.instance_path) / "backups"


def create_backup(*, output: Path | None = None, keep: int | None = None) -> Created:
    """Write a backup and return where; `output` is a folder (a dated name is chosen) or a file name.
    `keep` removes all but the newest `keep` dated backups in that folder afterwards."""
    engine = _engine()
    kind = database_kind(engine)
    if kind not in ("sqlite", "postgresql"):
        raise BackupError(f"backups of {kind} databases are not supported")
    now = datetime.now(timezone.utc)
    output = Path(output) if output else default_directory()
    if output.suffixes[-2:] == [".tar", ".gz"]:
        target = output
    else:
        target = output / f"portal-backup-{now:%Y%m%d-%H%M%S}.tar.gz"
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.exists():
        raise BackupError(f"{target} exists already")
    revision = _alembic_revision(engine)
    root = _archive_root()
    members: dict[str, dict[str, Any]] = {}
    partial = target.with_name(f".{target.name}.partial")
    with tempfile.TemporaryDirectory(prefix="portal-backup-", dir=target.parent) as staging:
        staging_path = Path(staging)
        if kind == "sqlite":
            dump, member = staging_path / "portal.sqlite3", SQLITE_MEMBER
            source = sqlite3.connect(_sqlite_path(engine))
            destination = sqlite3.connect(dump)
            try:
                with destination:
                    source.backup(destination)
            finally:
                destination.close()
                source.close()
        else:
            dump, member = staging_path / "portal.pgdump", PG_MEMBER
            args, env = _pg_args(engine)
            _run([_pg_command("pg_dump"), "--format=custom", "--no-owner", "--no-privileges",
                  "--file", str(dump), *args], env)
        # Listed after the snapshot: every document row in it has its file (written before commit).
        files = archive_files(root)
        try:
            with tarfile.open(partial, "w:gz", compresslevel=6) as tar:
                _add_file(tar, dump, member, members)
                for relative in files:
                    _add_file(tar, root / relative, ARCHIVE_PREFIX + relative.as_posix(), members)
                manifest = {
                    "format": FORMAT, "created_at": now.isoformat(timespec="seconds"),
                    "app_version": _app_version(), "alembic_revision": revision,
                    "database": {"kind": kind, "member": member}, "archive_files": len(files),
                    "members": members,
                }
                data = json.dumps(manifest, indent=2, ensure_ascii=False, sort_keys=True).encode()
                info = tarfile.TarInfo(MANIFEST)
                info.size, info.mode, info.mtime = len(data), 0o600, int(now.timestamp())
                tar.addfile(info, io.BytesIO(data))
            with open(partial, "rb") as handle:
                os.fsync(handle.fileno())
            os.chmod(partial, 0o600)
            os.replace(partial, target)  # a backup interrupted half-way never looks like a backup
            _fsync_directory(target.parent)
        finally:
            partial.unlink(missing_ok=True)
    removed = prune(target.parent, keep) if keep else []
    return Created(path=target, manifest=manifest, removed=removed)


def prune(directory: Path, keep: int) -> list[Path]:
    """Remove all but the newest `keep` dated backups (portal-backup-YYYYmmdd-HHMMSS.tar.gz) in directory."""
    dated = sorted(directory.glob(NAME_PATTERN))
    old = dated[:-keep] if keep > 0 else []
    for path in old:
        path.unlink()
    return old


# --- restore -------------------------------------------------------------------------------------

def _safe_member_name(name: str) -> bool:
    path = PurePosixPath(name)
    return bool(name) and not path.is_absolute() and ".." not in path.parts and "\\" not in name


def read_and_check(backup: Path, staging: Path) -> dict[str, Any]:
    """Extract every member of `backup` under `staging`, hashing it; raise BackupError unless the
    manifest names exactly these members with these hashes and sizes."""
    found: dict[str, dict[str, Any]] = {}
    manifest_data: bytes | None = None
    try:
        tar = tarfile.open(backup, "r:*")
    except (OSError, tarfile.TarError) as error:
        raise BackupError(f"{backup} is not a readable backup: {error}") from None
    with tar:
        try:
            for info in tar:
                if not info.isfile() or not _safe_member_name(info.name):
                    raise BackupError(f"unexpected member {info.name!r} in {backup}")
                source = tar.extractfile(info)
                if source is None:  # regular files only get here; asserts vanish under python -O
                    raise BackupError(f"unexpected member {info.name!r} in {backup}")
                if info.name == MANIFEST:
                    manifest_data = source.read(1 << 24)
                    continue
                target = staging / info.name
                target.parent.mkdir(parents=True, exist_ok=True)
                digest, size = hashlib.sha256(), 0
                with open(target, "xb") as handle:
                    for chunk in iter(lambda: source.read(CHUNK), b""):
                        digest.update(chunk)
                        handle.write(chunk)
                        size += len(chunk)
                found[info.name] = {"sha256": digest.hexdigest(), "size": size}
        except (OSError, EOFError, tarfile.TarError) as error:
            raise BackupError(f"{backup} is damaged: {error}") from None
    if manifest_data is None:
        raise BackupError(f"{backup} has no {MANIFEST}")
    try:
        manifest = json.loads(manifest_data)
        expected = manifest["members"]
        member = manifest["database"]["member"]
    except (ValueError, KeyError, TypeError):
        raise BackupError(f"{backup}: {MANIFEST} cannot be read") from None
    if manifest.get("format") != FORMAT:
        raise BackupError(f"{backup}: backup format {manifest.get('format')!r} is not supported")
    problems = []
    for name in sorted(set(expected) | set(found)):
        if name not in found:
            problems.append(f"missing {name}")
        elif name not in expected:
            problems.append(f"not in the manifest: {name}")
        elif found[name] != {"sha256": expected[name].get("sha256"), "size": expected[name].get("size")}:
            problems.append(f"hash mismatch: {name}")
    if member not in found:
        problems.append(f"no database member {member}")
    if problems:
        raise BackupError(f"{backup} fails its manifest check, nothing was restored: " + "; ".join(problems[:20])
                          + (f" (and {len(problems) - 20} more)" if len(problems) > 20 else ""))
    return manifest


def _database_has_data(engine: Engine) -> bool:
    """Any row in the portal's own tables (a schema made by `db upgrade` alone is empty; the search
    index's internal tables always hold bookkeeping rows, so they are not asked)."""
    with engine.connect() as connection:
        existing = set(inspect(connection).get_table_names())
        for table in db.metadata.sorted_tables:
            if table.name in existing and connection.execute(select(text("1")).select_from(table).limit(1)).first():
                return True
    return False


def _check_revision(revision: str | None) -> None:
    if revision is None:
        return
    from alembic.script import ScriptDirectory
    from alembic.util import CommandError

    from portal import PROJECT_ROOT

    try:
        known = ScriptDirectory(str(PROJECT_ROOT / "migrations")).get_revision(revision)
    except CommandError:
        known = None
    if known is None:
        raise BackupError(f"the backup's schema revision {revision} is unknown to this version of the portal "
                          "(made by a newer one?); nothing was restored")


def _move_aside(root: Path) -> Path | None:
    entries = sorted(root.iterdir()) if root.exists() else []
    if not entries:
        return None
    aside = root.with_name(f"{root.name}.before-restore-{datetime.now():%Y%m%d-%H%M%S}")
    aside.mkdir()
    for entry in entries:  # the entries, not the folder: the archive folder may be a mount point
        os.replace(entry, aside / entry.name)
    return aside


def _restore_sqlite(engine: Engine, dump: Path) -> None:
    target = _sqlite_path(engine)
    target.parent.mkdir(parents=True, exist_ok=True)
    engine.dispose()
    # The backup API writes the target page by page in one transaction and handles its WAL, so a
    # half-restored database is never left behind.
    source = sqlite3.connect(dump)
    destination = sqlite3.connect(target)
    try:
        source.backup(destination)
    finally:
        destination.close()
        source.close()


def _restore_postgres(engine: Engine, dump: Path) -> None:
    engine.dispose()
    with engine.begin() as connection:
        # Leftover tables (a schema made by `db upgrade`, or an older restore) would clash with the dump.
        connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    args, env = _pg_args(engine)
    _run([_pg_command("pg_restore"), "--no-owner", "--no-privileges", "--single-transaction", "--exit-on-error",
          *args, str(dump)], env)


def restore_backup(backup: Path, *, force: bool = False) -> Restored:
    """Restore `backup` into this instance's database and archive folder (see the module's doc)."""
    backup = Path(backup)
    if not backup.is_file():
        raise BackupError(f"{backup} not found")
    engine = _engine()
    kind = database_kind(engine)
    root = _archive_root()
    root.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".portal-restore-", dir=root.parent) as staging:
        staging_path = Path(staging)
        manifest = read_and_check(backup, staging_path)
        if manifest["database"]["kind"] != kind:
            raise BackupError(f"the backup holds a {manifest['database']['kind']} database, this instance uses "
                              f"{kind}; nothing was restored")
        _check_revision(manifest.get("alembic_revision"))
        if not force:
            if _database_has_data(engine):
                raise BackupError("the database holds data; nothing was restored (--force replaces it)")
            if archive_files(root):
                raise BackupError(f"the archive folder {root} holds files; nothing was restored "
                                  "(--force moves them aside)")
        # Files first: a database row restored before its file would point at nothing.
        moved = _move_aside(root) if force else None
        restored_files = 0
        staged_archive = staging_path / "archive"
        if staged_archive.is_dir():
            for source in sorted(p for p in staged_archive.rglob("*") if p.is_file()):
                target = root / source.relative_to(staged_archive)
                target.parent.mkdir(parents=True, exist_ok=True)
                os.replace(source, target)
                restored_files += 1
        dump = staging_path / manifest["database"]["member"]
        if kind == "sqlite":
            _restore_sqlite(engine, dump)
        else:
            _restore_postgres(engine, dump)
    return Restored(manifest=manifest, files=restored_files, moved_aside=moved)


# --- CLI -----------------------------------------------------------------------------------------

backup_cli = click.Group("backup", help="Back up and restore the database and the document archive.")


@backup_cli.command("create")
@click.option("--output", "-o", type=click.Path(path_type=Path),
              help="Folder for a dated backup file, or a file name ending in .tar.gz "
                   "(default: <instance>/backups/).")
@click.option("--keep", type=click.IntRange(min=1), help="Keep only the newest N dated backups in the folder.")
@with_appcontext
def create_command(output: Path | None, keep: int | None) -> None:
    """Back up the database (SQLite online backup or pg_dump) and every archived file, with hashes."""
    try:
        created = create_backup(output=output, keep=keep)
    except BackupError as error:
        raise click.ClickException(str(error)) from None
    manifest = created.manifest
    size = created.path.stat().st_size
    click.echo(f"{created.path}: {manifest['database']['kind']} database at revision "
               f"{manifest['alembic_revision']}, {manifest['archive_files']} archived files, {size / 1e6:.1f} MB")
    for path in created.removed:
        click.echo(f"removed old backup {path}")


@backup_cli.command("restore")
@click.argument("backup", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace a database that holds data; move archive files aside.")
@with_appcontext
def restore_command(backup: Path, force: bool) -> None:
    """Check a backup's hashes, then restore its database and archive files into this instance."""
    try:
        restored = restore_backup(backup, force=force)
    except BackupError as error:
        raise click.ClickException(str(error)) from None
    manifest = restored.manifest
    click.echo(f"restored the {manifest['database']['kind']} database of {manifest['created_at']} (revision "
               f"{manifest['alembic_revision']}) and {restored.files} archived files")
    if restored.moved_aside:
        click.echo(f"the archive files found before were moved to {restored.moved_aside}")
    click.echo("next: flask --app app db upgrade, then flask --app app archive verify")
