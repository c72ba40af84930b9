"""Plain-data context for the printed repair service receipt (维修服务回执单); always in Chinese."""
from __future__ import annotations

import base64
from typing import Any

from decimal import Decimal

from flask_babel import force_locale

from portal.core.timeutil import as_local, local_now
from portal.customers.warranty import equipment_status
from portal.receipts.models import ChargeCategory, LineKind, ReceiptState, RepairReceipt
from portal.receipts.services import is_charged, is_workshop_job, service_day
from portal.settings.services import letterhead

CATEGORY_NAMES = {ChargeCategory.paid: "A类 有费服务", ChargeCategory.contract: "B类 合同服务",
                  ChargeCategory.free: "C类 免费服务（保修期内）"}
SATISFACTION = ("非常满意", "满意", "一般", "不满意", "非常不满意")


def _yuan(value: Decimal | None) -> str:
    return f"{Decimal(value or 0):,.2f}"


def _qty(value: Decimal) -> str:
    value = Decimal(value)
    return f"{value:.0f}" if value == value.to_integral_value() else f"{value.normalize():f}"


def _time(moment) -> str:
    local = as_local(moment)
    return local.strftime("%Y-%m-%d %H:%M") if local else ""


def _amended_number(receipt: RepairReceipt) -> str:
    """The number of the void receipt this one corrects, printed on the correction."""
    if receipt.amends_id is None:
        return ""
    from portal.extensions import db
    original = db.session.get(RepairReceipt, receipt.amends_id)
    return original.number if original else ""


def receipt_print_context(receipt: RepairReceipt, *, signature: Any = None, verification: dict | None = None) -> dict:
    """The receipt as plain data; with `signature` (a core Signature) and `verification` ({"url",
    "code", "qr"}) it is the signed, archived version."""
    case, unit = receipt.case, receipt.case.equipment
    with force_locale("zh_CN"):
        status = equipment_status(unit, today=service_day(receipt)) if unit else None
        total, collected = Decimal(receipt.total or 0), Decimal(receipt.collected or 0)
        lines = [{"no": i, "kind": "配件" if line.kind is LineKind.part else "费用", "description": line.description,
                  "quantity": _qty(line.quantity), "unit": line.unit, "list_price": _yuan(line.list_price),
                  "unit_price": _yuan(line.unit_price), "amount": _yuan(line.amount),
                  "discounted": line.unit_price != line.list_price}
                 for i, line in enumerate(receipt.lines, start=1)]
        list_value = sum((Decimal(line.list_price) * Decimal(line.quantity) for line in receipt.lines), Decimal(0))
        contact = case.customer.contacts[0] if case.customer.contacts else None
        return {
            "letterhead": letterhead(), "title": "维修服务回执单", "number": receipt.number,
            "draft": receipt.state is not ReceiptState.signed, "void": receipt.state is ReceiptState.void,
            "void_reason": receipt.void_reason if receipt.state is ReceiptState.void else "",
            "voided_at": _time(receipt.voided_at) if receipt.state is ReceiptState.void else "",
            "amends": _amended_number(receipt),
            "printed_at": local_now().strftime("%Y-%m-%d %H:%M"),
            "case_number": case.number, "technician": receipt.technician.display_name if receipt.technician else "",
            "customer": {"name": case.customer.name, "number": case.customer.number, "address": case.customer.address,
                         "contact": f"{contact.name} {contact.phone}" if contact else "",
                         "caller": f"{case.caller_name} {case.caller_phone}".strip()},
            "unit": ({"name": f"{unit.product_type.name} {unit.model}".strip(), "serial": unit.serial,
                      "purchase_date": unit.purchase_date.isoformat(), "status": status.kind.label,
                      "status_class": status.kind.value, "reason": status.reason} if unit else None),
            "symptom": case.symptom,
            "arrived_at": _time(receipt.arrived_at), "finished_at": _time(receipt.finished_at),
            "workshop": is_workshop_job(receipt),
            "fault_cause": receipt.fault_cause, "solution": receipt.solution,
            "test_run_shown": receipt.test_run_shown, "instructions_given": receipt.instructions_given,
            "category": CATEGORY_NAMES[receipt.category], "category_reason": receipt.category_reason,
            "contract": receipt.contract.number if receipt.contract else "",
            "lines": lines, "total": _yuan(total), "collected": _yuan(collected),
            "to_collect": _yuan(total - collected) if total > collected else "",
            "collect_later": receipt.collect_later and total > collected,
            "consented": receipt.customer_consented if is_charged(receipt) else None,
            "agent": receipt.bill_agent.name if receipt.bill_agent else "",
            "agent_value": _yuan(list_value) if receipt.bill_agent else "",
            "satisfaction": SATISFACTION,
            "signed_at": _time(receipt.signed_at),
            "signature": ({"image": f"data:{signature.image_type};base64,{base64.b64encode(signature.image).decode()}",
                           "name": signature.signer_name, "is_seal": signature.is_seal, "rating": signature.rating,
                           "comment": signature.comment, "at": _time(signature.signed_at)} if signature else None),
            "verification": verification,
        }
