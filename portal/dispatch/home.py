"""Home-page panels of dispatch: the clerk's cases to dispatch, the technician's jobs of the day."""
from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from portal.core import home
from portal.core.roles import Role
from portal.core.timeutil import from_local, local_today
from portal.dispatch import services
from portal.repairs.models import CaseState as S
from portal.repairs.services import running_clock

# A job belongs on today's list when the technician is already at it or the appointment is today
# (or earlier: a missed appointment is still today's problem).
UNDER_WAY = (S.on_site, S.awaiting_signature)


def to_dispatch(user: Any) -> dict[str, Any]:
    cases = services.dispatch_queue()
    return {"cases": cases[:8], "total": len(cases), "clock": running_clock}


def jobs_today(user: Any) -> dict[str, Any]:
    jobs = services.my_jobs(technician=user)
    tomorrow = from_local(datetime.combine(local_today() + timedelta(days=1), time()))
    today = [job for job in jobs if job.state in UNDER_WAY
             or (job.appointment_at is not None and services.as_utc(job.appointment_at) < tomorrow)]
    return {"jobs": today, "later": len(jobs) - len(today), "clock": running_clock}


home.register("to_dispatch", {Role.clerk}, "dispatch/_home_queue.html", to_dispatch, order=10)
home.register("jobs_today", {Role.technician}, "dispatch/_home_jobs.html", jobs_today, order=10, wide=True)
