"""Hand-counted KPI fixtures (call inside an app context). Times are local (Asia/Shanghai, UTC+8)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from portal.complaints.models import Complaint
from portal.core.numbering import next_number
from portal.core.timeutil import from_local, travel
from portal.dispatch.models import DispatchSlip
from portal.extensions import db
from portal.repairs.models import CaseState, RepairCase
from portal.visits.models import FollowUp, FollowUpKind, FollowUpState
from tests.customers import helpers as customer_helpers
from tests.repairs import helpers as case_helpers

# The moment the tests "look" at the figures: mid November 2026, local time.
NOW = from_local(datetime(2026, 11, 15, 12, 0))


def local(text: str) -> datetime:
    """'2026-10-05 09:00' local → aware UTC."""
    return from_local(datetime.strptime(text, "%Y-%m-%d %H:%M"))


def case(*, received: str, technician_id: int | None = None, state: CaseState = CaseState.signed,
         dispatched: str | None = None, onsite: str | None = None, onsite_due: str | None = None,
         completed: str | None = None, rating: int | None = None, dispatcher_id: int | None = None) -> RepairCase:
    """A case with exactly these times (clock fields written directly; dispatch due = call + 10 min,
    on-site due = call + 3 h unless given)."""
    at = local(received)
    with travel(at):
        item = case_helpers.new_case(customer=customer_helpers.customer("泉城大酒店"), received_at=at)
    item.state = state
    item.technician_id = technician_id
    item.dispatch_due_at = at + timedelta(minutes=10)
    item.onsite_due_at = local(onsite_due) if onsite_due else at + timedelta(hours=3)
    item.dispatched_at = local(dispatched) if dispatched else None
    item.on_site_at = local(onsite) if onsite else None
    item.completed_at = local(completed) if completed else None
    item.signed_at = local(completed) + timedelta(minutes=5) if completed and rating else None
    item.rating = rating
    db.session.flush()
    if dispatched and technician_id:
        db.session.add(DispatchSlip(number=next_number("PG"), case_id=item.id, technician_id=technician_id,
                                    appointment_at=item.onsite_due_at, dispatched_by_id=dispatcher_id,
                                    dispatched_at=item.dispatched_at))
        db.session.flush()
    return item


def complaint(*, received: str, service: bool, case_: RepairCase | None = None,
              responsible_id: int | None = None) -> Complaint:
    owner = case_.customer if case_ is not None else customer_helpers.customer("济南鲁味居")
    item = Complaint(number=next_number("TS"), customer_id=owner.id, case_id=case_.id if case_ else None,
                     complainant="王先生", content="师傅态度不好", received_at=local(received),
                     caused_by_service=service, responsible_user_id=responsible_id)
    db.session.add(item)
    db.session.flush()
    return item


def follow_up(case_: RepairCase, *, due: str, done: str | None = None,
              state: FollowUpState = FollowUpState.done) -> FollowUp:
    item = FollowUp(number=next_number("HJ"), case_id=case_.id, kind=FollowUpKind.service, attempt=1,
                    service_ended_at=local(due) - timedelta(hours=24), due_at=local(due),
                    done_at=local(done) if done else None, state=state)
    db.session.add(item)
    db.session.flush()
    return item


@dataclass
class World:
    a: int
    b: int
    clerk: int
    cases: dict[str, RepairCase] = field(default_factory=dict)
    complaints: dict[str, Complaint] = field(default_factory=dict)
    follow_ups: dict[str, FollowUp] = field(default_factory=dict)

    def number(self, *names: str) -> list[str]:
        return [self.cases[n].number for n in names]


def build(a: int, b: int, clerk: int) -> World:
    """The fixture every KPI test counts by hand (technicians A and B, October and November 2026):

    c1 A 10-05 09:00  dispatched 09:08 (ok)  on site 11:00 (due 12:00, ok)  done 12:00  rating 5
    c2 A 10-06 10:00  dispatched 10:15 (late) on site 14:00 (due 13:00, late) done 15:30 rating 4
    c3 A 11-01 01:00  (local November, UTC still 31 October) ok, ok, done 04:00, rating 2
    c4 B 10-31 23:50  (local October) dispatched 23:55 ok, on site 11-01 02:00 ok, done 03:00, rating 3
    c5 B 10-10 08:00  dispatched 08:30 (late), on site 12:00 within an agreed 12:30, no receipt yet
    c6 —  10-12 09:00  guided by phone: only a case
    c7 —  10-13 09:00  cancelled: counts nowhere
    c8 B 09-30 23:00  September: dispatched 23:05, on site 09-30 23:50, done 10-01 00:30, rating 5
    """
    w = World(a, b, clerk)
    w.cases["c1"] = case(received="2026-10-05 09:00", technician_id=a, dispatched="2026-10-05 09:08",
                         onsite="2026-10-05 11:00", completed="2026-10-05 12:00", rating=5, dispatcher_id=clerk)
    w.cases["c2"] = case(received="2026-10-06 10:00", technician_id=a, dispatched="2026-10-06 10:15",
                         onsite="2026-10-06 14:00", completed="2026-10-06 15:30", rating=4, dispatcher_id=clerk)
    w.cases["c3"] = case(received="2026-11-01 01:00", technician_id=a, dispatched="2026-11-01 01:05",
                         onsite="2026-11-01 03:00", completed="2026-11-01 04:00", rating=2, dispatcher_id=clerk)
    w.cases["c4"] = case(received="2026-10-31 23:50", technician_id=b, dispatched="2026-10-31 23:55",
                         onsite="2026-11-01 02:00", completed="2026-11-01 03:00", rating=3, dispatcher_id=clerk)
    w.cases["c5"] = case(received="2026-10-10 08:00", technician_id=b, state=CaseState.on_site,
                         dispatched="2026-10-10 08:30", onsite="2026-10-10 12:00", onsite_due="2026-10-10 12:30",
                         dispatcher_id=clerk)
    w.cases["c6"] = case(received="2026-10-12 09:00", state=CaseState.phone_guided)
    w.cases["c7"] = case(received="2026-10-13 09:00", state=CaseState.cancelled)
    w.cases["c8"] = case(received="2026-09-30 23:00", technician_id=b, dispatched="2026-09-30 23:05",
                         onsite="2026-09-30 23:50", completed="2026-10-01 00:30", rating=5, dispatcher_id=clerk)
    # Complaints: two caused by the service in October (A through c2, B as the person found responsible),
    # one in local November (still 31 October in UTC), one not the service's fault.
    w.complaints["p1"] = complaint(received="2026-10-20 10:00", service=True, case_=w.cases["c2"])
    w.complaints["p2"] = complaint(received="2026-11-01 00:30", service=True, case_=w.cases["c4"])
    w.complaints["p3"] = complaint(received="2026-10-21 10:00", service=False, case_=w.cases["c1"])
    w.complaints["p4"] = complaint(received="2026-10-22 10:00", service=True, responsible_id=b)
    # Follow-ups due in October: one on time, one late, one still open past its time, one unreachable;
    # November: one on time (due 00:30 local on the 1st), one open and not due yet (does not count).
    w.follow_ups["f1"] = follow_up(w.cases["c1"], due="2026-10-06 12:00", done="2026-10-06 10:00")
    w.follow_ups["f2"] = follow_up(w.cases["c2"], due="2026-10-07 16:00", done="2026-10-07 17:00")
    w.follow_ups["f3"] = follow_up(w.cases["c8"], due="2026-10-08 12:00", state=FollowUpState.open)
    w.follow_ups["f4"] = follow_up(w.cases["c4"], due="2026-10-31 23:00", state=FollowUpState.unreachable)
    w.follow_ups["f5"] = follow_up(w.cases["c3"], due="2026-11-01 00:30", done="2026-11-01 00:20")
    w.follow_ups["f6"] = follow_up(w.cases["c3"], due="2026-11-20 10:00", state=FollowUpState.open)
    return w
