"""Factory helpers for receipt tests (call inside an app context)."""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from portal.core.timeutil import local_today, utcnow
from portal.customers import services as customers
from portal.customers.models import CustomerKind
from portal.extensions import db
from portal.parts.models import FeeItem, Part, Requisition, RequisitionLine, RequisitionState
from portal.repairs.models import CaseState, RepairCase
from tests.customers import helpers as customer_helpers
from tests.repairs import helpers as case_helpers

_counter = iter(range(1, 100_000))


def in_warranty() -> date:
    return local_today() - timedelta(days=30)


def out_of_warranty() -> date:
    return local_today() - timedelta(days=3 * 365)


def part(name: str = "点火针", price: str = "15.00", *, spec: str = "", unit: str = "个") -> Part:
    n = next(_counter)
    item = Part(code=f"P{n:05d}", name=name, spec=spec, unit=unit, unit_price=Decimal(price), stock_qty=100,
                reorder_level=0, active=True)
    db.session.add(item)
    db.session.flush()
    return item


def fee(name: str = "上门费", price: str = "50.00", *, visit: bool = False, unit: str = "次") -> FeeItem:
    n = next(_counter)
    item = FeeItem(code=f"F{n:05d}", name=name, unit=unit, unit_price=Decimal(price), is_visit_fee=visit, active=True)
    db.session.add(item)
    db.session.flush()
    return item


def report_used(case: RepairCase, used: list[tuple[Part, int]], *, state=RequisitionState.reported) -> Requisition:
    """A requisition whose use was reported (rows written directly, as the parts family would)."""
    requisition = Requisition(number=f"LL-TEST-{next(_counter):06d}", case_id=case.id,
                              technician_id=case.technician_id, state=state, state_changed_at=utcnow(),
                              requested_at=utcnow(), issued_at=utcnow(), reported_at=utcnow(), note="")
    requisition.lines = [RequisitionLine(part_id=p.id, requested_qty=max(qty, 1), issued_qty=max(qty, 1),
                                         used_qty=qty, returned_qty=0) for p, qty in used]
    db.session.add(requisition)
    db.session.flush()
    return requisition


def job(technician_id: int, *, bought: date | None = None, months: int | None = 12, agent: bool = False,
        unit: bool = True) -> RepairCase:
    """A case on site for the technician, for a unit bought on `bought`."""
    owner = customer_helpers.customer("泉城大酒店")
    case = case_helpers.case_in(CaseState.on_site, technician_id=technician_id, customer=owner,
                                bought=bought or out_of_warranty(), months=months, unit=unit)
    if agent and case.equipment is not None:
        dealer = customer_helpers.customer("济南鑫源商贸", kind=CustomerKind.agent)
        case.equipment.agent_id = dealer.id
        db.session.flush()
        db.session.refresh(case.equipment)
    return case


def contract(case: RepairCase, **terms):
    values = {"equipment_ids": [case.equipment_id], "start_date": local_today() - timedelta(days=10),
              "end_date": local_today() + timedelta(days=355), "parts_terms": "free", "parts_discount_pct": 0,
              "labour_terms": "free", "labour_fee": 0}
    values.update(terms)
    return customers.contract_create(customer=case.customer, values=values, actor=None)


def commit():
    db.session.commit()
