"""backup create / restore: a populated instance (a signed receipt, so the archive holds a PDF) is
backed up, restored into a fresh instance and verified there; a tampered backup is refused.
On PostgreSQL (PORTAL_TEST_DATABASE_URL) the backup is pg_dump and the fresh instance a second
database on the same throwaway server."""
from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path

import pytest
from sqlalchemy import func, select

from portal import create_app
from portal.archive.models import ArchivedDocument
from portal.core import backup
from portal.core.roles import Role
from portal.customers.models import Customer
from portal.extensions import db
from portal.receipts.models import ReceiptState, RepairReceipt
from tests.conftest import base_config
from tests.ops import helpers


@pytest.fixture
def populated(app, make_user):
    return helpers.signed_receipt(app, make_user(Role.technician, "tech"))


@pytest.fixture
def fresh(database_url, tmp_path):
    """A second, empty instance: its own database (no schema yet) and its own archive folder."""
    with helpers.second_database(database_url, tmp_path) as url:
        application = create_app(base_config(url, ARCHIVE_DIR=str(tmp_path / "fresh-archive")))
        yield application
        with application.app_context():
            db.session.remove()
            db.engine.dispose()


def _create(app, directory: Path) -> Path:
    result = app.test_cli_runner().invoke(args=["backup", "create", "--output", str(directory)])
    assert result.exit_code == 0, result.output
    (path,) = directory.glob("portal-backup-*.tar.gz")
    return path


def _members(path: Path) -> dict[str, bytes]:
    with tarfile.open(path) as tar:
        return {info.name: tar.extractfile(info).read() for info in tar}


def _rewrite(path: Path, members: dict[str, bytes]) -> None:
    with tarfile.open(path, "w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))


def test_a_backup_restores_into_a_fresh_instance_and_verifies_there(app, populated, fresh, tmp_path):
    path = _create(app, tmp_path / "backups")
    members = _members(path)
    manifest = json.loads(members["manifest.json"])
    kind = "postgresql" if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql") else "sqlite"
    assert manifest["database"]["kind"] == kind and manifest["alembic_revision"] and manifest["app_version"]
    assert manifest["created_at"] and manifest["archive_files"] == 1
    assert f"archive/{populated['path']}" in members and manifest["database"]["member"] in members
    assert set(manifest["members"]) == set(members) - {"manifest.json"}
    assert path.stat().st_mode & 0o077 == 0  # the backup holds customer data: owner only

    runner = fresh.test_cli_runner()
    result = runner.invoke(args=["backup", "restore", str(path)])
    assert result.exit_code == 0, result.output
    verified = runner.invoke(args=["archive", "verify"])
    assert verified.exit_code == 0, verified.output
    assert "1 of 1 archived files intact" in verified.output and "ORPHAN" not in verified.output
    with fresh.app_context():
        receipt = db.session.get(RepairReceipt, populated["receipt"])
        assert receipt.state is ReceiptState.signed and receipt.number == populated["number"]
        document = db.session.get(ArchivedDocument, populated["document"])
        assert document.sha256 == populated["sha256"]
        restored_customers = db.session.scalar(select(func.count(Customer.id)))
        db.session.remove()
    with app.app_context():
        assert restored_customers == db.session.scalar(select(func.count(Customer.id))) > 0

    # The fresh instance now holds data: a second restore needs --force, and keeps the files it replaces.
    again = runner.invoke(args=["backup", "restore", str(path)])
    assert again.exit_code != 0 and "holds data" in again.output
    forced = runner.invoke(args=["backup", "restore", "--force", str(path)])
    assert forced.exit_code == 0, forced.output
    moved = list(Path(tmp_path).glob("fresh-archive.before-restore-*"))
    assert len(moved) == 1 and any(p.is_file() for p in moved[0].rglob("*.pdf"))
    assert runner.invoke(args=["archive", "verify"]).exit_code == 0


@pytest.mark.parametrize("tamper", ["archive file", "database", "unlisted member", "path outside"])
def test_a_tampered_backup_is_refused_and_nothing_is_touched(app, populated, fresh, tmp_path, tamper):
    path = _create(app, tmp_path / "backups")
    members = _members(path)
    manifest = json.loads(members["manifest.json"])
    if tamper == "archive file":
        name = f"archive/{populated['path']}"
        data = bytearray(members[name])
        data[len(data) // 2] ^= 0x01
        members[name] = bytes(data)
    elif tamper == "database":
        name = manifest["database"]["member"]
        members[name] = members[name][:-1] + bytes([members[name][-1] ^ 0x01])
    elif tamper == "unlisted member":
        members["archive/repair_receipt/2026/extra.pdf"] = b"%PDF-1.7 not from the portal"
    else:
        members["../escaped.txt"] = b"outside"
    _rewrite(path, members)
    result = fresh.test_cli_runner().invoke(args=["backup", "restore", "--force", str(path)])
    assert result.exit_code != 0
    assert "nothing was restored" in result.output or "unexpected member" in result.output
    assert not (tmp_path / "escaped.txt").exists()
    assert not any(Path(fresh.config["ARCHIVE_DIR"]).iterdir())
    with fresh.app_context():
        from sqlalchemy import inspect
        assert inspect(db.engine).get_table_names() == []  # the fresh database was not touched
        db.engine.dispose()


def test_old_backups_are_pruned_and_a_backup_of_another_database_kind_is_refused(app, populated, tmp_path):
    directory = tmp_path / "backups"
    directory.mkdir()
    for stamp in ("20260101-010000", "20260102-010000", "20260103-010000"):
        (directory / f"portal-backup-{stamp}.tar.gz").write_bytes(b"old")
    result = app.test_cli_runner().invoke(args=["backup", "create", "--output", str(directory), "--keep", "2"])
    assert result.exit_code == 0, result.output
    names = sorted(p.name for p in directory.iterdir())
    assert len(names) == 2 and names[0] == "portal-backup-20260103-010000.tar.gz"
    newest = directory / names[1]
    members = _members(newest)
    manifest = json.loads(members["manifest.json"])
    other = "postgresql" if manifest["database"]["kind"] == "sqlite" else "sqlite"
    manifest["database"]["kind"] = other
    members["manifest.json"] = json.dumps(manifest).encode()
    _rewrite(newest, members)
    with app.app_context():
        with pytest.raises(backup.BackupError, match=f"holds a {other} database"):
            backup.restore_backup(newest, force=True)
