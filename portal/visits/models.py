from __future__ import annotations

import enum
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import Boolean, Column, Date, ForeignKey, Integer, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.models import TimestampMixin, UTCDateTime, VersionedMixin
from portal.customers.models import Customer, Equipment, _enum
from portal.extensions import db


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
