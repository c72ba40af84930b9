from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import Boolean, Column, ForeignKey, Index, Numeric, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.models import TimestampMixin, UTCDateTime, VersionedMixin
from portal.core.workflow import StateMachine
from portal.customers.models import Customer, _enum
from portal.extensions import db
from portal.repairs.models import Channel, RepairCase


class ComplaintState(enum.StrEnum):
    received = "received"
    investigating = "investigating"
    solution_proposed = "solution_proposed"
    opinion_recorded = "opinion_recorded"
    closed = "closed"

    @property
    def label(self) -> str:
        return str({ComplaintState.received: _l("Received"), ComplaintState.investigating: _l("Investigating"),
                    ComplaintState.solution_proposed: _l("Solution proposed"),
                    ComplaintState.opinion_recorded: _l("Customer's opinion recorded"),
                    ComplaintState.closed: _l("Closed")}[self])

    @property
    def css_class(self) -> str:
        return {"received": "warn", "investigating": "info", "solution_proposed": "info",
                "opinion_recorded": "ok", "closed": "off"}[self.value]


class ResponsibleKind(enum.StrEnum):
    department = "department"
    person = "person"
    external = "external"
    undetermined = "undetermined"

    @property
    def label(self) -> str:
        return str({ResponsibleKind.department: _l("A department"), ResponsibleKind.person: _l("A staff member"),
                    ResponsibleKind.external: _l("Outside the company (supplier, customer, third party)"),
                    ResponsibleKind.undetermined: _l("Not determined: convene the departments involved")}[self])


C = ComplaintState
# A customer who is not satisfied with the proposed solution sends it back to investigation; the
# manager closes a complaint once the customer's opinion is on record.
COMPLAINT_WORKFLOW = StateMachine(
    {C.received: {C.investigating}, C.investigating: {C.solution_proposed},
     C.solution_proposed: {C.opinion_recorded, C.investigating},
     C.opinion_recorded: {C.closed, C.investigating}, C.closed: set()},
    timestamps={C.investigating: "investigating_at", C.solution_proposed: "solution_proposed_at",
                C.opinion_recorded: "opinion_recorded_at", C.closed: "closed_at"},
)
OPEN_STATES = (C.received, C.investigating, C.solution_proposed, C.opinion_recorded)

complaint_staff = Table(
    "complaint_staff", db.metadata,
    Column("complaint_id", ForeignKey("complaint.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("user.id"), primary_key=True, index=True),
)


class Complaint(TimestampMixin, VersionedMixin, db.Model):
    """投诉单 / 顾客信息反馈记录表 (F33): one complaint from receipt to the customer's opinion."""
    __tablename__ = "complaint"
    __table_args__ = (Index("ix_complaint_state_received", "state", "received_at"),)
    workflow = COMPLAINT_WORKFLOW

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    channel: Mapped[Channel] = mapped_column(_enum(Channel), default=Channel.call)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), index=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("repair_case.id"), index=True)
    complainant: Mapped[str] = mapped_column(String(60), default="")
    content: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    registered_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    state: Mapped[ComplaintState] = mapped_column(_enum(ComplaintState), default=ComplaintState.received, index=True)
    state_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    investigating_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    solution_proposed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The first answer to the customer stops the one-week clock; a later re-proposal does not restart it.
    first_reply_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    opinion_recorded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    responsible_kind: Mapped[ResponsibleKind | None] = mapped_column(_enum(ResponsibleKind))
    responsible_party: Mapped[str] = mapped_column(String(100), default="")
    responsible_user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    investigation_notes: Mapped[str] = mapped_column(Text, default="")
    solution: Mapped[str] = mapped_column(Text, default="")
    customer_satisfied: Mapped[bool | None] = mapped_column(Boolean)
    customer_opinion: Mapped[str] = mapped_column(Text, default="")
    caused_by_service: Mapped[bool] = mapped_column(Boolean, default=False)
    compensation_note: Mapped[str] = mapped_column(Text, default="")
    compensation_amount: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))
    closing_note: Mapped[str] = mapped_column(Text, default="")

    customer: Mapped[Customer] = relationship()
    case: Mapped[RepairCase | None] = relationship()
    registered_by = relationship("User", foreign_keys=[registered_by_id])
    responsible_user = relationship("User", foreign_keys=[responsible_user_id])
    staff = relationship("User", secondary=complaint_staff, order_by="User.id")
