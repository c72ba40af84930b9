"""Return slip (退货单, after 售后服务信息反馈表 F36) and its photos."""
from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import Date, ForeignKey, Integer, LargeBinary, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.models import TimestampMixin, UTCDateTime, VersionedMixin
from portal.core.workflow import StateMachine
from portal.customers.models import _enum
from portal.extensions import db


class _Labelled(enum.StrEnum):
    @property
    def label(self) -> str:
        return str(self._labels()[self])

    @classmethod
    def _labels(cls) -> dict:
        raise NotImplementedError


class ReturnState(_Labelled):
    requested = "requested"
    approved = "approved"
    rejected = "rejected"
    received = "received"
    inspected = "inspected"
    resolved = "resolved"
    closed = "closed"
    cancelled = "cancelled"

    @classmethod
    def _labels(cls) -> dict:
        return {cls.requested: _l("Requested"), cls.approved: _l("Approved"), cls.rejected: _l("Rejected"),
                cls.received: _l("Received by the warehouse"), cls.inspected: _l("Inspected"),
                cls.resolved: _l("Resolved, awaiting signature"), cls.closed: _l("Closed"),
                cls.cancelled: _l("Cancelled")}

    @property
    def css_class(self) -> str:
        return {"requested": "warn", "approved": "info", "rejected": "bad", "received": "info", "inspected": "info",
                "resolved": "warn", "closed": "ok", "cancelled": "off"}[self.value]


class ReturnReason(_Labelled):
    quality_defect = "quality_defect"
    transport_damage = "transport_damage"
    wrong_item = "wrong_item"
    misuse = "misuse"
    other = "other"

    @classmethod
    def _labels(cls) -> dict:
        return {cls.quality_defect: _l("Quality defect"), cls.transport_damage: _l("Damaged in transport"),
                cls.wrong_item: _l("Wrong item delivered"), cls.misuse: _l("Damaged by misuse"),
                cls.other: _l("Other")}


class ReturnOutcome(_Labelled):
    """What the customer asks for."""
    refund = "refund"
    exchange = "exchange"
    repair = "repair"

    @classmethod
    def _labels(cls) -> dict:
        return {cls.refund: _l("Refund"), cls.exchange: _l("Exchange"), cls.repair: _l("Repair")}


class Responsibility(_Labelled):
    manufacturer = "manufacturer"
    transport = "transport"
    customer = "customer"
    undetermined = "undetermined"

    @classmethod
    def _labels(cls) -> dict:
        return {cls.manufacturer: _l("Manufacturer / supplier"), cls.transport: _l("Transport / carrier"),
                cls.customer: _l("Customer"), cls.undetermined: _l("Undetermined")}


class Resolution(_Labelled):
    """What was actually done for the customer."""
    exchanged = "exchanged"
    refunded = "refunded"
    repaired = "repaired"

    @classmethod
    def _labels(cls) -> dict:
        return {cls.exchanged: _l("Exchanged"), cls.refunded: _l("Refunded"),
                cls.repaired: _l("Repaired and returned")}


RS = ReturnState
RETURN_WORKFLOW = StateMachine(
    {RS.requested: {RS.approved, RS.rejected, RS.cancelled},
     RS.approved: {RS.received, RS.cancelled},
     RS.received: {RS.inspected},
     RS.inspected: {RS.resolved},
     RS.resolved: {RS.closed},
     RS.rejected: set(), RS.closed: set(), RS.cancelled: set()},
    timestamps={RS.approved: "reviewed_at", RS.rejected: "reviewed_at", RS.received: "received_at",
                RS.inspected: "inspected_at", RS.resolved: "resolved_at", RS.closed: "closed_at",
                RS.cancelled: "cancelled_at"},
)


class ReturnSlip(TimestampMixin, VersionedMixin, db.Model):
    """One customer's return of goods from one sale, from the request to the hand-over."""
    __tablename__ = "return_slip"
    workflow = RETURN_WORKFLOW

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), index=True)
    equipment_id: Mapped[int | None] = mapped_column(ForeignKey("equipment.id"))
    product_type_id: Mapped[int] = mapped_column(ForeignKey("product_type.id"), index=True)
    model: Mapped[str] = mapped_column(String(60), default="")
    serial: Mapped[str] = mapped_column(String(60), default="", index=True)
    sale_reference: Mapped[str] = mapped_column(String(40), default="")
    sale_date: Mapped[date | None] = mapped_column(Date)
    quantity_sold: Mapped[int] = mapped_column(Integer, default=1)
    quantity: Mapped[int] = mapped_column(Integer, default=1)
    reason: Mapped[ReturnReason] = mapped_column(_enum(ReturnReason), index=True)
    description: Mapped[str] = mapped_column(Text, default="")
    outcome: Mapped[ReturnOutcome] = mapped_column(_enum(ReturnOutcome))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    state: Mapped[ReturnState] = mapped_column(_enum(ReturnState), default=ReturnState.requested, index=True)
    state_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    # Quality review (manager): approved or rejected with a reason.
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    review_note: Mapped[str] = mapped_column(Text, default="")
    # Warehouse receipt: what arrived and in which condition.
    received_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    received_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    quantity_received: Mapped[int | None] = mapped_column(Integer)
    condition: Mapped[str] = mapped_column(Text, default="")
    receive_note: Mapped[str] = mapped_column(Text, default="")
    # Inspection (technician or manager).
    inspected_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    inspected_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    inspection_result: Mapped[str] = mapped_column(Text, default="")
    responsibility: Mapped[Responsibility | None] = mapped_column(_enum(Responsibility))
    # Resolution (office): exchanged, refunded or repaired under a repair case.
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    resolution: Mapped[Resolution | None] = mapped_column(_enum(Resolution))
    refund_amount: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))
    exchange_serial: Mapped[str] = mapped_column(String(60), default="")
    repair_case_id: Mapped[int | None] = mapped_column(ForeignKey("repair_case.id"))
    resolution_note: Mapped[str] = mapped_column(Text, default="")
    # Hand-over: the customer signs, the slip is archived and closed.
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    cancel_reason: Mapped[str] = mapped_column(Text, default="")

    customer = relationship("Customer")
    equipment = relationship("Equipment")
    product_type = relationship("ProductType")
    repair_case = relationship("RepairCase")
    requested_by = relationship("User", foreign_keys=[requested_by_id])
    reviewed_by = relationship("User", foreign_keys=[reviewed_by_id])
    received_by = relationship("User", foreign_keys=[received_by_id])
    inspected_by = relationship("User", foreign_keys=[inspected_by_id])
    resolved_by = relationship("User", foreign_keys=[resolved_by_id])
    photos: Mapped[list["ReturnPhoto"]] = relationship(back_populates="slip", order_by="ReturnPhoto.id",
                                                       cascade="all, delete-orphan")


class ReturnPhoto(db.Model):
    """A photo of the returned goods, normalised by core.photos (upright JPEG, no EXIF)."""
    __tablename__ = "return_photo"

    id: Mapped[int] = mapped_column(primary_key=True)
    slip_id: Mapped[int] = mapped_column(ForeignKey("return_slip.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(String(120), default="")
    mime: Mapped[str] = mapped_column(String(20), default="image/jpeg")
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime())
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    slip: Mapped[ReturnSlip] = relationship(back_populates="photos")
