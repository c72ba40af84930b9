from __future__ import annotations

import enum
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import Boolean, Column, Date, ForeignKey, Integer, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.models import TimestampMixin, UTCDateTime, VersionedMixin
from portal.customers.models import Customer, Equipment, _enum
from portal.extensions import db
from portal.repairs.models import RepairCase

# signing.RATINGS: 5 非常满意, 4 满意, 3 一般, 2 不满意, 1 非常不满意; 满意 and better counts as satisfied.
SATISFIED_FROM = 4


class VisitFrequency(enum.StrEnum):
    """How often a key customer is visited (forms catalogue §3.3: monthly in the first year, then
    quarterly; any other interval for customers the manager names)."""
    monthly = "monthly"
    quarterly = "quarterly"
    custom = "custom"

    @property
    def label(self) -> str:
        return str({VisitFrequency.monthly: _l("Monthly"), VisitFrequency.quarterly: _l("Quarterly"),
                    VisitFrequency.custom: _l("Every N days")}[self])


class VisitSchedule(TimestampMixin, VersionedMixin, db.Model):
    """The visit plan of one key customer; `next_due_on` is kept up to date by the services so the
    due list can filter and sort in SQL."""
    __tablename__ = "visit_schedule"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), unique=True)
    frequency: Mapped[VisitFrequency] = mapped_column(_enum(VisitFrequency), default=VisitFrequency.quarterly)
    interval_days: Mapped[int | None] = mapped_column(Integer)  # only for custom
    starts_on: Mapped[date] = mapped_column(Date)
    responsible_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), index=True)
    last_visit_on: Mapped[date | None] = mapped_column(Date)
    next_due_on: Mapped[date] = mapped_column(Date, index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    notes: Mapped[str] = mapped_column(Text, default="")

    customer: Mapped[Customer] = relationship()
    responsible = relationship("User")


visit_visitor = Table(
    "visit_visitor", db.metadata,
    Column("visit_id", ForeignKey("visit.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("user.id"), primary_key=True, index=True),
)


class Visit(TimestampMixin, VersionedMixin, db.Model):
    """重点客户走访 / 回访记录 (F11, F43): what the visitors saw and heard at one key customer."""
    __tablename__ = "visit"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), index=True)
    schedule_id: Mapped[int | None] = mapped_column(ForeignKey("visit_schedule.id"), index=True)
    visited_on: Mapped[date] = mapped_column(Date, index=True)
    region: Mapped[str] = mapped_column(String(30), default="")  # the customer's region on the day
    other_visitors: Mapped[str] = mapped_column(String(200), default="")
    people_met: Mapped[str] = mapped_column(String(200), default="")
    equipment_usage: Mapped[str] = mapped_column(Text, default="")
    design_opinion: Mapped[str] = mapped_column(Text, default="")
    assembly_opinion: Mapped[str] = mapped_column(Text, default="")
    process_opinion: Mapped[str] = mapped_column(Text, default="")
    other_feedback: Mapped[str] = mapped_column(Text, default="")
    followup_needed: Mapped[bool] = mapped_column(Boolean, default=False)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    customer: Mapped[Customer] = relationship()
    schedule: Mapped[VisitSchedule | None] = relationship()
    visitors = relationship("User", secondary=visit_visitor, order_by="User.id")
    recorded_by = relationship("User", foreign_keys=[recorded_by_id])
    unit_usage: Mapped[list["VisitUnitUsage"]] = relationship(back_populates="visit", cascade="all, delete-orphan",
                                                             order_by="VisitUnitUsage.id")
    actions: Mapped[list["VisitAction"]] = relationship(back_populates="visit", cascade="all, delete-orphan",
                                                        order_by="VisitAction.id")

    @property
    def visitor_names(self) -> str:
        names = [user.display_name for user in self.visitors]
        if self.other_visitors:
            names.append(self.other_visitors)
        return "、".join(names)


class VisitUnitUsage(db.Model):
    """How one of the customer's units is being used, as seen on the visit."""
    __tablename__ = "visit_unit_usage"

    id: Mapped[int] = mapped_column(primary_key=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("visit.id", ondelete="CASCADE"), index=True)
    equipment_id: Mapped[int] = mapped_column(ForeignKey("equipment.id"))
    usage: Mapped[str] = mapped_column(Text)

    visit: Mapped[Visit] = relationship(back_populates="unit_usage")
    equipment: Mapped[Equipment] = relationship()


class VisitAction(TimestampMixin, VersionedMixin, db.Model):
    """Something agreed with the customer on a visit, owned by a staff member, due on a day."""
    __tablename__ = "visit_action"

    id: Mapped[int] = mapped_column(primary_key=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("visit.id", ondelete="CASCADE"), index=True)
    description: Mapped[str] = mapped_column(Text)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), index=True)
    due_on: Mapped[date | None] = mapped_column(Date)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    done_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    done_note: Mapped[str] = mapped_column(Text, default="")

    visit: Mapped[Visit] = relationship(back_populates="actions")
    owner = relationship("User", foreign_keys=[owner_id])
    done_by = relationship("User", foreign_keys=[done_by_id])

    @property
    def number(self) -> str:
        # The audit trail labels an entry by `number`: the visit's, so an action reads in context.
        return f"{self.visit.number}/{self.id}" if self.visit else f"#{self.id}"


# --- follow-up calls after a service (回访记录, F10) ---------------------------------------------

class FollowUpKind(enum.StrEnum):
    """After an on-site or workshop service (due 24 h after signing) or after phone guidance (3 h)."""
    service = "service"
    guidance = "guidance"

    @property
    def label(self) -> str:
        return str({FollowUpKind.service: _l("After service"), FollowUpKind.guidance: _l("After phone guidance")}[self])


class FollowUpState(enum.StrEnum):
    open = "open"
    done = "done"                # someone was reached and answered
    unreachable = "unreachable"  # nobody answered the last MAX_UNANSWERED calls

    @property
    def label(self) -> str:
        return str({FollowUpState.open: _l("To call"), FollowUpState.done: _l("Called"),
                    FollowUpState.unreachable: _l("Unreachable")}[self])

    @property
    def css_class(self) -> str:
        return {"open": "warn", "done": "ok", "unreachable": "bad"}[self.value]


class FollowUp(TimestampMixin, VersionedMixin, db.Model):
    """回访记录 (F10): the call to the customer after a case was signed or guided by phone. One per
    round: a case reopened by an unsatisfied answer gets the next one (attempt 2, 3 …) when it is
    signed again. The KPI reports read due_at, done_at and state."""
    __tablename__ = "follow_up"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("repair_case.id"), index=True)
    kind: Mapped[FollowUpKind] = mapped_column(_enum(FollowUpKind))
    attempt: Mapped[int] = mapped_column(Integer, default=1)
    service_ended_at: Mapped[datetime] = mapped_column(UTCDateTime())
    due_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    state: Mapped[FollowUpState] = mapped_column(_enum(FollowUpState), default=FollowUpState.open, index=True)
    reached_name: Mapped[str] = mapped_column(String(60), default="")
    solved: Mapped[bool | None] = mapped_column(Boolean)
    rating: Mapped[int | None] = mapped_column(Integer)
    notes: Mapped[str] = mapped_column(Text, default="")
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    # Who served the customer in this round: the technician who had the case signed, or the one who guided.
    served_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    case: Mapped[RepairCase] = relationship()
    staff = relationship("User", foreign_keys=[staff_id])
    served_by = relationship("User", foreign_keys=[served_by_id])
    calls: Mapped[list["FollowUpCall"]] = relationship(back_populates="follow_up", cascade="all, delete-orphan",
                                                       order_by="FollowUpCall.called_at, FollowUpCall.id")

    @property
    def unanswered(self) -> int:
        return len(self.calls)

    @property
    def satisfied(self) -> bool | None:
        return None if self.rating is None else self.rating >= SATISFIED_FROM


class FollowUpCall(db.Model):
    """A follow-up call nobody answered; the answered one is the follow-up's own done_at."""
    __tablename__ = "follow_up_call"

    id: Mapped[int] = mapped_column(primary_key=True)
    follow_up_id: Mapped[int] = mapped_column(ForeignKey("follow_up.id", ondelete="CASCADE"), index=True)
    called_at: Mapped[datetime] = mapped_column(UTCDateTime())
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    note: Mapped[str] = mapped_column(String(500), default="")

    follow_up: Mapped[FollowUp] = relationship(back_populates="calls")
    staff = relationship("User")
