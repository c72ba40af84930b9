"""Home-page panel of the complaints: open ones against the one-week answer clock."""
from __future__ import annotations

from typing import Any

from portal.complaints import services
from portal.core import home
from portal.core.roles import Role


def open_complaints(user: Any) -> dict[str, Any]:
    items = services.complaint_list(show="open", limit=50)
    rows = sorted(((c, services.complaint_clock(c)) for c in items), key=lambda row: row[1].due_at)
    return {"rows": rows[:6], "total": len(items), "overdue": services.overdue_count()}


home.register("complaints", {Role.clerk, Role.manager}, "complaints/_home_open.html", open_complaints, order=50)
