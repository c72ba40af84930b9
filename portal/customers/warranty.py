"""Warranty status: computed from the purchase date, the months and any active contract; never typed."""
from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta

from flask_babel import gettext as _

from portal.customers.models import WarrantyKind


def add_months(day: date, months: int) -> date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def warranty_end(purchase_date: date, months: int) -> date | None:
    """The last day covered: 12 months from 2025-03-02 ends on 2026-03-01. None for no warranty."""
    if months <= 0:
        return None
    return add_months(purchase_date, months) - timedelta(days=1)


@dataclass(frozen=True)
class WarrantyStatus:
    kind: WarrantyKind
    reason: str
    ends_on: date | None


def status_for(*, purchase_date: date, months: int, today: date, contract=None) -> WarrantyStatus:
    ends = warranty_end(purchase_date, months)
    bought = purchase_date.isoformat()
    if contract is not None and contract.covers(today):
        return WarrantyStatus(WarrantyKind.under_contract, _(
            "under contract %(number)s, %(start)s to %(end)s",
            number=contract.number, start=contract.start_date.isoformat(), end=contract.end_date.isoformat()), ends)
    if ends is None:
        return WarrantyStatus(WarrantyKind.out_of_warranty, _("bought %(date)s, no warranty", date=bought), None)
    if today <= ends:
        return WarrantyStatus(WarrantyKind.in_warranty, _(
            "bought %(date)s, %(months)s-month warranty, until %(end)s",
            date=bought, months=months, end=ends.isoformat()), ends)
    return WarrantyStatus(WarrantyKind.out_of_warranty, _(
        "bought %(date)s, %(months)s-month warranty, expired %(end)s",
        date=bought, months=months, end=ends.isoformat()), ends)


def equipment_status(equipment, *, today: date) -> WarrantyStatus:
    contract = next((c for c in equipment.contracts if c.covers(today)), None)
    return status_for(purchase_date=equipment.purchase_date, months=equipment.effective_warranty_months,
                      today=today, contract=contract)
