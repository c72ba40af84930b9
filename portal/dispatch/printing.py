"""Plain-data context for the printed dispatch slip (售后派工单 F02); always printed in Chinese."""
from __future__ import annotations

from datetime import date

from flask_babel import force_locale

from portal.core.timeutil import local_now
from portal.customers.warranty import equipment_status
from portal.dispatch.models import DispatchSlip
from portal.dispatch.services import contact_attempts, local_text
from portal.settings.services import letterhead

# Printed documents are Chinese-only fixed text, whatever the catalogue holds today.
URGENCY = {"normal": "普通", "urgent": "紧急"}
WARRANTY = {"in_warranty": "保修期内", "out_of_warranty": "已过保", "under_contract": "合同保修"}
OUTCOME = {"reached": "已联系上", "no_answer": "无人接听", "wrong_number": "号码错误"}


def _change_row(change) -> dict:
    if change.kind.value == "reschedule":
        what = f"改约：{local_text(change.from_appointment_at)} → {local_text(change.to_appointment_at)}"
        if change.customer_agreed:
            what += "（客户已同意）"
    else:
        what = (f"改派：{change.from_technician.display_name if change.from_technician else '—'} → "
                f"{change.to_technician.display_name if change.to_technician else '—'}")
    return {"at": local_text(change.at), "what": what, "reason": change.reason,
            "by": change.by.display_name if change.by else ""}


def slip_context(slip: DispatchSlip, *, today: date) -> dict:
    case = slip.case
    customer, unit = case.customer, case.equipment
    with force_locale("zh_CN"):
        warranty = equipment_status(unit, today=today) if unit else None
        attempts = [{"at": local_text(a.at), "outcome": OUTCOME[a.outcome.value], "note": a.note,
                     "technician": a.technician.display_name if a.technician else ""}
                    for a in reversed(contact_attempts(case))]
    return {
        "letterhead": letterhead(), "title": "售后派工单", "number": slip.number, "draft": False,
        "void": slip.superseded, "printed_at": local_now().strftime("%Y-%m-%d %H:%M"),
        "case": {"number": case.number, "received": local_text(case.received_at), "caller": case.caller_name,
                 "caller_phone": case.caller_phone, "symptom": case.symptom, "probable_cause": case.probable_cause,
                 "parts_to_prepare": case.parts_to_prepare, "urgency": URGENCY[case.urgency.value],
                 "urgent": case.urgency.value == "urgent", "onsite_due": local_text(case.onsite_due_at)},
        "customer": {"name": customer.name, "number": customer.number, "address": customer.address,
                     "contacts": [{"name": c.name, "title": c.title, "phone": c.phone, "alt_phone": c.alt_phone}
                                  for c in customer.contacts]},
        "unit": None if unit is None else {
            "product_type": unit.product_type.name, "model": unit.model, "serial": unit.serial,
            "purchase_date": unit.purchase_date.isoformat(), "warranty": WARRANTY[warranty.kind.value],
            "warranty_class": warranty.kind.value, "reason": warranty.reason},
        "slip": {"technician": slip.technician.display_name if slip.technician else "",
                 "appointment": local_text(slip.appointment_at), "late_reason": slip.late_reason,
                 "customer_agreed": "是" if slip.customer_agreed else "否", "instructions": slip.instructions,
                 "dispatched_by": slip.dispatched_by.display_name if slip.dispatched_by else "",
                 "dispatched_at": local_text(slip.dispatched_at)},
        "changes": [_change_row(c) for c in slip.changes],
        "attempts": attempts,
    }
