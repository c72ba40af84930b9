"""Charging rules of the repair receipt (forms catalogue §3.4, §3.5, W4). Pure: no database.

- Under an active service contract: category B, priced by the contract's terms.
- In warranty: category C, parts and fees free; a unit sold by an agent is billed to the agent.
- In warranty but damaged by misuse: category A (paid), with the reason written down.
- Out of warranty, or no unit on the case: category A at the fee schedule's prices.
"""
from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, NamedTuple

from flask_babel import gettext as _

from portal.customers.models import LabourTerms, PartsTerms, WarrantyKind
from portal.customers.warranty import equipment_status
from portal.receipts.models import ChargeCategory, LineKind

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
HUNDRED = Decimal("100")


class Decision(NamedTuple):
    category: ChargeCategory
    reason: str
    contract: Any | None
    agent: Any | None


def money(value: Decimal | int | str) -> Decimal:
    """A Decimal rounded to the cent, half up (never float)."""
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def decide_category(*, equipment: Any | None, today: date, misuse: bool, misuse_reason: str = "") -> Decision:
    """The service category for this unit on this day, with the reason printed on the receipt."""
    if equipment is None:
        return Decision(ChargeCategory.paid, _("no unit recorded on the case: paid service"), None, None)
    status = equipment_status(equipment, today=today)
    if status.kind is WarrantyKind.under_contract:
        contract = next(c for c in equipment.contracts if c.covers(today))
        return Decision(ChargeCategory.contract, status.reason, contract, None)
    if status.kind is WarrantyKind.in_warranty:
        if misuse:
            return Decision(ChargeCategory.paid, _("in warranty (%(status)s), damaged by misuse: %(reason)s",
                                                   status=status.reason, reason=misuse_reason.strip() or "—"),
                            None, None)
        agent = getattr(equipment, "agent", None)
        if agent is not None:
            return Decision(ChargeCategory.free, _("%(status)s; sold by agent %(agent)s, who is billed afterwards",
                                                   status=status.reason, agent=agent.name), None, agent)
        return Decision(ChargeCategory.free, status.reason, None, None)
    return Decision(ChargeCategory.paid, status.reason, None, None)


def price_line(*, category: ChargeCategory, contract: Any | None, kind: LineKind, list_price: Decimal,
               quantity: Decimal, visit_fee: bool = False) -> Decimal:
    """The unit price charged for one line under the category's rule (list_price: the schedule's)."""
    if Decimal(quantity) <= 0:
        raise ValueError("quantity must be positive")
    kind = LineKind(kind)
    list_price = money(list_price)
    if category is ChargeCategory.free:
        return ZERO
    if category is ChargeCategory.paid:
        return list_price
    if contract is None:
        raise ValueError("a contract-service line needs its contract")
    if kind is LineKind.part:
        if contract.parts_terms is PartsTerms.free:
            return ZERO
        pct = Decimal(contract.parts_discount_pct or 0)
        return money(list_price * (HUNDRED - pct) / HUNDRED)
    if contract.labour_terms is LabourTerms.free:
        return ZERO
    return money(contract.labour_fee) if visit_fee else ZERO


def line_amount(unit_price: Decimal, quantity: Decimal) -> Decimal:
    return money(Decimal(unit_price) * Decimal(quantity))
