"""Home-page panels of the warehouse: requisitions to issue or to confirm, parts running low."""
from __future__ import annotations

from typing import Any

from portal.core import home
from portal.core.roles import Role
from portal.parts import services


def requisitions(user: Any) -> dict[str, Any]:
    queue = services.requisition_queue(recent=0)
    return {"to_issue": queue.to_issue, "to_confirm": queue.to_confirm, "out": len(queue.out)}


def low_stock(user: Any) -> dict[str, Any]:
    parts = [part for part in services.stock_list(low_only=True) if part.active]
    return {"parts": parts, "state": services.stock_state}


home.register("requisitions", {Role.warehouse}, "parts/_home_requisitions.html", requisitions, order=10)
home.register("low_stock", {Role.warehouse}, "parts/_home_low_stock.html", low_stock, order=20)
