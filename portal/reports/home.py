"""Home-page panel of the manager: this month's KPIs against the targets, with the charts."""
from __future__ import annotations

from typing import Any

from portal.core import home
from portal.core.roles import Role
from portal.reports import services


def kpis(user: Any) -> dict[str, Any]:
    return services.home_context()


home.register("kpis", {Role.manager}, "reports/_home_kpis.html", kpis, order=5, wide=True)
