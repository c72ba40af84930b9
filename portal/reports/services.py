"""Department KPIs (forms catalogue §3.7 targets, §3.8 fine table): the figures of a period for the
department, per technician and per month, the cases behind each figure, and the fine-table events.

What is counted (local days, Asia/Shanghai; a period is start…end inclusive):
  * case figures count the cases RECEIVED in the period (cancelled ones nowhere): on-time arrival
    (on site by onsite_due_at ÷ on-site jobs), satisfaction (满意 + 非常满意 ÷ rated), dispatch in time
    (dispatched by dispatch_due_at ÷ dispatched), average response (call → on site) and repair (on site →
    receipt ready) times, and the cases that are the complaint rate's denominator;
  * complaints count the service-caused complaints RECEIVED in the period, each on the technician found
    responsible, else the technician of its case;
  * follow-ups count those DUE in the period (open ones not yet due wait): on time when done_at ≤ due_at.
    The calls are the office's work, so this figure is the department's only.

Speed (issue 7 point 6, a year over a million cases): one grouped query per month reads
portal/reports/models.py's covering index of small integers per (day, technician); complaints are few
(one grouped query); follow-ups are one range count over their covering index. Closed months come from
portal/reports/cache.py while nothing has stamped them, so a page of twelve months reads only the
running one from the database.
"""
from __future__ import annotations

import calendar
from dataclasses import dataclass, field, fields
from datetime import date, datetime, timedelta
from typing import Any, Iterable

from flask_babel import lazy_gettext as _l
from sqlalchemy import Integer, and_, case, func, or_, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import joinedload
from sqlalchemy.sql.functions import FunctionElement

from portal.accounts.models import User
from portal.complaints.models import Complaint
from portal.core.roles import Role
from portal.core.timeutil import from_local, local_today, local_zone, utcnow
from portal.dispatch.models import DispatchSlip
from portal.extensions import db
from portal.receipts.models import RepairReceipt
from portal.reports import cache, models  # noqa: F401  (models: the kpi_* columns on RepairCase)
from portal.repairs.models import RepairCase
from portal.settings.services import get_settings
from portal.visits.models import FollowUp, FollowUpState

MAX_SPAN_YEARS = 5
TREND_MONTHS = 12
SATISFIED_FROM = 4        # core.signing.RATINGS: 5 非常满意, 4 满意
DISSATISFIED_UP_TO = 2    # 2 不满意, 1 非常不满意 (fine table #4)
RECEIPT_WITHIN_HOURS = 24  # a receipt not ready a day after arrival counts as not filled in (fine table #7)
PAGE_SIZE = 50


# --- metrics ------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Metric:
    key: str
    label: Any            # screen (lazy, translated)
    definition: Any
    print_label: str      # PDF and Excel are Chinese
    print_definition: str
    kind: str             # "rate" (percent) or "hours" (an average)
    higher_is_better: bool
    target_setting: str | None
    per_technician: bool = True


METRICS: tuple[Metric, ...] = (
    Metric("ontime", _l("On-time arrival"), _l("On site by the promised time ÷ on-site jobs"),
           "服务及时率", "按承诺时间（含客户同意的预约时间）到达现场的单数 ÷ 已到现场的单数",
           "rate", True, "ontime_target_pct"),
    Metric("satisfaction", _l("Satisfaction"), _l("Satisfied or very satisfied ÷ rated jobs"),
           "用户满意度", "评价为满意、非常满意的单数 ÷ 有评价的单数", "rate", True, "satisfaction_target_pct"),
    Metric("complaints", _l("Complaint rate"), _l("Complaints caused by the service ÷ cases"),
           "用户抱怨率", "确属服务责任的投诉数（按投诉受理日） ÷ 报修单数", "rate", False, "complaint_rate_max_pct"),
    Metric("followups", _l("Follow-ups on time"), _l("Follow-up calls made by their due time ÷ follow-ups due"),
           "回访及时率", "按时回访数 ÷ 应回访数（按应回访时间统计，未到期的不计）", "rate", True, "ontime_target_pct",
           per_technician=False),
    Metric("dispatch", _l("Dispatched in time"), _l("Dispatched within the dispatch limit ÷ dispatched cases"),
           "派工及时率", "在派工时限内派工的单数 ÷ 已派工的单数", "rate", True, "ontime_target_pct"),
    Metric("response", _l("Average response time"), _l("From the call to arrival on site, in hours"),
           "平均响应时间", "从受理报修到技术员到达现场的平均小时数", "hours", False, "onsite_limit_hours"),
    Metric("repair", _l("Average repair time"),
           _l("From arrival on site to the finished repair, in hours (no target in the settings)"),
           "平均维修时长", "从到达现场到维修完成（回执单待签字）的平均小时数；设置中无目标", "hours", False, None),
)
METRIC_BY_KEY = {m.key: m for m in METRICS}
# The drill-down also lists the complaint rate's denominator.
DRILL_METRICS = frozenset(METRIC_BY_KEY) | {"cases"}


@dataclass(frozen=True)
class Figure:
    metric: Metric
    numerator: int        # a count; for an average, the total minutes
    denominator: int
    value: float | None   # percent, or hours for an average; None when there is nothing to count
    target: float | None
    ok: bool | None       # None: nothing to judge (no data, or no target)

    @property
    def key(self) -> str:
        return self.metric.key


@dataclass
class Tally:
    """Counters one scope (a day and technician, then anything summed from them) adds up."""
    cases: int = 0
    onsite: int = 0
    ontime: int = 0
    dispatched: int = 0
    dispatch_ok: int = 0
    rated: int = 0
    satisfied: int = 0
    response_n: int = 0
    response_min: int = 0
    repair_n: int = 0
    repair_min: int = 0
    complaints: int = 0
    followups: int = 0
    followups_ok: int = 0

    def add(self, other: "Tally") -> None:
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))


# The columns of _case_rows() after (day, technician), in order.
CASE_COUNTS = ("cases", "onsite", "ontime", "dispatched", "dispatch_ok", "rated", "satisfied", "response_min",
               "repair_n", "repair_min")


def targets() -> dict[str, float | None]:
    row = get_settings()
    return {m.key: (float(getattr(row, m.target_setting)) if m.target_setting else None) for m in METRICS}


def _figure(metric: Metric, numerator: int, denominator: int, target: float | None) -> Figure:
    if not denominator:
        return Figure(metric, numerator, denominator, None, target, None)
    value = numerator * 100 / denominator if metric.kind == "rate" else numerator / denominator / 60
    ok = None
    if target is not None:
        if metric.key == "complaints":
            ok = value < target  # 用户抱怨率 < 3 % (§3.7)
        else:
            ok = value >= target if metric.higher_is_better else value <= target
    return Figure(metric, numerator, denominator, value, target, ok)


def figures(tally: Tally, goals: dict[str, float | None], *, followups: bool = True) -> dict[str, Figure]:
    pairs = {"ontime": (tally.ontime, tally.onsite), "satisfaction": (tally.satisfied, tally.rated),
             "complaints": (tally.complaints, tally.cases), "followups": (tally.followups_ok, tally.followups),
             "dispatch": (tally.dispatch_ok, tally.dispatched), "response": (tally.response_min, tally.response_n),
             "repair": (tally.repair_min, tally.repair_n)}
    return {m.key: _figure(m, *pairs[m.key], goals[m.key]) for m in METRICS if followups or m.per_technician}


# --- periods ------------------------------------------------------------------------------------------

def add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def month_last(first: date) -> date:
    return date(first.year, first.month, calendar.monthrange(first.year, first.month)[1])


def month_bounds(month: date) -> tuple[date, date]:
    first = month.replace(day=1)
    return first, month_last(first)


def span_too_long(start: date, end: date) -> bool:
    """More than five years: the last day allowed is the day before start's fifth anniversary."""
    return end >= add_months(start, 12 * MAX_SPAN_YEARS)


def trend_months(start: date, end: date) -> list[date]:
    """The months the trend shows: the range's own, or the twelve up to its last month if fewer."""
    first, last = start.replace(day=1), end.replace(day=1)
    count = (last.year - first.year) * 12 + last.month - first.month + 1
    if count < TREND_MONTHS:
        first, count = add_months(last, -(TREND_MONTHS - 1)), TREND_MONTHS
    return [add_months(first, i) for i in range(count)]


def day_number(day: date) -> int:
    return day.year * 10000 + day.month * 100 + day.day


def day_start(day: date) -> datetime:
    """The UTC moment a local day begins."""
    return from_local(datetime(day.year, day.month, day.day))


class local_day(FunctionElement):
    """A UTC timestamp's local day as yyyymmdd (SQLite and PostgreSQL)."""
    type = Integer()
    name = "local_day"
    inherit_cache = True


@compiles(local_day, "sqlite")
def _local_day_sqlite(element, compiler, **kw):
    offset = int(datetime.now(local_zone()).utcoffset().total_seconds() // 60)  # the zone has no DST
    column = compiler.process(list(element.clauses)[0], **kw)
    return f"CAST(strftime('%Y%m%d', {column}, '{offset:+d} minutes') AS INTEGER)"


@compiles(local_day, "postgresql")
def _local_day_postgresql(element, compiler, **kw):
    zone = local_zone().key.replace("'", "")
    column = compiler.process(list(element.clauses)[0], **kw)
    return f"CAST(to_char({column} AT TIME ZONE '{zone}', 'YYYYMMDD') AS INTEGER)"


# --- the summary --------------------------------------------------------------------------------------

@dataclass
class TechnicianRow:
    user_id: int | None
    name: str
    figures: dict[str, Figure]
    active: bool = True


@dataclass
class MonthRow:
    first: date
    last: date
    figures: dict[str, Figure]

    @property
    def key(self) -> str:
        return f"{self.first:%Y-%m}"


@dataclass
class KpiSummary:
    start: date
    end: date
    technician_id: int | None
    technician_name: str
    department: dict[str, Figure]
    technicians: list[TechnicianRow]
    months: list[MonthRow]
    targets: dict[str, float | None]
    metrics: tuple[Metric, ...] = METRICS

    @property
    def month(self) -> date | None:
        """The month when the period is exactly one calendar month."""
        first, last = month_bounds(self.start)
        return first if (self.start, self.end) == (first, last) else None

    def figure(self, key: str) -> Figure | None:
        return self.department.get(key)

    @property
    def shown_metrics(self) -> list[Metric]:
        return [m for m in self.metrics if m.key in self.department]


def _case_rows(lo: date, hi: date, technician_id: int | None) -> list[Any]:
    c = RepairCase.__table__.c
    # Every aggregate costs per row: an arrival time exists exactly when the on-time flag does (so the
    # response count is the on-site count), and rating // 4 (integer division) is 1 for 满意 and 非常满意.
    query = (select(c.kpi_day, c.technician_id, func.count(), func.count(c.kpi_ontime), func.sum(c.kpi_ontime),
                    func.count(c.kpi_dispatch_ok), func.sum(c.kpi_dispatch_ok), func.count(c.rating),
                    func.sum(c.rating // SATISFIED_FROM), func.sum(c.kpi_response_min), func.count(c.kpi_repair_min),
                    func.sum(c.kpi_repair_min))
             .where(c.kpi_day.between(day_number(lo), day_number(hi)))
             .group_by(c.kpi_day, c.technician_id))
    if technician_id is not None:
        query = query.where(c.technician_id == technician_id)
    return list(db.session.execute(query))


def complaint_technician():
    """Whom a service-caused complaint counts against: the person found responsible, else the case's technician."""
    return func.coalesce(Complaint.responsible_user_id, RepairCase.technician_id)


def _complaint_rows(lo: date, hi: date, technician_id: int | None) -> list[Any]:
    who = complaint_technician()
    query = (select(local_day(Complaint.received_at), who, func.count())
             .select_from(Complaint).outerjoin(RepairCase, RepairCase.id == Complaint.case_id)
             .where(Complaint.caused_by_service.is_(True), Complaint.received_at >= day_start(lo),
                    Complaint.received_at < day_start(hi + timedelta(days=1)))
             .group_by(local_day(Complaint.received_at), who))
    if technician_id is not None:
        query = query.where(who == technician_id)
    return list(db.session.execute(query))


def followup_due_filter(start: date, end: date, now: datetime):
    """Follow-ups due in start…end, less the open ones not due yet (only a period reaching now has any)."""
    f = FollowUp.__table__.c
    until = day_start(end + timedelta(days=1))
    due = and_(f.due_at >= day_start(start), f.due_at < until)
    return due if until <= now else and_(due, or_(f.state != FollowUpState.open.value, f.due_at <= now))


def followup_on_time():
    f = FollowUp.__table__.c
    return and_(f.done_at.is_not(None), f.done_at <= f.due_at)


def _followup_counts(start: date, end: date, now: datetime) -> tuple[int, int]:
    row = db.session.execute(select(func.count(), func.sum(case((followup_on_time(), 1), else_=0)))
                             .where(followup_due_filter(start, end, now))).one()
    return row[0] or 0, row[1] or 0


def _technicians(ids: Iterable[int]) -> list[User]:
    """Every technician, and anyone else the period's cases or complaints count against."""
    wanted = set(ids)
    people = {u.id: u for u in db.session.scalars(select(User).where(User.role == Role.technician))}
    missing = wanted - set(people)
    if missing:
        people.update({u.id: u for u in db.session.scalars(select(User).where(User.id.in_(missing)))})
    return sorted(people.values(), key=lambda u: (not u.active, u.display_name, u.id))


def _month_counts(first: date, technician_id: int | None, now: datetime) -> cache.MonthCounts:
    last = month_last(first)
    cases = [(row[0], row[1], [v or 0 for v in row[2:]]) for row in _case_rows(first, last, technician_id)]
    complaints = [tuple(row) for row in _complaint_rows(first, last, technician_id)]
    followups = _followup_counts(first, last, now) if technician_id is None else (0, 0)
    return cache.MonthCounts.build(first, cases, complaints, followups)


def months_counts(months: list[date], technician_id: int | None = None) -> dict[date, cache.MonthCounts]:
    """Each month's counts: closed months from the per-process cache while their stamp holds, the
    running month (and the day after a month ends) always from the database."""
    now = utcnow()
    closed_before = local_today() - timedelta(days=1)
    closed = [m for m in months if month_last(m) < closed_before]
    stamps = cache.tokens(closed) if closed else {}
    result: dict[date, cache.MonthCounts] = {}
    for month in months:
        if month not in closed:
            result[month] = _month_counts(month, technician_id, now)
            continue
        token = stamps[cache.month_key(month)]
        counts = cache.get(month, token)
        if counts is None:
            counts = _month_counts(month, None, now)
            cache.put(month, token, counts)
        result[month] = counts if technician_id is None else counts.only(technician_id)
    return result


def _tally(values: list[int]) -> Tally:
    tally = Tally(**dict(zip(CASE_COUNTS, values)))
    tally.response_n = tally.onsite  # an arrival time exists exactly when the on-time flag does
    return tally


def kpi_summary(*, start: date, end: date, technician_id: int | None = None) -> KpiSummary:
    """The figures of start…end (local days, inclusive) for the department (or only `technician_id`),
    per technician and per month of the trend (the range's months, at least the last twelve)."""
    if start > end:
        raise ValueError("start after end")
    goals = targets()
    months = trend_months(start, end)
    lo_n, hi_n = day_number(start), day_number(end)

    by_tech: dict[int | None, Tally] = {}
    by_month: dict[int, Tally] = {}

    def slot(book: dict, key: Any) -> Tally:
        tally = book.get(key)
        if tally is None:
            tally = book[key] = Tally()
        return tally

    for first, counts in months_counts(months, technician_id).items():
        month, last = cache.month_key(first), month_last(first)
        inside, outside = start <= first and last <= end, last < start or end < first
        if inside or outside:  # the whole month on one side: its per-technician sums will do
            for tech, values in counts.case_totals.items():
                tally = _tally(values)
                slot(by_month, month).add(tally)
                if inside:
                    slot(by_tech, tech).add(tally)
            for tech, count in counts.complaint_totals.items():
                slot(by_month, month).complaints += count
                if inside:
                    slot(by_tech, tech).complaints += count
        else:
            for day, tech, values in counts.cases:
                tally = _tally(values)
                slot(by_month, month).add(tally)
                if lo_n <= day <= hi_n:
                    slot(by_tech, tech).add(tally)
            for day, tech, count in counts.complaints:
                slot(by_month, month).complaints += count
                if lo_n <= day <= hi_n:
                    slot(by_tech, tech).complaints += count
        slot(by_month, month).followups += counts.followups[0]
        by_month[month].followups_ok += counts.followups[1]

    department = Tally()
    for tally in by_tech.values():
        department.add(tally)
    # Follow-ups are the office's: counted for the department view only.
    with_followups = technician_id is None
    if with_followups:
        now = utcnow()
        for first in months:  # whole months from their counts, a partly covered one counted for its days
            last = month_last(first)
            if start <= first and last <= end:
                department.followups += by_month[cache.month_key(first)].followups
                department.followups_ok += by_month[cache.month_key(first)].followups_ok
            elif first <= end and start <= last:
                total, on_time = _followup_counts(max(start, first), min(end, last), now)
                department.followups += total
                department.followups_ok += on_time

    people = _technicians(k for k in by_tech if k is not None)
    if technician_id is not None:
        people = [u for u in people if u.id == technician_id] or [db.session.get(User, technician_id)]
        people = [u for u in people if u is not None]
    rows = [TechnicianRow(u.id, u.display_name, figures(by_tech.get(u.id, Tally()), goals, followups=False),
                          active=u.active) for u in people if u.role is Role.technician or u.id in by_tech]
    if technician_id is None and None in by_tech:
        rows.append(TechnicianRow(None, str(_l("Not assigned")), figures(by_tech[None], goals, followups=False)))
    trend = [MonthRow(m, month_last(m), figures(by_month.get(m.year * 100 + m.month, Tally()), goals,
                                                followups=with_followups)) for m in months]
    name = next((u.display_name for u in people if u.id == technician_id), "") if technician_id else ""
    return KpiSummary(start=start, end=end, technician_id=technician_id, technician_name=name,
                      department=figures(department, goals, followups=with_followups), technicians=rows,
                      months=trend, targets=goals)


def current_month() -> date:
    return local_today().replace(day=1)


def home_context() -> dict[str, Any]:
    """What templates/reports/_kpi_tiles.html needs on the manager's home page: this month's figures."""
    start, end = month_bounds(current_month())
    return {"summary": kpi_summary(start=start, end=end)}


def technician_choices() -> list[User]:
    return list(db.session.scalars(select(User).where(User.role == Role.technician)
                                   .order_by(User.active.desc(), User.display_name, User.id)))


# --- drill-down ---------------------------------------------------------------------------------------

@dataclass
class DrillRow:
    obj: Any               # a RepairCase, Complaint or FollowUp
    ok: bool | None


@dataclass
class DrillPage:
    metric: str
    source: str            # "case", "complaint" or "followup"
    start: date
    end: date
    technician_id: int | None
    outcome: str | None
    rows: list[DrillRow]
    total: int
    page: int
    pages: int
    limit_minutes: int | None = None

    @property
    def label(self) -> Any:
        return METRIC_BY_KEY[self.metric].label if self.metric in METRIC_BY_KEY else _l("Cases")


def _case_ok(metric: str, case_: RepairCase, limit: int | None) -> bool | None:
    if metric == "ontime":
        return case_.kpi_ontime == 1
    if metric == "dispatch":
        return case_.kpi_dispatch_ok == 1
    if metric == "satisfaction":
        return case_.rating is not None and case_.rating >= SATISFIED_FROM
    if metric == "response" and limit is not None:
        return case_.kpi_response_min is not None and case_.kpi_response_min <= limit
    return None


def _paged(query, count_query, page: int) -> tuple[list[Any], int, int, int]:
    total = db.session.scalar(count_query) or 0
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(1, page), pages)
    return list(db.session.scalars(query.limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE))), total, page, pages


def kpi_cases(*, metric: str, start: date, end: date, technician_id: int | None = None, bucket: str | None = None,
              outcome: str | None = None, page: int = 1) -> DrillPage:
    """The records behind a figure, newest first, PAGE_SIZE a page; `bucket` "YYYY-MM" narrows the period
    to that month (a bar of the trend), `outcome` "hit"/"miss" to those that met / missed the mark."""
    if metric not in DRILL_METRICS:
        raise ValueError(f"unknown metric {metric!r}")
    if bucket:
        start, end = month_bounds(datetime.strptime(bucket, "%Y-%m").date())
    outcome = outcome if outcome in ("hit", "miss") else None
    if metric == "complaints":
        return _complaint_page(start, end, technician_id, page)
    if metric == "followups":
        return _followup_page(start, end, outcome, page)
    limit = get_settings().onsite_limit_hours * 60 if metric == "response" else None
    c = RepairCase
    where = [c.kpi_day.between(day_number(start), day_number(end))]
    if technician_id is not None:
        where.append(c.technician_id == technician_id)
    measured = {"ontime": c.kpi_ontime, "dispatch": c.kpi_dispatch_ok, "satisfaction": c.rating,
                "response": c.kpi_response_min, "repair": c.kpi_repair_min}.get(metric)
    if measured is not None:
        where.append(measured.is_not(None))
    hit = {"ontime": c.kpi_ontime == 1, "dispatch": c.kpi_dispatch_ok == 1, "satisfaction": c.rating >= SATISFIED_FROM,
           "response": c.kpi_response_min <= (limit or 0)}.get(metric)
    if outcome and hit is not None:
        where.append(hit if outcome == "hit" else ~hit)
    # Newest day first, in the KPI index's order: a page is read without sorting the whole period.
    query = (select(c).where(*where).options(joinedload(c.customer), joinedload(c.technician))
             .order_by(c.kpi_day.desc(), c.received_at.desc(), c.id.desc()))
    cases, total, page, pages = _paged(query, select(func.count(c.id)).where(*where), page)
    return DrillPage(metric, "case", start, end, technician_id, outcome if hit is not None else None,
                     [DrillRow(x, _case_ok(metric, x, limit)) for x in cases], total, page, pages, limit)


def _complaint_page(start: date, end: date, technician_id: int | None, page: int) -> DrillPage:
    where = [Complaint.caused_by_service.is_(True), Complaint.received_at >= day_start(start),
             Complaint.received_at < day_start(end + timedelta(days=1))]
    if technician_id is not None:
        where.append(complaint_technician() == technician_id)
    base = select(Complaint).outerjoin(RepairCase, RepairCase.id == Complaint.case_id).where(*where)
    query = base.options(joinedload(Complaint.customer)).order_by(Complaint.received_at.desc(), Complaint.id.desc())
    count = (select(func.count(Complaint.id)).select_from(Complaint)
             .outerjoin(RepairCase, RepairCase.id == Complaint.case_id).where(*where))
    rows, total, page, pages = _paged(query, count, page)
    return DrillPage("complaints", "complaint", start, end, technician_id, None,
                     [DrillRow(x, False) for x in rows], total, page, pages)


def _followup_page(start: date, end: date, outcome: str | None, page: int) -> DrillPage:
    where = [followup_due_filter(start, end, utcnow())]
    if outcome:
        where.append(followup_on_time() if outcome == "hit" else ~followup_on_time())
    query = (select(FollowUp).where(*where).options(joinedload(FollowUp.case).joinedload(RepairCase.customer))
             .order_by(FollowUp.due_at.desc(), FollowUp.id.desc()))
    rows, total, page, pages = _paged(query, select(func.count(FollowUp.id)).where(*where), page)

    def ok(item: FollowUp) -> bool:
        return item.done_at is not None and item.done_at <= item.due_at

    return DrillPage("followups", "followup", start, end, None, outcome, [DrillRow(x, ok(x)) for x in rows],
                     total, page, pages)


# --- fine-table events --------------------------------------------------------------------------------

@dataclass(frozen=True)
class FineKind:
    key: str
    label: Any
    print_label: str
    amount: int            # 元 per event, fine table §3.8 (a)
    rule: str              # the row of the table


FINE_KINDS: tuple[FineKind, ...] = (
    FineKind("late_dispatch", _l("Late dispatch"), "派工不及时", 30, "#2"),
    FineKind("late_arrival", _l("Late on site"), "未按规定时间到达现场", 50, "#6"),
    FineKind("incomplete_receipt", _l("Receipt not filled in"), "回执单未详尽填写", 20, "#7"),
    FineKind("dissatisfied", _l("Customer dissatisfied"), "客户评价不满意", 30, "#4"),
)
FINE_BY_KEY = {k.key: k for k in FINE_KINDS}


@dataclass
class FineEvent:
    kind: FineKind
    case: RepairCase
    at: datetime | None
    detail: str = ""


@dataclass
class PersonFines:
    user_id: int | None
    name: str
    role: Role | None
    events: list[FineEvent] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(e.kind.amount for e in self.events)

    def count(self, key: str) -> int:
        return sum(1 for e in self.events if e.kind.key == key)


def _receipt_late(case_: RepairCase, now: datetime) -> bool:
    """No receipt ready a day after arrival (a unit taken to the workshop has its own pace)."""
    if case_.on_site_at is None or case_.in_workshop_at is not None:
        return False
    limit = case_.on_site_at + timedelta(hours=RECEIPT_WITHIN_HOURS)
    return case_.completed_at > limit if case_.completed_at is not None else now > limit


def fine_events(*, month: date) -> list[PersonFines]:
    """The month's events the fine table (§3.8 a) names, per person they count against: late dispatch
    (the clerk who dispatched), late arrival, receipt not filled in within a day or corrected after
    signing, and a dissatisfied rating (the technician). Events of the cases received in the month."""
    start, end = month_bounds(month)
    now = utcnow()
    c = RepairCase
    in_month = c.kpi_day.between(day_number(start), day_number(end))
    receipt_deadline = now - timedelta(hours=RECEIPT_WITHIN_HOURS)
    flagged = list(db.session.scalars(
        select(c).where(in_month, or_(c.kpi_dispatch_ok == 0, c.kpi_ontime == 0, c.rating <= DISSATISFIED_UP_TO,
                                      and_(c.on_site_at.is_not(None), c.in_workshop_at.is_(None),
                                           or_(c.kpi_repair_min > RECEIPT_WITHIN_HOURS * 60,
                                               and_(c.completed_at.is_(None), c.on_site_at < receipt_deadline)))))
        .options(joinedload(c.customer)).order_by(c.received_at, c.id)))
    amended = list(db.session.execute(
        select(RepairReceipt, c).join(c, c.id == RepairReceipt.case_id)
        .where(in_month, RepairReceipt.amends_id.is_not(None)).order_by(RepairReceipt.created_at, RepairReceipt.id)))
    late_ids = [x.id for x in flagged if x.kpi_dispatch_ok == 0]
    dispatcher: dict[int, int | None] = {}
    if late_ids:
        for case_id, by_id in db.session.execute(select(DispatchSlip.case_id, DispatchSlip.dispatched_by_id)
                                                 .where(DispatchSlip.case_id.in_(late_ids))
                                                 .order_by(DispatchSlip.dispatched_at, DispatchSlip.id)):
            dispatcher[case_id] = by_id  # the latest slip: the round the case's clocks describe

    events: list[tuple[int | None, FineEvent]] = []
    for x in flagged:
        if x.kpi_dispatch_ok == 0:
            events.append((dispatcher.get(x.id), FineEvent(FINE_BY_KEY["late_dispatch"], x, x.dispatched_at)))
        if x.kpi_ontime == 0:
            events.append((x.technician_id, FineEvent(FINE_BY_KEY["late_arrival"], x, x.on_site_at)))
        if _receipt_late(x, now):
            events.append((x.technician_id, FineEvent(FINE_BY_KEY["incomplete_receipt"], x, x.completed_at,
                                                      "late")))
        if x.rating is not None and x.rating <= DISSATISFIED_UP_TO:
            events.append((x.technician_id, FineEvent(FINE_BY_KEY["dissatisfied"], x, x.signed_at)))
    for receipt, x in amended:
        events.append((receipt.technician_id, FineEvent(FINE_BY_KEY["incomplete_receipt"], x, receipt.created_at,
                                                        "corrected")))

    users = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_({k for k, _e in events if k})))}
    people: dict[int | None, PersonFines] = {}
    for user_id, event in events:
        user = users.get(user_id) if user_id else None
        person = people.get(user_id)
        if person is None:
            person = people[user_id] = PersonFines(user_id, user.display_name if user else str(_l("Not recorded")),
                                                   user.role if user else None)
        person.events.append(event)
    for person in people.values():
        person.events.sort(key=lambda e: (e.case.received_at, e.case.id, FINE_KINDS.index(e.kind)))
    return sorted(people.values(), key=lambda p: (p.role is not Role.technician, p.user_id is None, p.name))
