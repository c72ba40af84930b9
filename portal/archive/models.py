from __future__ import annotations

import enum
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.models import UTCDateTime
from portal.core.timeutil import utcnow
from portal.customers.models import _enum
from portal.extensions import db


class ArchiveStatus(enum.StrEnum):
    valid = "valid"
    void = "void"
    superseded = "superseded"

    @property
    def label(self) -> str:
        return str({ArchiveStatus.valid: _l("Valid"), ArchiveStatus.void: _l("Void"),
                    ArchiveStatus.superseded: _l("Superseded")}[self])


class ArchivedDocument(db.Model):
    """One PDF file in the archive, written once; its SHA-256 proves it was not altered since."""
    __tablename__ = "archived_document"
    __table_args__ = (UniqueConstraint("number", "version", name="uq_archived_document_number_version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    document_type: Mapped[str] = mapped_column(String(30), index=True)
    document_id: Mapped[int] = mapped_column(Integer, index=True)
    number: Mapped[str] = mapped_column(String(20), index=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[ArchiveStatus] = mapped_column(_enum(ArchiveStatus), default=ArchiveStatus.valid)
    path: Mapped[str] = mapped_column(String(200))  # relative to ARCHIVE_DIR
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    verification_code: Mapped[str] = mapped_column(String(12))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customer.id"), index=True)
    customer_name: Mapped[str] = mapped_column(String(100), default="")
    technician_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    signed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    supersedes_id: Mapped[int | None] = mapped_column(ForeignKey("archived_document.id"))
    note: Mapped[str] = mapped_column(Text, default="")

    technician = relationship("User")


class Kiosk(db.Model):
    """A counter tablet paired as a signing kiosk (e.g. 前台平板1). The device keeps a random token
    in a cookie; only its hash is stored, and revoking the kiosk ends the token."""
    __tablename__ = "kiosk"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(40), unique=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    active: Mapped[bool] = mapped_column(default=True)
    paired_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    paired_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class KioskRequestState(enum.StrEnum):
    waiting = "waiting"      # sent by the clerk, not yet shown
    shown = "shown"          # on the kiosk screen
    signed = "signed"
    cancelled = "cancelled"

    @property
    def label(self) -> str:
        return str({KioskRequestState.waiting: _l("Sent to the kiosk"), KioskRequestState.shown: _l("On the kiosk"),
                    KioskRequestState.signed: _l("Signed"), KioskRequestState.cancelled: _l("Cancelled")}[self])


class KioskRequest(db.Model):
    """One document sent from an office PC to a kiosk for signing; the kiosk shows only this."""
    __tablename__ = "kiosk_request"

    id: Mapped[int] = mapped_column(primary_key=True)
    kiosk_id: Mapped[int] = mapped_column(ForeignKey("kiosk.id"), index=True)
    document_type: Mapped[str] = mapped_column(String(30))
    document_id: Mapped[int] = mapped_column(Integer)
    state: Mapped[KioskRequestState] = mapped_column(_enum(KioskRequestState), default=KioskRequestState.waiting,
                                                     index=True)
    sent_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    kiosk: Mapped[Kiosk] = relationship()
    sent_by = relationship("User")
