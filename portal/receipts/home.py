"""Home-page panel of the receipts: money the technician still has to collect."""
from __future__ import annotations

from decimal import Decimal
from typing import Any

from portal.core import home
from portal.core.roles import Role
from portal.core.timeutil import local_today
from portal.receipts import services


def my_collections(user: Any) -> dict[str, Any]:
    items = services.open_collections(actor=user)
    return {"items": items, "total": sum((item.amount for item in items), Decimal("0")), "today": local_today()}


home.register("my_collections", {Role.technician}, "receipts/_home_collections.html", my_collections, order=20)
