"""The document archive: signed PDFs written once, atomically, with their SHA-256.

A file is written to a temporary name, fsynced and linked into place before the transaction
commits; if the transaction then rolls back, the files it wrote are removed again, so no row
points at a missing file and no file lingers without its row.

A process killed in between (a gunicorn worker past its timeout, a power cut) can leave
  * a temporary file (".<name>.<hex>.tmp"): never a document; `archive verify` counts it and
    `archive verify --tidy` deletes it once it is older than ORPHAN_GRACE_SECONDS;
  * a complete file whose row was never committed (an orphan): `archive verify` reports it and
    `--tidy` moves it into ORPHANS_DIR once it is older than ORPHAN_GRACE_SECONDS.
The grace period matters when several app servers share the folder: a younger file may belong to
a transaction still running elsewhere. A row without its file cannot happen short of losing the
disk, since the file is on disk (fsynced) before the row is committed.
"""
from __future__ import annotations

import errno
import hashlib
import os
import secrets
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import segno
from flask import current_app, url_for
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from portal.archive.models import ArchivedDocument, ArchiveStatus
from portal.core.timeutil import as_local
from portal.extensions import db

CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I: read off paper
PENDING_KEY = "archive_files_written"
ORPHANS_DIR = "orphans"  # under ARCHIVE_DIR: files moved aside by `archive verify --tidy`
ORPHAN_GRACE_SECONDS = 3600
# Test-only: names a point in _write_atomically where the process stops (tests/ops/test_crash.py
# kills it there). Read once; unset in production, where the check costs one comparison.
CRASH_POINT = os.environ.get("PORTAL_TEST_ARCHIVE_PAUSE", "")


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(8))


def archive_root() -> Path:
    return Path(current_app.config["ARCHIVE_DIR"])


def verification_url(number: str, code: str) -> str:
    """The address printed as the QR code. PUBLIC_URL names the portal as phones outside see it;
    without it the address the signing device used is printed, which is right on the office
    network but not for a tablet that reaches the server as 127.0.0.1."""
    path = url_for("archive.verify", number=number, code=code)
    public = (current_app.config.get("PUBLIC_URL") or "").rstrip("/")
    return f"{public}{path}" if public else url_for("archive.verify", number=number, code=code, _external=True)


def qr_svg_data_url(url: str) -> str:
    """A QR code of `url` as an SVG data URL that WeasyPrint embeds without fetching anything."""
    return segno.make(url, error="m").svg_data_uri(scale=4, border=1)


def is_temporary(name: str) -> bool:
    return name.startswith(".") and name.endswith(".tmp")


def _pause_for_test(point: str) -> None:
    """Stop here until killed, when the crash test asked for this point (see CRASH_POINT)."""
    if CRASH_POINT == point:
        print(f"archive-paused:{point}", flush=True)
        while True:
            time.sleep(60)


def _write_atomically(target: Path, data: bytes) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.{secrets.token_hex(4)}.tmp")
    try:
        with open(temporary, "xb") as handle:
            if CRASH_POINT:
                handle.write(data[:len(data) // 2])
                handle.flush()
                _pause_for_test("half-written")
                handle.write(data[len(data) // 2:])
            else:
                handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        _pause_for_test("written")
        # A link, unlike a rename, never replaces an existing file: a document is written once,
        # even if two app servers sharing the folder picked the same name.
        try:
            os.link(temporary, target)
        except FileExistsError:
            raise
        except OSError as error:  # a share without hard links (some SMB mounts)
            if error.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EMLINK):
                raise
            if target.exists():
                raise FileExistsError(f"archive file {target.name} exists already") from None
            os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)
    directory = os.open(target.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)
    _pause_for_test("linked")


def store(*, data: bytes, document_type: str, document_id: int, number: str, code: str, customer: Any,
          technician_id: int | None, signed_at: datetime | None, supersedes: ArchivedDocument | None = None,
          note: str = "") -> ArchivedDocument:
    """Archive a rendered PDF as the next version of `number`."""
    version = (db.session.scalar(select(func.max(ArchivedDocument.version))
                                 .where(ArchivedDocument.number == number)) or 0) + 1
    year = as_local(signed_at or datetime.now().astimezone()).year
    relative = f"{document_type}/{year}/{number}-v{version}.pdf"
    target = archive_root() / relative
    if target.exists():
        # No committed row names it (its version would not be free): a file left by a write that
        # was killed before its commit. It stays an orphan for `archive verify`; this one gets a
        # name of its own, so a crash never blocks signing the document again.
        relative = f"{document_type}/{year}/{number}-v{version}-{secrets.token_hex(3)}.pdf"
        target = archive_root() / relative
    _write_atomically(target, data)
    db.session.info.setdefault(PENDING_KEY, []).append(target)
    document = ArchivedDocument(
        document_type=document_type, document_id=document_id, number=number, version=version,
        status=ArchiveStatus.valid, path=relative, sha256=hashlib.sha256(data).hexdigest(), size=len(data),
        verification_code=code, customer_id=getattr(customer, "id", None),
        customer_name=getattr(customer, "name", "") or "", technician_id=technician_id, signed_at=signed_at,
        supersedes_id=getattr(supersedes, "id", None), note=note)
    db.session.add(document)
    db.session.flush()
    return document


@event.listens_for(Session, "after_commit")
def _forget_written_files(session) -> None:
    session.info.pop(PENDING_KEY, None)


@event.listens_for(Session, "after_rollback")
def _remove_uncommitted_files(session) -> None:
    for path in session.info.pop(PENDING_KEY, []):
        try:
            path.unlink()
        except FileNotFoundError:
            pass


def file_path(document: ArchivedDocument) -> Path:
    return archive_root() / document.path


def latest_for(document_type: str, document_id: int) -> ArchivedDocument | None:
    return db.session.scalar(select(ArchivedDocument).where(ArchivedDocument.document_type == document_type,
                                                            ArchivedDocument.document_id == document_id)
                             .order_by(ArchivedDocument.version.desc()).limit(1))


def find_for_verification(number: str, code: str) -> ArchivedDocument | None:
    """The archived version whose number and code match; None leaks nothing about which was wrong."""
    code = (code or "").strip().upper().replace(" ", "")
    if not number or len(code) != 8:
        return None
    found = db.session.scalar(select(ArchivedDocument).where(ArchivedDocument.number == number.strip().upper(),
                                                             ArchivedDocument.verification_code == code))
    return found


def masked_name(name: str) -> str:
    """张伟 → 张*, 泉城大酒店 → 泉城***店: enough to recognise, not to read off."""
    if len(name) <= 1:
        return "*"
    if len(name) == 2:
        return name[0] + "*"
    keep = 2 if len(name) > 4 else 1
    return name[:keep] + "*" * (len(name) - keep - 1) + name[-1]


@dataclass(frozen=True)
class Problem:
    document: ArchivedDocument
    problem: str  # missing | altered


def verify_all() -> list[Problem]:
    problems = []
    for document in db.session.scalars(select(ArchivedDocument).order_by(ArchivedDocument.id)):
        path = file_path(document)
        if not path.is_file():
            problems.append(Problem(document, "missing"))
            continue
        digest = hashlib.sha256()
        with open(path, "rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
        if digest.hexdigest() != document.sha256:
            problems.append(Problem(document, "altered"))
    return problems


@dataclass(frozen=True)
class Stray:
    path: Path       # relative to ARCHIVE_DIR
    kind: str        # orphan (a complete file no row names) | temporary (a write that never finished)
    age_seconds: float


def find_strays(*, now: float | None = None) -> list[Stray]:
    """Files in the archive folder that no archived document names (see the module's doc)."""
    root = archive_root()
    known = set(db.session.scalars(select(ArchivedDocument.path)))
    now = time.time() if now is None else now
    strays = []
    for directory, subdirs, files in os.walk(root):
        relative_dir = Path(directory).relative_to(root)
        if relative_dir == Path("."):
            subdirs[:] = [name for name in subdirs if name != ORPHANS_DIR]
        subdirs.sort()
        for name in sorted(files):
            relative = relative_dir / name
            if relative.as_posix() in known:
                continue
            try:
                age = now - (root / relative).stat().st_mtime
            except FileNotFoundError:  # finished (or rolled back) while we looked
                continue
            strays.append(Stray(relative, "temporary" if is_temporary(name) else "orphan", age))
    return strays


def tidy(strays: list[Stray], *, grace_seconds: float = ORPHAN_GRACE_SECONDS) -> list[Stray]:
    """Delete stale temporary files and move stale orphans into ORPHANS_DIR (never delete a
    complete file); younger files may belong to a transaction still running. Returns what was done."""
    root = archive_root()
    handled = []
    for stray in strays:
        if stray.age_seconds < grace_seconds:
            continue
        source = root / stray.path
        try:
            if stray.kind == "temporary":
                source.unlink()
            else:
                target = root / ORPHANS_DIR / stray.path
                target.parent.mkdir(parents=True, exist_ok=True)
                os.replace(source, target)
        except FileNotFoundError:
            continue
        handled.append(stray)
    return handled


def same_as_archived(document: ArchivedDocument, data: bytes) -> bool:
    return hashlib.sha256(data).hexdigest() == document.sha256
