"""Plain-data contexts for the fee schedule card (收费标准卡) and the parts requisition slip
(零配件领料单); always printed in Chinese."""
from __future__ import annotations

from portal.core.timeutil import as_local, local_now, local_today
from portal.parts import services
from portal.parts.models import Requisition, RequisitionState
from portal.settings.services import letterhead

STATE_NAMES = {RequisitionState.requested: "已申请", RequisitionState.issued: "已发料",
               RequisitionState.reported: "已报用量", RequisitionState.closed: "已结单",
               RequisitionState.cancelled: "已取消"}


def _day(moment) -> str:
    local = as_local(moment)
    return local.strftime("%Y-%m-%d") if local else ""


def _qty(value: int | None) -> str:
    return "" if value is None else str(value)


def fee_schedule_context() -> dict:
    parts, fees = services.schedule()
    effective = services.schedule_effective_date() or local_today()
    return {
        "letterhead": letterhead(), "title": "收费标准卡", "number": f"SFBZ-{effective:%Y%m%d}", "draft": False,
        "effective": effective.isoformat(), "printed_at": local_now().strftime("%Y-%m-%d %H:%M"),
        "parts": [{"code": p.code, "name": p.name, "spec": p.spec, "unit": p.unit,
                   "price": services.money(p.unit_price)} for p in parts],
        "fees": [{"name": f.name, "unit": f.unit, "price": services.money(f.unit_price),
                  "visit": f.is_visit_fee} for f in fees],
    }


def requisition_context(requisition: Requisition) -> dict:
    case = requisition.case
    return {
        "letterhead": letterhead(), "title": "零配件领料单", "number": requisition.number, "draft": False,
        "void": requisition.state is RequisitionState.cancelled,
        "printed_at": local_now().strftime("%Y-%m-%d %H:%M"),
        "state": STATE_NAMES[requisition.state],
        "case_number": case.number, "customer": case.customer.name, "address": case.customer.address,
        "unit": (f"{case.equipment.product_type.name} {case.equipment.model} · {case.equipment.serial}"
                 if case.equipment else ""),
        "technician": requisition.technician.display_name,
        "keeper": requisition.issued_by.display_name if requisition.issued_by else "",
        "requested_on": _day(requisition.requested_at), "issued_on": _day(requisition.issued_at),
        "reported_on": _day(requisition.reported_at), "closed_on": _day(requisition.closed_at),
        "note": requisition.note,
        "lines": [{"code": line.part.code, "name": line.part.name, "spec": line.part.spec, "unit": line.part.unit,
                   "requested": _qty(line.requested_qty), "issued": _qty(line.issued_qty),
                   "used": _qty(line.used_qty), "returned": _qty(line.returned_qty)}
                  for line in requisition.lines],
        "totals": {name: sum(getattr(line, f"{name}_qty") or 0 for line in requisition.lines)
                   for name in ("requested", "issued", "used", "returned")},
    }
