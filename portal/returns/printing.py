"""Plain-data context for the printed return slip (售后服务信息反馈表 / 退货单); always in Chinese,
with the slip's whole history, so the archived copy tells the full story on its own."""
from __future__ import annotations

import base64
from decimal import Decimal
from typing import Any

from portal.core import audit
from portal.core.timeutil import as_local, local_now
from portal.returns.models import Resolution, Responsibility, ReturnOutcome, ReturnReason, ReturnSlip, ReturnState
from portal.settings.services import letterhead

STATE_NAMES = {ReturnState.requested: "已申请", ReturnState.approved: "审核通过", ReturnState.rejected: "审核拒绝",
               ReturnState.received: "仓库已收货", ReturnState.inspected: "已检验", ReturnState.resolved: "已处理待签字",
               ReturnState.closed: "已结案", ReturnState.cancelled: "已撤销"}
REASON_NAMES = {ReturnReason.quality_defect: "质量缺陷", ReturnReason.transport_damage: "运输损坏",
                ReturnReason.wrong_item: "发错货", ReturnReason.misuse: "使用不当", ReturnReason.other: "其他"}
OUTCOME_NAMES = {ReturnOutcome.refund: "退款", ReturnOutcome.exchange: "换货", ReturnOutcome.repair: "维修"}
RESPONSIBILITY_NAMES = {Responsibility.manufacturer: "生产/供应商", Responsibility.transport: "运输/承运商",
                        Responsibility.customer: "客户", Responsibility.undetermined: "待定"}
RESOLUTION_NAMES = {Resolution.exchanged: "已换货", Resolution.refunded: "已退款", Resolution.repaired: "已维修并退回"}
VERB_NAMES = {"created": "登记退货申请", "updated": "修改申请", "photo_added": "添加照片", "photo_removed": "删除照片",
              "archived": "签字存档"}
SATISFACTION = ("非常满意", "满意", "一般", "不满意", "非常不满意")


def _time(moment) -> str:
    local = as_local(moment)
    return local.strftime("%Y-%m-%d %H:%M") if local else ""


def _name(user) -> str:
    return user.display_name if user is not None else ""


def _history(slip: ReturnSlip) -> list[dict[str, str]]:
    rows = []
    for entry in reversed(audit.timeline(slip)):
        verb = entry.action.rpartition(".")[2]
        state = ReturnState.__members__.get(verb)
        rows.append({"at": _time(entry.at), "who": entry.actor_name or "系统",
                     "what": f"→ {STATE_NAMES[state]}" if state else VERB_NAMES.get(verb, verb),
                     "note": entry.note or ""})
    return rows


def _photo(photo) -> dict[str, Any]:
    return {"src": f"data:{photo.mime};base64,{base64.b64encode(photo.data).decode()}", "name": photo.filename}


def slip_print_context(slip: ReturnSlip, *, signature: Any = None, verification: dict | None = None) -> dict:
    customer = slip.customer
    contact = customer.contacts[0] if customer.contacts else None
    return {
        "letterhead": letterhead(), "title": "售后服务信息反馈表（退货单）", "number": slip.number,
        "draft": slip.state is not ReturnState.closed, "void": False,
        "printed_at": local_now().strftime("%Y-%m-%d %H:%M"),
        "state": STATE_NAMES[slip.state], "state_key": slip.state.value,
        "requested_at": _time(slip.requested_at), "requested_by": _name(slip.requested_by),
        "customer": {"name": customer.name, "number": customer.number, "address": customer.address,
                     "contact": f"{contact.name} {contact.phone}" if contact else ""},
        "product": {"type": slip.product_type.name, "model": slip.model, "serial": slip.serial},
        "sale_reference": slip.sale_reference, "sale_date": slip.sale_date.isoformat() if slip.sale_date else "",
        "quantity_sold": slip.quantity_sold, "quantity": slip.quantity,
        "reasons": [(REASON_NAMES[r], r is slip.reason) for r in ReturnReason],
        "description": slip.description,
        "outcomes": [(OUTCOME_NAMES[o], o is slip.outcome) for o in ReturnOutcome],
        "photos": [_photo(p) for p in slip.photos],
        "review": ({"decision": "同意退货" if slip.state is not ReturnState.rejected else "拒绝退货",
                    "rejected": slip.state is ReturnState.rejected, "note": slip.review_note,
                    "by": _name(slip.reviewed_by), "at": _time(slip.reviewed_at)} if slip.reviewed_at else None),
        "receipt": ({"quantity": slip.quantity_received, "condition": slip.condition, "note": slip.receive_note,
                     "by": _name(slip.received_by), "at": _time(slip.received_at),
                     "differs": slip.quantity_received != slip.quantity} if slip.received_at else None),
        "inspection": ({"result": slip.inspection_result,
                        "responsibilities": [(RESPONSIBILITY_NAMES[r], r is slip.responsibility) for r in Responsibility],
                        "by": _name(slip.inspected_by), "at": _time(slip.inspected_at)} if slip.inspected_at else None),
        "resolution": ({"kind": RESOLUTION_NAMES[slip.resolution],
                        "refund": f"{Decimal(slip.refund_amount):,.2f}" if slip.refund_amount is not None else "",
                        "exchange_serial": slip.exchange_serial,
                        "case": slip.repair_case.number if slip.repair_case else "",
                        "note": slip.resolution_note, "by": _name(slip.resolved_by),
                        "at": _time(slip.resolved_at)} if slip.resolved_at and slip.resolution else None),
        "cancelled": ({"reason": slip.cancel_reason, "at": _time(slip.cancelled_at)}
                      if slip.state is ReturnState.cancelled else None),
        "history": _history(slip),
        "satisfaction": SATISFACTION,
        "signature": ({"image": f"data:{signature.image_type};base64,{base64.b64encode(signature.image).decode()}",
                       "name": signature.signer_name, "is_seal": signature.is_seal, "rating": signature.rating,
                       "comment": signature.comment, "at": _time(signature.signed_at)} if signature else None),
        "verification": verification,
    }
