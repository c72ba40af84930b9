"""Closed months' counts are kept per process until a write stamps the month (portal/reports/cache.py)."""
from __future__ import annotations

from dataclasses import asdict
from datetime import date, timedelta

from sqlalchemy import select, update

from portal.core.timeutil import travel
from portal.extensions import db
from portal.reports import cache, services
from portal.reports.models import KpiStamp
from portal.repairs.models import RepairCase
from portal.visits.models import FollowUp
from tests.reports import helpers

OCT = (date(2026, 10, 1), date(2026, 10, 31))
NOV = (date(2026, 11, 1), date(2026, 11, 30))


def summary(start: date, end: date, technician_id: int | None = None) -> services.KpiSummary:
    with travel(helpers.NOW):
        return services.kpi_summary(start=start, end=end, technician_id=technician_id)


def pair(figure) -> tuple[int, int]:
    return figure.numerator, figure.denominator


def comparable(s: services.KpiSummary) -> dict:
    return {"department": {k: pair(f) for k, f in s.department.items()},
            "technicians": [(r.user_id, {k: pair(f) for k, f in r.figures.items()}) for r in s.technicians],
            "months": [(m.key, {k: pair(f) for k, f in m.figures.items()}) for m in s.months]}


def case_by(world, name: str) -> RepairCase:
    return db.session.scalar(select(RepairCase).where(RepairCase.number == world["numbers"][name]))


def test_a_closed_month_is_counted_once_and_reused(app, world):
    with app.app_context():
        first = summary(*OCT)
        assert pair(first.department["satisfaction"]) == (2, 3)
        # A write that bypasses the ORM (nothing of the portal does) leaves no stamp: the kept counts show.
        db.session.execute(update(RepairCase).where(RepairCase.number == world["numbers"]["c1"]).values(rating=1))
        assert pair(summary(*OCT).department["satisfaction"]) == (2, 3)
        cache.clear()
        assert pair(summary(*OCT).department["satisfaction"]) == (1, 3)


def test_a_rating_given_later_stamps_its_month(app, world):
    with app.app_context():
        assert pair(summary(*OCT).department["satisfaction"]) == (2, 3)
        case = case_by(world, "c1")
        case.rating = 1
        db.session.flush()
        assert db.session.get(KpiStamp, 202610) is not None
        assert pair(summary(*OCT).department["satisfaction"]) == (1, 3)


def test_a_reassigned_case_stamps_its_month_and_its_complaints(app, world):
    with app.app_context():
        before = summary(*OCT)
        a_row = next(r for r in before.technicians if r.user_id == world["a"])
        assert pair(a_row.figures["complaints"]) == (1, 2)
        case = case_by(world, "c2")
        case.technician_id = world["b"]
        db.session.flush()
        rows = {r.user_id: r for r in summary(*OCT).technicians}
        assert pair(rows[world["a"]].figures["complaints"]) == (0, 1)
        assert pair(rows[world["b"]].figures["complaints"]) == (2, 3)


def test_complaints_and_follow_ups_stamp_their_months(app, world):
    with app.app_context():
        assert pair(summary(*OCT).department["complaints"]) == (2, 5)
        assert pair(summary(*OCT).department["followups"]) == (1, 4)
        helpers.complaint(received="2026-10-25 10:00", service=True, case_=case_by(world, "c5"))
        late = db.session.get(FollowUp, world["follow_ups"]["f2"])
        late.done_at = late.due_at - timedelta(minutes=5)
        db.session.flush()
        d = summary(*OCT).department
        assert pair(d["complaints"]) == (3, 5) and pair(d["followups"]) == (2, 4)


def test_the_running_month_is_never_kept_nor_stamped(app, world):
    with app.app_context():
        assert pair(summary(*NOV).department["satisfaction"]) == (0, 1)
        case = case_by(world, "c3")
        case.rating = 5
        db.session.flush()
        assert db.session.get(KpiStamp, 202611) is None  # no hot row for writers of the running month
        # Real time (2026-11-21) is still November: not stamped either way.
        assert pair(summary(*NOV).department["satisfaction"]) == (1, 1)


def test_kept_counts_give_the_same_figures_as_a_fresh_count(app, world):
    periods = [OCT, NOV, (date(2026, 10, 6), date(2026, 11, 1)), (date(2026, 9, 30), date(2026, 10, 5)),
               (date(2025, 11, 1), date(2026, 11, 30))]
    with app.app_context():
        for start, end in periods:
            for technician in (None, world["a"], world["b"]):
                cache.clear()
                fresh = comparable(summary(start, end, technician))
                summary(start, end)  # fills the cache with the department's counts
                kept = comparable(summary(start, end, technician))
                assert kept == fresh, (start, end, technician)


def test_each_app_keeps_its_own_counts(app, world):
    with app.app_context():
        summary(*OCT)
        assert app.extensions["kpi_cache"][0]
        entries = app.extensions["kpi_cache"][0]
        assert 202610 in entries and 202611 not in entries
        assert asdict(entries[202610][1])["followups"] == (4, 1)  # due, on time
