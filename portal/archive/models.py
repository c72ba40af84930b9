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
