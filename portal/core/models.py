from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy import (JSON, Boolean, DateTime, ForeignKey, Index, Integer, LargeBinary, String, Text, TypeDecorator,
                        UniqueConstraint)
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from portal.core.timeutil import utcnow
from portal.extensions import db


class UTCDateTime(TypeDecorator):
    """Aware datetimes stored as UTC. SQLite keeps no offset, so an aware local time would come
    back shifted; here every value is converted on the way in and marked UTC on the way out."""
    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class VersionedMixin:
    """Optimistic locking: SQLAlchemy bumps `version` on every UPDATE and refuses a stale one."""
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)

    @declared_attr.directive
    def __mapper_args__(cls) -> dict[str, Any]:
        return {"version_id_col": cls.version}


class AuditEntry(db.Model):
    __tablename__ = "audit_entry"
    __table_args__ = (Index("ix_audit_entry_entity", "entity_type", "entity_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    actor_name: Mapped[str] = mapped_column(String(80), default="")
    address: Mapped[str | None] = mapped_column(String(64))
    entity_type: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[int] = mapped_column(Integer)
    entity_label: Mapped[str] = mapped_column(String(120), default="")
    action: Mapped[str] = mapped_column(String(60))
    changes: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    note: Mapped[str | None] = mapped_column(Text)


class NumberSequence(db.Model):
    __tablename__ = "number_sequence"
    __table_args__ = (UniqueConstraint("prefix", "year", name="uq_number_sequence_prefix_year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    prefix: Mapped[str] = mapped_column(String(8))
    year: Mapped[int] = mapped_column(Integer)
    last_value: Mapped[int] = mapped_column(Integer, default=0)


class Signature(db.Model):
    """A customer's signature (or company seal) on one document, with the rating and where, when
    and on which device it was given. Never updated: a correction is a new document."""
    __tablename__ = "signature"
    __table_args__ = (UniqueConstraint("document_type", "document_id", name="uq_signature_document"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    document_type: Mapped[str] = mapped_column(String(30))
    document_id: Mapped[int] = mapped_column(Integer)
    signer_name: Mapped[str] = mapped_column(String(60))
    rating: Mapped[int | None] = mapped_column(Integer)  # 1 非常不满意 … 5 非常满意
    comment: Mapped[str] = mapped_column(Text, default="")
    image: Mapped[bytes] = mapped_column(LargeBinary)  # PNG of the drawn signature or the seal photo
    image_type: Mapped[str] = mapped_column(String(20), default="image/png")
    is_seal: Mapped[bool] = mapped_column(Boolean, default=False)
    strokes: Mapped[Any | None] = mapped_column(JSON)
    signed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    address: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str] = mapped_column(String(300), default="")
    device: Mapped[str] = mapped_column(String(60), default="")
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
