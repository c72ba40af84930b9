from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import (Boolean, Column, Date, Enum, ForeignKey, Index, Integer, Numeric, String, Table,
                        Text, UniqueConstraint)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.models import TimestampMixin, UTCDateTime, VersionedMixin
from portal.extensions import db


def _enum(cls):
    return Enum(cls, native_enum=False, length=max(20, max(len(m.value) for m in cls)), values_callable=lambda members: [m.value for m in members])


class CustomerKind(enum.StrEnum):
    end_customer = "end_customer"
    agent = "agent"

    @property
    def label(self) -> str:
        return str({CustomerKind.end_customer: _l("End customer"), CustomerKind.agent: _l("Agent / dealer")}[self])


class CustomerStatus(enum.StrEnum):
    active = "active"
    merged = "merged"


class WarrantyKind(enum.StrEnum):
    in_warranty = "in_warranty"
    out_of_warranty = "out_of_warranty"
    under_contract = "under_contract"

    @property
    def label(self) -> str:
        return str({WarrantyKind.in_warranty: _l("In warranty"), WarrantyKind.out_of_warranty: _l("Out of warranty"),
                    WarrantyKind.under_contract: _l("Under contract")}[self])

    @property
    def css_class(self) -> str:
        return {"in_warranty": "ok", "out_of_warranty": "bad", "under_contract": "warn"}[self.value]


class PartsTerms(enum.StrEnum):
    free = "free"
    discount = "discount"

    @property
    def label(self) -> str:
        return str({PartsTerms.free: _l("Parts free"), PartsTerms.discount: _l("Parts at a discount")}[self])


class LabourTerms(enum.StrEnum):
    free = "free"
    fixed = "fixed"

    @property
    def label(self) -> str:
        return str({LabourTerms.free: _l("Labour and visits free"), LabourTerms.fixed: _l("Fixed labour / visit fee")}[self])


class ContractStatus(enum.StrEnum):
    active = "active"
    cancelled = "cancelled"


class ProductType(TimestampMixin, VersionedMixin, db.Model):
    __tablename__ = "product_type"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(60), unique=True)
    default_warranty_months: Mapped[int] = mapped_column(Integer, default=12)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Customer(TimestampMixin, VersionedMixin, db.Model):
    __tablename__ = "customer"
    __table_args__ = (Index("ix_customer_list", "status", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    is_organisation: Mapped[bool] = mapped_column(Boolean, default=False)
    kind: Mapped[CustomerKind] = mapped_column(_enum(CustomerKind), default=CustomerKind.end_customer)
    province: Mapped[str] = mapped_column(String(20), default="")
    city: Mapped[str] = mapped_column(String(30), default="")
    district: Mapped[str] = mapped_column(String(30), default="")
    street: Mapped[str] = mapped_column(String(120), default="")
    region: Mapped[str] = mapped_column(String(30), default="", index=True)
    key_customer: Mapped[bool] = mapped_column(Boolean, default=False)
    notes: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[CustomerStatus] = mapped_column(_enum(CustomerStatus), default=CustomerStatus.active)
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("customer.id"))
    # Lower-cased number, names, phones (as typed and digits only), address and serials; kept
    # by services.refresh_search_text so one LIKE finds a customer by any of them.
    search_text: Mapped[str] = mapped_column(Text, default="")

    contacts: Mapped[list["Contact"]] = relationship(back_populates="customer", order_by="Contact.position",
                                                     cascade="all, delete-orphan")
    equipment: Mapped[list["Equipment"]] = relationship(back_populates="customer", foreign_keys="Equipment.customer_id",
                                                        order_by="Equipment.id")
    contracts: Mapped[list["ServiceContract"]] = relationship(back_populates="customer", order_by="ServiceContract.id")

    @property
    def address(self) -> str:
        return "".join(part for part in (self.province, self.city, self.district, self.street) if part)

    @property
    def primary_phone(self) -> str:
        return self.contacts[0].phone if self.contacts else ""


class Contact(db.Model):
    __tablename__ = "contact"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    name: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(40), default="")
    phone: Mapped[str] = mapped_column(String(24), index=True)
    alt_phone: Mapped[str] = mapped_column(String(24), default="", index=True)

    customer: Mapped[Customer] = relationship(back_populates="contacts")


contract_equipment = Table(
    "contract_equipment", db.metadata,
    Column("contract_id", ForeignKey("service_contract.id", ondelete="CASCADE"), primary_key=True),
    Column("equipment_id", ForeignKey("equipment.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Equipment(TimestampMixin, VersionedMixin, db.Model):
    __tablename__ = "equipment"
    __table_args__ = (UniqueConstraint("product_type_id", "serial", name="uq_equipment_type_serial"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), index=True)
    product_type_id: Mapped[int] = mapped_column(ForeignKey("product_type.id"))
    model: Mapped[str] = mapped_column(String(60), default="")
    serial: Mapped[str] = mapped_column(String(60), index=True)
    purchase_date: Mapped[date] = mapped_column(Date)
    warranty_months: Mapped[int | None] = mapped_column(Integer)  # None: the product type's default
    # Last day covered by the warranty, derived from the two above; stored so lists can filter.
    warranty_ends_on: Mapped[date | None] = mapped_column(Date, index=True)
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("customer.id"))
    notes: Mapped[str] = mapped_column(Text, default="")

    customer: Mapped[Customer] = relationship(back_populates="equipment", foreign_keys=[customer_id])
    product_type: Mapped[ProductType] = relationship()
    agent: Mapped[Customer | None] = relationship(foreign_keys=[agent_id])
    contracts: Mapped[list["ServiceContract"]] = relationship(secondary=contract_equipment,
                                                              back_populates="equipment")

    @property
    def effective_warranty_months(self) -> int:
        return self.warranty_months if self.warranty_months is not None else self.product_type.default_warranty_months


class ServiceContract(TimestampMixin, VersionedMixin, db.Model):
    __tablename__ = "service_contract"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), index=True)
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date] = mapped_column(Date)
    parts_terms: Mapped[PartsTerms] = mapped_column(_enum(PartsTerms), default=PartsTerms.free)
    parts_discount_pct: Mapped[Decimal] = mapped_column(Numeric(5, 2), default=Decimal("0"))
    labour_terms: Mapped[LabourTerms] = mapped_column(_enum(LabourTerms), default=LabourTerms.free)
    labour_fee: Mapped[Decimal] = mapped_column(Numeric(10, 2), default=Decimal("0"))
    status: Mapped[ContractStatus] = mapped_column(_enum(ContractStatus), default=ContractStatus.active)
    notes: Mapped[str] = mapped_column(Text, default="")

    customer: Mapped[Customer] = relationship(back_populates="contracts")
    equipment: Mapped[list[Equipment]] = relationship(secondary=contract_equipment, back_populates="contracts")

    def covers(self, day: date) -> bool:
        return self.status is ContractStatus.active and self.start_date <= day <= self.end_date


class CorrectionStatus(enum.StrEnum):
    open = "open"
    fixed = "fixed"


class DataCorrection(TimestampMixin, db.Model):
    """A technician's report that the archive is wrong (address, phone, unit); the clerk fixes it
    the same day (forms catalogue T7)."""
    __tablename__ = "data_correction"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), index=True)
    equipment_id: Mapped[int | None] = mapped_column(ForeignKey("equipment.id"))
    field: Mapped[str] = mapped_column(String(20), default="other")
    description: Mapped[str] = mapped_column(Text)
    reported_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    due_on: Mapped[date] = mapped_column(Date)
    status: Mapped[CorrectionStatus] = mapped_column(_enum(CorrectionStatus), default=CorrectionStatus.open, index=True)
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolution: Mapped[str] = mapped_column(Text, default="")

    customer: Mapped[Customer] = relationship()
    equipment: Mapped[Equipment | None] = relationship()
    reported_by = relationship("User", foreign_keys=[reported_by_id])
    resolved_by = relationship("User", foreign_keys=[resolved_by_id])
