"""Plain-data contexts for the printed goods receipt (客户商品领取收据, A4; also the hand-back
version 商品送还签收) and the repair card (修护卡, A6); always in Chinese."""
from __future__ import annotations

import base64
from typing import Any

from flask import current_app, url_for

from portal.archive.services import qr_svg_data_url
from portal.carryin.models import CheckResult, GoodsReceipt, GoodsState
from portal.core.timeutil import as_local, local_now
from portal.settings.services import letterhead

RESULT_NAMES = {CheckResult.ok.value: "正常/无", CheckResult.issue.value: "有", CheckResult.na.value: "不适用", "": "未检"}
STATE_NAMES = {GoodsState.draft: "草稿", GoodsState.taken_in: "已收件", GoodsState.in_repair: "修护中",
               GoodsState.repaired: "已修妥待验", GoodsState.inspected: "已验讫", GoodsState.returned: "已送还",
               GoodsState.cancelled: "已取消"}


def _time(moment) -> str:
    local = as_local(moment)
    return local.strftime("%Y-%m-%d %H:%M") if local else ""


def _signature(signature: Any) -> dict | None:
    if signature is None:
        return None
    return {"image": f"data:{signature.image_type};base64,{base64.b64encode(signature.image).decode()}",
            "name": signature.signer_name, "is_seal": signature.is_seal, "comment": signature.comment,
            "at": _time(signature.signed_at)}


def _common(goods: GoodsReceipt) -> dict[str, Any]:
    case = goods.case
    contact = case.customer.contacts[0] if case.customer.contacts else None
    return {
        "letterhead": letterhead(), "number": goods.number, "case_number": case.number,
        "printed_at": local_now().strftime("%Y-%m-%d %H:%M"),
        "technician": goods.technician.display_name if goods.technician else "",
        "customer": {"name": case.customer.name, "number": case.customer.number, "address": case.customer.address,
                     "contact": f"{contact.name} {contact.phone}" if contact else "",
                     "caller": f"{case.caller_name} {case.caller_phone}".strip()},
        "symptom": case.symptom, "taken_in_at": _time(goods.taken_in_at), "shelf": goods.shelf,
        "items": [{"no": item.position, "name": item.description, "model": item.model, "serial": item.serial,
                   "quantity": item.quantity,
                   "checks": [{"label": c["label"], "result": RESULT_NAMES.get(c.get("result", ""), "未检"),
                               "issue": c.get("result") == CheckResult.issue.value, "note": c.get("note", "")}
                              for c in (item.checks or [])]}
                  for item in goods.items],
        "state": STATE_NAMES[goods.state],
    }


def goods_print_context(goods: GoodsReceipt, *, mode: str = "receipt", signature: Any = None,
                        verification: dict | None = None, receipt_number: str = "") -> dict[str, Any]:
    """mode "receipt": the goods receipt the customer keeps (void once handed back); mode
    "return": the customer's signature for taking the unit back."""
    returning = mode == "return"
    context = _common(goods)
    context.update({
        "title": "客户商品送还签收单" if returning else "客户商品领取收据", "mode": mode,
        "draft": signature is None, "void": (not returning) and goods.voided_at is not None,
        "voided_at": _time(goods.voided_at),
        "accessories": goods.accessories, "condition_note": goods.condition_note,
        "photos": [{"src": f"data:{p.mime};base64,{base64.b64encode(p.data).decode()}", "no": p.position}
                   for p in goods.photos],
        "returned_at": _time(goods.returned_at), "inspected_at": _time(goods.inspected_at),
        "inspected_by": goods.inspected_by.display_name if goods.inspected_by else "",
        "inspection_note": goods.inspection_note, "receipt_number": receipt_number,
        "signature": _signature(signature), "verification": verification,
    })
    return context


def card_print_context(goods: GoodsReceipt, *, parts: list[dict[str, Any]]) -> dict[str, Any]:
    """The repair card hung on the unit: its QR opens the job at /carryin/<number>."""
    public = (current_app.config.get("PUBLIC_URL") or "").rstrip("/")
    path = url_for("carryin.by_number", number=goods.number)
    url = f"{public}{path}" if public else url_for("carryin.by_number", number=goods.number, _external=True)
    context = _common(goods)
    unit = goods.case.equipment
    context.update({
        "title": "修护卡", "draft": False, "void": False, "job_url": url, "qr": qr_svg_data_url(url),
        "unit": (f"{unit.product_type.name} {unit.model}".strip() if unit else
                 (goods.items[0].description if goods.items else "")),
        "serial": unit.serial if unit else (goods.items[0].serial if goods.items else ""),
        "labour": [{"date": entry.worked_on.strftime("%m-%d"), "hours": f"{entry.hours.normalize():f}",
                    "work": entry.work, "who": entry.technician.display_name if entry.technician else ""}
                   for entry in goods.labour],
        "total_hours": f"{sum((e.hours for e in goods.labour), 0):f}".rstrip("0").rstrip(".") if goods.labour else "",
        "parts": parts, "inspected_at": _time(goods.inspected_at),
        "inspected_by": goods.inspected_by.display_name if goods.inspected_by else "",
        "blank_rows": max(0, 4 - len(goods.labour)),
    })
    return context
