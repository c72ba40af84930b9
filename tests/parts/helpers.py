"""Factory helpers for parts tests (call inside an app context)."""
from __future__ import annotations

from decimal import Decimal

from portal.extensions import db
from portal.parts import services
from portal.parts.models import Requisition
from portal.repairs.models import CaseState
from tests.repairs import helpers as case_helpers

_counter = iter(range(1, 10_000))


def part(name: str = "点火针", *, price: str = "12.00", stock: int = 10, reorder: int = 2, code: str | None = None,
         spec: str = "陶瓷 长 80 mm", unit: str = "个", actor=None):
    item = services.part_create(values={"code": code or f"P-{next(_counter):03d}", "name": name, "spec": spec,
                                        "unit": unit, "unit_price": Decimal(price), "reorder_level": reorder},
                                actor=actor)
    if stock:
        services.receive_stock(part=item, quantity=stock, note="期初库存", actor=actor)
    return item


def fee(name: str = "上门服务费", *, price: str = "50.00", unit: str = "次", visit: bool = False, code: str | None = None):
    return services.fee_item_create(values={"code": code or f"F-{next(_counter):03d}", "name": name, "unit": unit,
                                            "unit_price": Decimal(price), "is_visit_fee": visit}, actor=None)


def job(technician_id: int, state: CaseState = CaseState.on_site):
    return case_helpers.case_in(state, technician_id=technician_id)


def requisition(case, technician_id: int, lines, note: str = "") -> Requisition:
    tech = case_helpers.user(technician_id)
    return services.requisition_create(case=case, technician=tech, lines=[(p.id, q) for p, q in lines], note=note,
                                       actor=tech)


def issued(case, technician_id: int, lines, keeper=None) -> Requisition:
    req = requisition(case, technician_id, lines)
    services.requisition_issue(requisition=req, issued={line.id: line.requested_qty for line in req.lines},
                               actor=keeper)
    return req


def commit():
    db.session.commit()
