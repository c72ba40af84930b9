"""Factory helpers for return-slip tests (call inside an app context)."""
from __future__ import annotations

import io
from datetime import date

from PIL import Image

from portal.extensions import db
from portal.returns import services
from portal.returns.models import ReturnSlip, ReturnState
from tests.customers import helpers as customer_helpers

RS = ReturnState


def jpeg(width: int = 400, height: int = 300, colour=(200, 40, 40)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(buffer, "JPEG")
    return buffer.getvalue()


def request_values(**changes):
    kind = customer_helpers.product_type("燃气热水器")
    values = {"equipment_id": None, "product_type_id": kind.id, "model": "JSQ25", "serial": "RS-0001",
              "sale_reference": "FP-2026-0815", "sale_date": date(2026, 10, 2), "quantity_sold": 3, "quantity": 1,
              "reason": "quality_defect", "description": "开机后显示E1，不出热水", "outcome": "exchange"}
    values.update(changes)
    return values


def new_slip(*, customer=None, actor=None, uploads=(), **changes) -> ReturnSlip:
    customer = customer or customer_helpers.customer("泉城大酒店", is_organisation=True)
    return services.slip_create(customer=customer, values=request_values(**changes), uploads=uploads, actor=actor,
                                today=date(2026, 11, 21))


def slip_in(state: ReturnState, *, actor=None, outcome: str = "exchange", **changes) -> ReturnSlip:
    """A slip walked through the workflow to `state`."""
    slip = new_slip(actor=actor, outcome=outcome, **changes)
    if state is RS.requested:
        return slip
    if state is RS.rejected:
        return services.slip_review(slip=slip, approve=False, note="超过退货期限", actor=actor)
    if state is RS.cancelled:
        return services.slip_cancel(slip=slip, reason="客户撤回", actor=actor)
    services.slip_review(slip=slip, approve=True, note="", actor=actor)
    if state is RS.approved:
        return slip
    services.slip_receive(slip=slip, quantity_received=slip.quantity, condition="包装完好", note="", actor=actor)
    if state is RS.received:
        return slip
    services.slip_inspect(slip=slip, result="主板故障", responsibility="manufacturer", actor=actor)
    if state is RS.inspected:
        return slip
    services.slip_resolve(slip=slip, resolution={"exchange": "exchanged", "refund": "refunded"}.get(outcome, "exchanged"),
                          exchange_serial="RS-0099", refund_amount="1280", actor=actor)
    return slip


def commit():
    db.session.commit()
