"""Factory helpers for customer tests (call inside an app context)."""
from __future__ import annotations

from datetime import date

from portal.customers import services
from portal.customers.models import CustomerKind
from portal.extensions import db

_counter = iter(range(1, 10_000))


def product_type(name: str = "节能灶", months: int = 12):
    existing = next((t for t in services.product_types(include_inactive=True) if t.name == name), None)
    return existing or services.product_type_save(product_type=None, name=name, default_warranty_months=months,
                                                  active=True, expected_version=None, actor=None)


def customer(name: str = "张伟", phone: str | None = None, *, kind: CustomerKind = CustomerKind.end_customer,
             **values):
    n = next(_counter)
    phone = phone or f"139{n:08d}"
    return services.customer_create(values={"name": name, "kind": kind, **values},
                                    contacts=[services.ContactInput(name=name, phone=phone)], actor=None)


def unit(owner, serial: str | None = None, *, bought: date = date(2025, 3, 2), months: int | None = None,
         type_name: str = "节能灶", today: date | None = None, **values):
    kind = product_type(type_name)
    return services.equipment_create(customer=owner, values={
        "product_type_id": kind.id, "serial": serial or f"SN-{next(_counter):05d}", "purchase_date": bought,
        "warranty_months": months, **values}, actor=None, today=today or date(2026, 11, 21))


def commit():
    db.session.commit()
