"""KPI figures against the hand-counted fixture of tests/reports/helpers.py (see build()'s table)."""
from __future__ import annotations

from datetime import date, timedelta

from portal.core.roles import Role
from portal.core.timeutil import travel
from portal.extensions import db
from portal.reports import services
from portal.reports.models import derive_case
from portal.repairs.models import CaseState
from tests.reports import helpers

OCT = (date(2026, 10, 1), date(2026, 10, 31))


def summary(**kwargs) -> services.KpiSummary:
    with travel(helpers.NOW):
        return services.kpi_summary(**kwargs)


def pair(figure) -> tuple[int, int]:
    return figure.numerator, figure.denominator


def test_the_derived_columns_follow_the_case(db, make_user):
    tech = make_user(Role.technician)
    case = helpers.case(received="2026-10-31 23:50", technician_id=tech, dispatched="2026-11-01 00:01",
                        onsite="2026-11-01 02:40", completed="2026-11-01 04:30")
    assert (case.kpi_day, case.kpi_dispatch_ok, case.kpi_ontime) == (20261031, 0, 1)
    assert (case.kpi_response_min, case.kpi_repair_min) == (170, 110)
    case.on_site_at = case.onsite_due_at + timedelta(seconds=1)
    db.flush()
    assert case.kpi_ontime == 0 and derive_case(case)["kpi_ontime"] == 0 and case.kpi_response_min == 180
    case.state = CaseState.cancelled
    db.flush()
    assert case.kpi_day is None


def test_department_figures_for_october(app, world):
    with app.app_context():
        s = summary(start=OCT[0], end=OCT[1])
        d = s.department
        assert pair(d["ontime"]) == (3, 4) and d["ontime"].value == 75.0 and d["ontime"].ok is False
        assert pair(d["dispatch"]) == (2, 4) and d["dispatch"].value == 50.0
        assert pair(d["satisfaction"]) == (2, 3) and round(d["satisfaction"].value, 2) == 66.67
        assert pair(d["complaints"]) == (2, 5) and d["complaints"].value == 40.0 and d["complaints"].ok is False
        assert pair(d["followups"]) == (1, 4) and d["followups"].value == 25.0
        assert pair(d["response"]) == (730, 4) and round(d["response"].value, 4) == round(730 / 4 / 60, 4)
        assert d["response"].target == 3 and d["response"].ok is False
        assert pair(d["repair"]) == (210, 3) and d["repair"].target is None and d["repair"].ok is None
        assert s.month == date(2026, 10, 1)


def test_per_technician_in_october(app, world):
    with app.app_context():
        rows = {r.name: r for r in summary(start=OCT[0], end=OCT[1]).technicians}
        a, b, nobody = rows["甲师傅"].figures, rows["乙师傅"].figures, rows["未派工"].figures
        assert pair(a["ontime"]) == (1, 2) and pair(b["ontime"]) == (2, 2)
        assert pair(a["dispatch"]) == (1, 2) and pair(b["dispatch"]) == (1, 2)
        assert pair(a["satisfaction"]) == (2, 2) and a["satisfaction"].ok is True
        assert pair(b["satisfaction"]) == (0, 1) and b["satisfaction"].ok is False
        # p1 through A's case c2; p4 on B as the person found responsible (no case)
        assert pair(a["complaints"]) == (1, 2) and pair(b["complaints"]) == (1, 2)
        # A's average response is exactly the 3 h limit: on target
        assert pair(a["response"]) == (360, 2) and a["response"].value == 3.0 and a["response"].ok is True
        assert pair(b["response"]) == (370, 2) and pair(b["repair"]) == (60, 1)
        assert pair(nobody["complaints"]) == (0, 1) and pair(nobody["ontime"]) == (0, 0)
        assert "followups" not in a  # the office's figure, not a technician's


def test_months_of_the_trend_in_local_time(app, world):
    with app.app_context():
        s = summary(start=OCT[0], end=OCT[1])
        assert [m.key for m in s.months][0] == "2025-11" and s.months[-1].key == "2026-10" and len(s.months) == 12
        months = {m.key: m.figures for m in s.months}
        # c8 came in at 23:00 on 30 September local time (15:00 UTC): September
        assert pair(months["2026-09"]["ontime"]) == (1, 1) and pair(months["2026-09"]["satisfaction"]) == (1, 1)
        assert pair(months["2026-10"]["complaints"]) == (2, 5) and pair(months["2026-10"]["followups"]) == (1, 4)
        november = summary(start=date(2026, 11, 1), end=date(2026, 11, 30))
        d = november.department
        # c3 (01:00 on 1 November local, still 31 October in UTC) and p2 (00:30 local) are November's;
        # f6 is open and not due yet: not counted
        assert pair(d["ontime"]) == (1, 1) and pair(d["satisfaction"]) == (0, 1)
        assert pair(d["complaints"]) == (1, 1) and pair(d["followups"]) == (1, 1)


def test_a_range_across_months_and_one_technician(app, world):
    with app.app_context():
        d = summary(start=date(2026, 10, 1), end=date(2026, 11, 15)).department
        assert pair(d["complaints"]) == (3, 6) and pair(d["followups"]) == (2, 5) and pair(d["ontime"]) == (4, 5)
        only_b = summary(start=OCT[0], end=OCT[1], technician_id=world["b"])
        assert only_b.technician_name == "乙师傅" and [r.name for r in only_b.technicians] == ["乙师傅"]
        assert pair(only_b.department["ontime"]) == (2, 2) and pair(only_b.department["complaints"]) == (1, 2)
        assert "followups" not in only_b.department


def test_targets_come_from_the_settings(app, world):
    from portal.settings import services as settings
    with app.app_context():
        settings.settings_update(values={"ontime_target_pct": 70, "complaint_rate_max_pct": 50},
                                 expected_version=None, actor=None)
        db.session.commit()
        d = summary(start=OCT[0], end=OCT[1]).department
        assert d["ontime"].target == 70 and d["ontime"].ok is True
        assert d["complaints"].ok is True and d["dispatch"].target == 70


def test_drill_down_lists_the_cases_behind_each_figure(app, world):
    n = world["numbers"]
    with app.app_context(), travel(helpers.NOW):
        rated = services.kpi_cases(metric="satisfaction", start=OCT[0], end=OCT[1])
        assert [r.obj.number for r in rated.rows] == [n["c4"], n["c2"], n["c1"]] and rated.total == 3
        assert [r.ok for r in rated.rows] == [False, True, True]
        late = services.kpi_cases(metric="ontime", start=OCT[0], end=OCT[1], outcome="miss")
        assert [r.obj.number for r in late.rows] == [n["c2"]]
        cases = services.kpi_cases(metric="cases", start=OCT[0], end=OCT[1])
        assert {r.obj.number for r in cases.rows} == {n[k] for k in ("c1", "c2", "c4", "c5", "c6")}
        november = services.kpi_cases(metric="ontime", start=OCT[0], end=OCT[1], bucket="2026-11")
        assert [r.obj.number for r in november.rows] == [n["c3"]]
        by_b = services.kpi_cases(metric="dispatch", start=OCT[0], end=OCT[1], technician_id=world["b"])
        assert [(r.obj.number, r.ok) for r in by_b.rows] == [(n["c4"], True), (n["c5"], False)]
        complaints = services.kpi_cases(metric="complaints", start=OCT[0], end=OCT[1])
        assert [r.obj.number for r in complaints.rows] == [world["complaints"]["p4"], world["complaints"]["p1"]]
        follow = services.kpi_cases(metric="followups", start=OCT[0], end=OCT[1])
        ids = world["follow_ups"]
        assert [r.obj.id for r in follow.rows] == [ids["f4"], ids["f3"], ids["f2"], ids["f1"]]
        assert [r.ok for r in follow.rows] == [False, False, False, True]


def test_drill_down_pages(app, world, monkeypatch):
    monkeypatch.setattr(services, "PAGE_SIZE", 2)
    with app.app_context(), travel(helpers.NOW):
        first = services.kpi_cases(metric="cases", start=OCT[0], end=OCT[1])
        last = services.kpi_cases(metric="cases", start=OCT[0], end=OCT[1], page=9)
        assert (first.total, first.pages, len(first.rows)) == (5, 3, 2) and (last.page, len(last.rows)) == (3, 1)


def test_fine_table_events_per_person(app, world):
    with app.app_context(), travel(helpers.NOW):
        people = {p.name: p for p in services.fine_events(month=date(2026, 10, 1))}
        n = world["numbers"]
        assert set(people) == {"甲师傅", "乙师傅", "李内勤"}
        assert [(e.kind.key, e.case.number) for e in people["甲师傅"].events] == [("late_arrival", n["c2"])]
        assert [(e.kind.key, e.case.number) for e in people["乙师傅"].events] == [("incomplete_receipt", n["c5"])]
        assert [(e.kind.key, e.case.number) for e in people["李内勤"].events] == [
            ("late_dispatch", n["c2"]), ("late_dispatch", n["c5"])]
        assert (people["甲师傅"].total, people["乙师傅"].total, people["李内勤"].total) == (50, 20, 60)
        november = services.fine_events(month=date(2026, 11, 1))
        assert [(p.name, [e.kind.key for e in p.events]) for p in november] == [("甲师傅", ["dissatisfied"])]


def test_home_context_is_this_month(app, world):
    with app.app_context(), travel(helpers.NOW):
        s = services.home_context()["summary"]
        assert (s.start, s.end) == (date(2026, 11, 1), date(2026, 11, 30))
        assert s.department["ontime"].denominator == 1


def test_span_and_months():
    assert services.span_too_long(date(2020, 1, 1), date(2025, 1, 1))
    assert not services.span_too_long(date(2020, 1, 2), date(2025, 1, 1))
    assert [m.month for m in services.trend_months(date(2026, 3, 5), date(2026, 3, 20))] == [4, 5, 6, 7, 8, 9, 10, 11,
                                                                                              12, 1, 2, 3]
    assert len(services.trend_months(date(2024, 1, 1), date(2026, 6, 30))) == 30
