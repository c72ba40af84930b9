from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Integer, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.models import TimestampMixin, UTCDateTime, VersionedMixin
from portal.core.timeutil import utcnow
from portal.core.workflow import StateMachine
from portal.customers.models import _enum
from portal.extensions import db


class Part(TimestampMixin, VersionedMixin, db.Model):
    """A line of the fee schedule (收费标准卡 F05) that is also a stock item."""
    __tablename__ = "part"
    __table_args__ = (CheckConstraint("stock_qty >= 0", name="stock_not_negative"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(30), unique=True)
    name: Mapped[str] = mapped_column(String(80))
    spec: Mapped[str] = mapped_column(String(80), default="")
    unit: Mapped[str] = mapped_column(String(10), default="个")
    unit_price: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    stock_qty: Mapped[int] = mapped_column(Integer, default=0)
    reorder_level: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class FeeItem(TimestampMixin, VersionedMixin, db.Model):
    """A service fee of the schedule, e.g. visit fee per visit, labour per hour."""
    __tablename__ = "fee_item"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(30), unique=True)
    name: Mapped[str] = mapped_column(String(80))
    unit: Mapped[str] = mapped_column(String(10), default="次")
    unit_price: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    is_visit_fee: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class PriceChange(db.Model):
    """Every price a schedule line ever had; documents copy the price they charged."""
    __tablename__ = "price_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    part_id: Mapped[int | None] = mapped_column(ForeignKey("part.id"), index=True)
    fee_item_id: Mapped[int | None] = mapped_column(ForeignKey("fee_item.id"), index=True)
    old_price: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))
    new_price: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    by = relationship("User")


class MovementKind(enum.StrEnum):
    received = "received"
    issued = "issued"
    returned = "returned"
    adjusted = "adjusted"

    @property
    def label(self) -> str:
        return str({MovementKind.received: _l("Received"), MovementKind.issued: _l("Issued to a job"),
                    MovementKind.returned: _l("Returned from a job"), MovementKind.adjusted: _l("Stock count")}[self])


class StockMovement(db.Model):
    __tablename__ = "stock_movement"

    id: Mapped[int] = mapped_column(primary_key=True)
    part_id: Mapped[int] = mapped_column(ForeignKey("part.id"), index=True)
    kind: Mapped[MovementKind] = mapped_column(_enum(MovementKind))
    quantity: Mapped[int] = mapped_column(Integer)  # signed: issues are negative
    balance_after: Mapped[int] = mapped_column(Integer)
    requisition_id: Mapped[int | None] = mapped_column(ForeignKey("requisition.id"), index=True)
    note: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    part: Mapped[Part] = relationship()
    by = relationship("User")


class RequisitionState(enum.StrEnum):
    requested = "requested"
    issued = "issued"
    reported = "reported"
    closed = "closed"
    cancelled = "cancelled"

    @property
    def label(self) -> str:
        return str({RequisitionState.requested: _l("Requested"), RequisitionState.issued: _l("Issued"),
                    RequisitionState.reported: _l("Use reported"), RequisitionState.closed: _l("Returns confirmed"),
                    RequisitionState.cancelled: _l("Cancelled")}[self])


R = RequisitionState
REQUISITION_WORKFLOW = StateMachine(
    {R.requested: {R.issued, R.cancelled}, R.issued: {R.reported}, R.reported: {R.closed, R.issued},
     R.closed: set(), R.cancelled: set()},
    timestamps={R.issued: "issued_at", R.reported: "reported_at", R.closed: "closed_at"},
)


class Requisition(TimestampMixin, VersionedMixin, db.Model):
    """零配件领料单 (F03): parts drawn for one job, then used and returned quantities."""
    __tablename__ = "requisition"
    workflow = REQUISITION_WORKFLOW

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("repair_case.id"), index=True)
    technician_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    state: Mapped[RequisitionState] = mapped_column(_enum(RequisitionState), default=RequisitionState.requested,
                                                    index=True)
    state_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    issued_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    reported_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    note: Mapped[str] = mapped_column(Text, default="")

    case = relationship("RepairCase")
    technician = relationship("User", foreign_keys=[technician_id])
    issued_by = relationship("User", foreign_keys=[issued_by_id])
    closed_by = relationship("User", foreign_keys=[closed_by_id])
    lines: Mapped[list["RequisitionLine"]] = relationship(back_populates="requisition", order_by="RequisitionLine.id",
                                                          cascade="all, delete-orphan")


class RequisitionLine(db.Model):
    __tablename__ = "requisition_line"
    __table_args__ = (CheckConstraint("requested_qty > 0", name="requested_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    requisition_id: Mapped[int] = mapped_column(ForeignKey("requisition.id", ondelete="CASCADE"), index=True)
    part_id: Mapped[int] = mapped_column(ForeignKey("part.id"))
    requested_qty: Mapped[int] = mapped_column(Integer)
    issued_qty: Mapped[int | None] = mapped_column(Integer)
    used_qty: Mapped[int | None] = mapped_column(Integer)
    returned_qty: Mapped[int | None] = mapped_column(Integer)

    requisition: Mapped[Requisition] = relationship(back_populates="lines")
    part: Mapped[Part] = relationship()
