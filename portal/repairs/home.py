"""Home-page panels of the repair cases: the operator's calls of the day, the office's overdue board."""
from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from sqlalchemy import select

from portal.core import home
from portal.core.roles import Role
from portal.core.timeutil import from_local, local_now, local_today
from portal.extensions import db
from portal.repairs import services
from portal.repairs.models import CaseState as S, RepairCase

HOME_ROWS = 10


def calls_today(user: Any) -> dict[str, Any]:
    start = from_local(datetime.combine(local_today(), time()))
    cases = list(db.session.scalars(select(RepairCase).where(RepairCase.received_at >= start,
                                                             RepairCase.received_at < start + timedelta(days=1))
                                    .order_by(RepairCase.received_at.desc(), RepairCase.id.desc()).limit(100)))
    guided = sum(1 for c in cases if c.guidance_notes and c.state in (S.phone_guided, S.closed))
    unhandled = sum(1 for c in cases if c.state is S.registered)
    return {"cases": cases, "mine": sum(1 for c in cases if c.registered_by_id == user.id), "guided": guided,
            "unhandled": unhandled, "onward": len(cases) - guided - unhandled, "clock": services.running_clock}


def overdue(user: Any) -> dict[str, Any]:
    # The most urgent rows only: a busy department has hundreds, and the board page lists them all.
    return {"clocks": services.overdue_board(), "now": local_now(), "limit": HOME_ROWS}


home.register("calls_today", {Role.operator}, "repairs/_home_calls.html", calls_today, order=10, wide=True)
home.register("overdue", {Role.clerk, Role.manager}, "repairs/_home_overdue.html", overdue, order=30, wide=True)
