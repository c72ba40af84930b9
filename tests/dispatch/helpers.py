"""Factory helpers for dispatch tests (call inside an app context unless said otherwise)."""
from __future__ import annotations

from datetime import datetime, timedelta

from portal.accounts.models import User
from portal.core.timeutil import local_now, utcnow
from portal.dispatch import services
from portal.dispatch.models import DispatchSlip
from portal.extensions import db
from portal.repairs.models import CaseState, RepairCase
from tests.repairs import helpers as repair_helpers

EN = {"Accept-Language": "en"}


def local_form_time(delta: timedelta) -> str:
    """A datetime-local form value `delta` from now (works outside an app context)."""
    return (local_now() + delta).strftime("%Y-%m-%dT%H:%M")


def waiting_case(**kwargs) -> RepairCase:
    return repair_helpers.case_in(CaseState.waiting_dispatch, **kwargs)


def dispatched(case: RepairCase, technician_id: int, *, hours: float = 1, actor=None, late_reason: str = "",
               customer_agreed: bool = False) -> DispatchSlip:
    return services.dispatch_case(case=case, technician=db.session.get(User, technician_id),
                                  appointment_at=utcnow() + timedelta(hours=hours), late_reason=late_reason,
                                  customer_agreed=customer_agreed, instructions="带上喷嘴", actor=actor)


def dispatched_case(technician_id: int, **kwargs) -> tuple[RepairCase, DispatchSlip]:
    case = waiting_case(**kwargs)
    slip = dispatched(case, technician_id)
    return case, slip


def case(case_id: int) -> RepairCase:
    return db.session.get(RepairCase, case_id)


def aware(moment: datetime) -> datetime:
    return services.as_utc(moment)
