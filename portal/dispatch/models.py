from __future__ import annotations

import enum
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import Boolean, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.models import TimestampMixin, UTCDateTime, VersionedMixin
from portal.core.timeutil import utcnow
from portal.customers.models import _enum
from portal.extensions import db


class DispatchSlip(TimestampMixin, VersionedMixin, db.Model):
    """售后派工单 (F02): who goes to which case, when. Reschedules and reassignments are kept as
    DispatchChange rows; a re-dispatch after a reopen or failed contact supersedes the slip."""
    __tablename__ = "dispatch_slip"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("repair_case.id"), index=True)
    technician_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    appointment_at: Mapped[datetime] = mapped_column(UTCDateTime())
    late_reason: Mapped[str] = mapped_column(Text, default="")
    customer_agreed: Mapped[bool] = mapped_column(Boolean, default=False)
    instructions: Mapped[str] = mapped_column(Text, default="")
    dispatched_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    dispatched_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    superseded: Mapped[bool] = mapped_column(Boolean, default=False)

    case = relationship("RepairCase")
    technician = relationship("User", foreign_keys=[technician_id])
    dispatched_by = relationship("User", foreign_keys=[dispatched_by_id])
    changes: Mapped[list["DispatchChange"]] = relationship(back_populates="slip", order_by="DispatchChange.id")


class ChangeKind(enum.StrEnum):
    reschedule = "reschedule"
    reassign = "reassign"

    @property
    def label(self) -> str:
        return str({ChangeKind.reschedule: _l("Rescheduled"), ChangeKind.reassign: _l("Reassigned")}[self])


class DispatchChange(db.Model):
    __tablename__ = "dispatch_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    slip_id: Mapped[int] = mapped_column(ForeignKey("dispatch_slip.id"), index=True)
    kind: Mapped[ChangeKind] = mapped_column(_enum(ChangeKind))
    from_technician_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    to_technician_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    from_appointment_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    to_appointment_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reason: Mapped[str] = mapped_column(Text)
    customer_agreed: Mapped[bool] = mapped_column(Boolean, default=False)
    by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    slip: Mapped[DispatchSlip] = relationship(back_populates="changes")
    from_technician = relationship("User", foreign_keys=[from_technician_id])
    to_technician = relationship("User", foreign_keys=[to_technician_id])
    by = relationship("User", foreign_keys=[by_id])


class ContactOutcome(enum.StrEnum):
    reached = "reached"
    no_answer = "no_answer"
    wrong_number = "wrong_number"

    @property
    def label(self) -> str:
        return str({ContactOutcome.reached: _l("Reached"), ContactOutcome.no_answer: _l("No answer"),
                    ContactOutcome.wrong_number: _l("Wrong number")}[self])


class ContactAttempt(db.Model):
    """The technician's calls to confirm the appointment (no answer: retry after 10 min; 3 failures
    go back to the clerk, forms catalogue §3.2)."""
    __tablename__ = "contact_attempt"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("repair_case.id"), index=True)
    technician_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    outcome: Mapped[ContactOutcome] = mapped_column(_enum(ContactOutcome))
    note: Mapped[str] = mapped_column(Text, default="")

    technician = relationship("User")
