from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import Boolean, Date, ForeignKey, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.models import TimestampMixin, UTCDateTime, VersionedMixin
from portal.core.workflow import StateMachine
from portal.customers.models import _enum
from portal.extensions import db


class ChargeCategory(enum.StrEnum):
    """Service categories of the seeds (forms catalogue §3.5)."""
    paid = "A"
    contract = "B"
    free = "C"

    @property
    def label(self) -> str:
        return str({ChargeCategory.paid: _l("A · paid service"), ChargeCategory.contract: _l("B · contract service"),
                    ChargeCategory.free: _l("C · free (in warranty)")}[self])


class ReceiptState(enum.StrEnum):
    draft = "draft"
    ready = "ready"
    signed = "signed"
    void = "void"

    @property
    def label(self) -> str:
        return str({ReceiptState.draft: _l("Draft"), ReceiptState.ready: _l("Ready for signature"),
                    ReceiptState.signed: _l("Signed"), ReceiptState.void: _l("Void")}[self])


RS = ReceiptState
RECEIPT_WORKFLOW = StateMachine(
    {RS.draft: {RS.ready}, RS.ready: {RS.draft, RS.signed}, RS.signed: {RS.void}, RS.void: set()},
    timestamps={RS.ready: "ready_at", RS.signed: "signed_at", RS.void: "voided_at"},
)


class RepairReceipt(TimestampMixin, VersionedMixin, db.Model):
    """维修服务回执单 (F04), filled by the technician on site."""
    __tablename__ = "repair_receipt"
    workflow = RECEIPT_WORKFLOW

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("repair_case.id"), index=True)
    technician_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    arrived_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    fault_cause: Mapped[str] = mapped_column(Text, default="")
    solution: Mapped[str] = mapped_column(Text, default="")
    test_run_shown: Mapped[bool] = mapped_column(Boolean, default=False)
    instructions_given: Mapped[bool] = mapped_column(Boolean, default=False)
    # Charging: the category is derived from the unit's warranty and contracts when the receipt is
    # priced; misuse of a unit in warranty turns it into a paid service and needs a reason.
    category: Mapped[ChargeCategory] = mapped_column(_enum(ChargeCategory), default=ChargeCategory.paid)
    category_reason: Mapped[str] = mapped_column(Text, default="")
    misuse: Mapped[bool] = mapped_column(Boolean, default=False)
    misuse_reason: Mapped[str] = mapped_column(Text, default="")
    contract_id: Mapped[int | None] = mapped_column(ForeignKey("service_contract.id"))
    bill_agent_id: Mapped[int | None] = mapped_column(ForeignKey("customer.id"))
    customer_consented: Mapped[bool] = mapped_column(Boolean, default=False)
    total: Mapped[Decimal] = mapped_column(Numeric(10, 2), default=Decimal("0"))
    collected: Mapped[Decimal] = mapped_column(Numeric(10, 2), default=Decimal("0"))
    collect_later: Mapped[bool] = mapped_column(Boolean, default=False)
    state: Mapped[ReceiptState] = mapped_column(_enum(ReceiptState), default=ReceiptState.draft, index=True)
    state_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    ready_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    signed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    voided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    void_reason: Mapped[str] = mapped_column(Text, default="")
    # A correction of a signed receipt is a new draft that amends the original (never an edit).
    amends_id: Mapped[int | None] = mapped_column(ForeignKey("repair_receipt.id"))

    case = relationship("RepairCase")
    technician = relationship("User")
    contract = relationship("ServiceContract")
    bill_agent = relationship("Customer")
    lines: Mapped[list["ReceiptLine"]] = relationship(back_populates="receipt", order_by="ReceiptLine.position",
                                                      cascade="all, delete-orphan")


class LineKind(enum.StrEnum):
    part = "part"
    fee = "fee"


class ReceiptLine(db.Model):
    __tablename__ = "receipt_line"

    id: Mapped[int] = mapped_column(primary_key=True)
    receipt_id: Mapped[int] = mapped_column(ForeignKey("repair_receipt.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    kind: Mapped[LineKind] = mapped_column(_enum(LineKind))
    part_id: Mapped[int | None] = mapped_column(ForeignKey("part.id"))
    fee_item_id: Mapped[int | None] = mapped_column(ForeignKey("fee_item.id"))
    description: Mapped[str] = mapped_column(String(160))
    unit: Mapped[str] = mapped_column(String(10), default="")
    quantity: Mapped[Decimal] = mapped_column(Numeric(8, 2))
    list_price: Mapped[Decimal] = mapped_column(Numeric(10, 2))  # the schedule's price when priced
    unit_price: Mapped[Decimal] = mapped_column(Numeric(10, 2))  # what is charged after the rule
    amount: Mapped[Decimal] = mapped_column(Numeric(10, 2))

    receipt: Mapped[RepairReceipt] = relationship(back_populates="lines")


class Collection(TimestampMixin, db.Model):
    """Money not collected on site: a to-do for the technician until it is (§4.7.5)."""
    __tablename__ = "collection"

    id: Mapped[int] = mapped_column(primary_key=True)
    receipt_id: Mapped[int] = mapped_column(ForeignKey("repair_receipt.id"), index=True)
    technician_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    amount: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    due_on: Mapped[date] = mapped_column(Date)
    collected_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    note: Mapped[str] = mapped_column(Text, default="")

    receipt: Mapped[RepairReceipt] = relationship()
    technician = relationship("User")
