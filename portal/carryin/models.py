"""Carry-in workshop records: the goods receipt (客户商品领取收据 F14) with its items, condition
checks and photos, the labour written on the repair card (修护卡 F16), and the per-product-type
condition checklist. The in/out register (F15) is a view over goods receipts, not a table."""
from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, Date, ForeignKey, Index, Integer, LargeBinary, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.models import TimestampMixin, UTCDateTime, VersionedMixin
from portal.core.timeutil import utcnow
from portal.core.workflow import StateMachine
from portal.customers.models import _enum
from portal.extensions import db


class GoodsState(enum.StrEnum):
    draft = "draft"
    taken_in = "taken_in"
    in_repair = "in_repair"
    repaired = "repaired"
    inspected = "inspected"
    returned = "returned"
    cancelled = "cancelled"

    @property
    def label(self) -> str:
        return str(GOODS_STATE_LABELS[self])

    @property
    def css_class(self) -> str:
        return {"draft": "info", "taken_in": "warn", "in_repair": "warn", "repaired": "info", "inspected": "ok",
                "returned": "off", "cancelled": "off"}[self.value]


GOODS_STATE_LABELS = {
    GoodsState.draft: _l("Draft (not yet taken in)"),
    GoodsState.taken_in: _l("Taken in"),
    GoodsState.in_repair: _l("Under repair"),
    GoodsState.repaired: _l("Repaired, awaiting inspection"),
    GoodsState.inspected: _l("Inspected, ready to hand back"),
    GoodsState.returned: _l("Returned to the customer"),
    GoodsState.cancelled: _l("Cancelled"),
}

G = GoodsState
GOODS_WORKFLOW = StateMachine(
    {
        G.draft: {G.taken_in, G.cancelled},
        G.taken_in: {G.in_repair},
        G.in_repair: {G.repaired},
        # The manager's inspection either passes the unit or sends it back to the bench.
        G.repaired: {G.inspected, G.in_repair},
        G.inspected: {G.returned},
        G.returned: set(),
        G.cancelled: set(),
    },
    timestamps={G.taken_in: "taken_in_at", G.repaired: "repaired_at", G.inspected: "inspected_at",
                G.returned: "returned_at", G.cancelled: "cancelled_at"},
)
# In the workshop: on the register's "in the workshop" list and counted for the overdue highlight.
IN_WORKSHOP = frozenset({G.taken_in, G.in_repair, G.repaired, G.inspected})


class CheckResult(enum.StrEnum):
    ok = "ok"
    issue = "issue"
    na = "na"

    @property
    def label(self) -> str:
        return str({CheckResult.ok: _l("OK"), CheckResult.issue: _l("Found"),
                    CheckResult.na: _l("n/a")}[self])


class GoodsReceipt(TimestampMixin, VersionedMixin, db.Model):
    """客户商品领取收据 (F14): what the company took into its workshop for one repair case."""
    __tablename__ = "goods_receipt"
    __table_args__ = (Index("ix_goods_receipt_state_in", "state", "taken_in_at"),)
    workflow = GOODS_WORKFLOW

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("repair_case.id"), index=True)
    technician_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    accessories: Mapped[str] = mapped_column(Text, default="")
    condition_note: Mapped[str] = mapped_column(Text, default="")
    shelf: Mapped[str] = mapped_column(String(30), default="")
    state: Mapped[GoodsState] = mapped_column(_enum(GoodsState), default=GoodsState.draft, index=True)
    state_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    taken_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    repaired_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    inspected_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    inspected_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    inspection_note: Mapped[str] = mapped_column(Text, default="")
    returned_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    cancel_reason: Mapped[str] = mapped_column(Text, default="")
    # The customer's paper receipt is recovered and voided at the hand-back (十二).
    voided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    case = relationship("RepairCase")
    technician = relationship("User", foreign_keys=[technician_id])
    inspected_by = relationship("User", foreign_keys=[inspected_by_id])
    items: Mapped[list["GoodsItem"]] = relationship(back_populates="receipt", order_by="GoodsItem.position",
                                                    cascade="all, delete-orphan")
    photos: Mapped[list["GoodsPhoto"]] = relationship(back_populates="receipt", order_by="GoodsPhoto.position",
                                                      cascade="all, delete-orphan")
    labour: Mapped[list["WorkshopLabour"]] = relationship(back_populates="receipt", order_by="WorkshopLabour.id",
                                                          cascade="all, delete-orphan")


class GoodsItem(db.Model):
    """One product handed over, with the answers to its product type's condition checklist."""
    __tablename__ = "goods_item"

    id: Mapped[int] = mapped_column(primary_key=True)
    receipt_id: Mapped[int] = mapped_column(ForeignKey("goods_receipt.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=1)
    equipment_id: Mapped[int | None] = mapped_column(ForeignKey("equipment.id"))
    product_type_id: Mapped[int | None] = mapped_column(ForeignKey("product_type.id"))
    description: Mapped[str] = mapped_column(String(100), default="")
    model: Mapped[str] = mapped_column(String(60), default="")
    serial: Mapped[str] = mapped_column(String(60), default="", index=True)
    quantity: Mapped[int] = mapped_column(Integer, default=1)
    # [{"label": "外观划痕", "result": "ok" | "issue" | "na" | "", "note": ""}, …] in checklist order
    checks: Mapped[list] = mapped_column(JSON, default=list)

    receipt: Mapped[GoodsReceipt] = relationship(back_populates="items")
    product_type = relationship("ProductType")
    equipment = relationship("Equipment")


class GoodsPhoto(db.Model):
    """A photo of the unit's condition at take-in (normalised JPEG from core.photos)."""
    __tablename__ = "goods_photo"

    id: Mapped[int] = mapped_column(primary_key=True)
    receipt_id: Mapped[int] = mapped_column(ForeignKey("goods_receipt.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=1)
    filename: Mapped[str] = mapped_column(String(120), default="")
    mime: Mapped[str] = mapped_column(String(30), default="image/jpeg")
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    receipt: Mapped[GoodsReceipt] = relationship(back_populates="photos")


class WorkshopLabour(db.Model):
    """Actual repair time written on the repair card (实际修护使用时间)."""
    __tablename__ = "workshop_labour"

    id: Mapped[int] = mapped_column(primary_key=True)
    receipt_id: Mapped[int] = mapped_column(ForeignKey("goods_receipt.id", ondelete="CASCADE"), index=True)
    technician_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    worked_on: Mapped[date] = mapped_column(Date)
    hours: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    work: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    receipt: Mapped[GoodsReceipt] = relationship(back_populates="labour")
    technician = relationship("User")


class ConditionCheck(db.Model):
    """One item of a product type's condition checklist at take-in, in order."""
    __tablename__ = "condition_check"

    id: Mapped[int] = mapped_column(primary_key=True)
    product_type_id: Mapped[int] = mapped_column(ForeignKey("product_type.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=1)
    label: Mapped[str] = mapped_column(String(60))
