"""Home-page panel of the follow-up calls: what the clerk must call back today, overdue first."""
from __future__ import annotations

from typing import Any

from portal.core import home
from portal.core.roles import Role
from portal.core.timeutil import utcnow
from portal.visits import services


def followups_due(user: Any) -> dict[str, Any]:
    now = utcnow()
    today, overdue = services.followups_due_count(now=now)
    rows = services.followup_queue(limit=6, show="due", now=now)
    return {"rows": [(f, services.due_level(f, now)) for f in rows], "today": today, "overdue": overdue, "now": now}


home.register("followups", {Role.clerk}, "visits/_home_followups.html", followups_due, order=15)
