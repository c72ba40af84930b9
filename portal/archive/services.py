"""The document archive: signed PDFs written once, atomically, with their SHA-256.

A file is written to a temporary name, fsynced and renamed into place before the transaction
commits; if the transaction then rolls back, the files it wrote are removed again, so no row
points at a missing file and no file lingers without its row.
"""
from __future__ import annotations

import hashlib
import os
import secrets
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


def _write_atomically(target: Path, data: bytes) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.{secrets.token_hex(4)}.tmp")
    with open(temporary, "xb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, target)
    directory = os.open(target.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


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
        raise FileExistsError(f"archive file {relative} exists already")
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


def same_as_archived(document: ArchivedDocument, data: bytes) -> bool:
    return hashlib.sha256(data).hexdigest() == document.sha256
