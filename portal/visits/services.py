"""Key-customer visits (重点客户走访 / 回访档案, forms F11 and F43).

A key customer gets a schedule (monthly, quarterly or every N days); recording a visit moves the
schedule's next due date on from the visit day. The clerk's monthly summary for the manager is
rebuilt from the visit history, so it reads the same for a past month as it did at the time.
Each verb checks, mutates, flushes and audits; the view commits.
"""
from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Iterable, Mapping, Sequence

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from portal.accounts.models import User
from portal.core import audit
from portal.core.conflicts import apply_update
from portal.core.errors import DomainError, ValidationFailed
from portal.core.numbering import next_number
from portal.core.roles import Role
from portal.core.timeutil import as_local, local_today, utcnow
from portal.customers.models import Customer, CustomerStatus, Equipment
from portal.extensions import db
from portal.repairs.models import RepairCase
from portal.visits.models import Visit, VisitAction, VisitFrequency, VisitSchedule, VisitUnitUsage
# Follow-up calls after a service live in their own module; these are the names other code calls.
from portal.visits.followups import SHOW_CHOICES as FOLLOWUP_SHOW  # noqa: F401
from portal.visits.followups import (MAX_UNANSWERED, case_followups, due_level, followup_queue,  # noqa: F401
                                     followup_record, followups_due_count, on_case_transition, on_time,
                                     outcome_message, unreachable_count)

PREFIX = "HF"  # 回访
SCHEDULE_FIELDS = ("frequency", "interval_days", "starts_on", "responsible_id", "active", "notes")
VISIT_FIELDS = ("visited_on", "region", "other_visitors", "people_met", "equipment_usage", "design_opinion",
                "assembly_opinion", "process_opinion", "other_feedback", "followup_needed")
OPINION_FIELDS = ("equipment_usage", "design_opinion", "assembly_opinion", "process_opinion", "other_feedback")
MIN_INTERVAL, MAX_INTERVAL = 7, 366
VISITOR_ROLES = (Role.clerk, Role.technician, Role.manager, Role.operator)


# --- dates ------------------------------------------------------------------------------------------

def add_months(day: date, months: int) -> date:
    """The same day `months` later, or the month's last day when it has no such day (31 Jan → 28 Feb)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def due_after(frequency: VisitFrequency, interval_days: int | None, day: date) -> date:
    if frequency is VisitFrequency.monthly:
        return add_months(day, 1)
    if frequency is VisitFrequency.quarterly:
        return add_months(day, 3)
    return day + timedelta(days=interval_days or 30)


def next_due(schedule: VisitSchedule) -> date:
    if schedule.last_visit_on is None:
        return schedule.starts_on
    return due_after(schedule.frequency, schedule.interval_days, schedule.last_visit_on)


def month_bounds(year: int, month: int) -> tuple[date, date]:
    return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])


def due_status(schedule: VisitSchedule, today: date | None = None) -> str:
    """'overdue', 'due' (this month) or 'later', for the list's colours."""
    today = today or local_today()
    if schedule.next_due_on < today:
        return "overdue"
    if schedule.next_due_on <= month_bounds(today.year, today.month)[1]:
        return "due"
    return "later"


def known_since(customer: Customer) -> date:
    """The first day the department had to do with the customer: the archive entry, a unit's
    purchase or a repair call, whichever is earliest (customers bought long before they were keyed in)."""
    days = [as_local(customer.created_at).date()] if customer.created_at else []
    purchase = db.session.scalar(select(func.min(Equipment.purchase_date)).where(Equipment.customer_id == customer.id))
    if purchase:
        days.append(purchase)
    first_call = db.session.scalar(select(func.min(RepairCase.received_at)).where(RepairCase.customer_id == customer.id))
    if first_call:
        days.append(as_local(first_call).date())
    return min(days) if days else local_today()


# --- reads -----------------------------------------------------------------------------------------

def staff_choices() -> list[User]:
    return list(db.session.scalars(select(User).where(User.active.is_(True), User.role.in_(VISITOR_ROLES))
                                   .order_by(User.role, User.display_name)))


def schedule_for(customer: Customer) -> VisitSchedule | None:
    return db.session.scalar(select(VisitSchedule).where(VisitSchedule.customer_id == customer.id))


@dataclass
class DueRow:
    schedule: VisitSchedule
    status: str
    days: int  # days until due (negative: overdue by)
    open_actions: int


def due_list(*, region: str = "", show: str = "due", today: date | None = None) -> list[DueRow]:
    """Active schedules, most overdue first; show='due' keeps those due by the end of this month."""
    today = today or local_today()
    query = (select(VisitSchedule).join(Customer, Customer.id == VisitSchedule.customer_id)
             .options(selectinload(VisitSchedule.customer), selectinload(VisitSchedule.responsible))
             .where(VisitSchedule.active.is_(True), Customer.status == CustomerStatus.active)
             .order_by(VisitSchedule.next_due_on, Customer.name))
    if region:
        query = query.where(Customer.region == region)
    if show == "due":
        query = query.where(VisitSchedule.next_due_on <= month_bounds(today.year, today.month)[1])
    elif show == "overdue":
        query = query.where(VisitSchedule.next_due_on < today)
    schedules = list(db.session.scalars(query))
    counts = _open_action_counts([s.customer_id for s in schedules])
    return [DueRow(s, due_status(s, today), (s.next_due_on - today).days, counts.get(s.customer_id, 0))
            for s in schedules]


def _open_action_counts(customer_ids: Sequence[int]) -> dict[int, int]:
    if not customer_ids:
        return {}
    rows = db.session.execute(select(Visit.customer_id, func.count(VisitAction.id))
                              .join(VisitAction, VisitAction.visit_id == Visit.id)
                              .where(Visit.customer_id.in_(customer_ids), VisitAction.done_at.is_(None))
                              .group_by(Visit.customer_id))
    return {customer_id: count for customer_id, count in rows}


def unscheduled_key_customers(*, region: str = "") -> list[Customer]:
    query = (select(Customer).outerjoin(VisitSchedule, VisitSchedule.customer_id == Customer.id)
             .where(Customer.key_customer.is_(True), Customer.status == CustomerStatus.active,
                    VisitSchedule.id.is_(None)).order_by(Customer.region, Customer.name))
    if region:
        query = query.where(Customer.region == region)
    return list(db.session.scalars(query))


def key_regions() -> list[str]:
    return list(db.session.scalars(select(Customer.region).where(Customer.key_customer.is_(True), Customer.region != "")
                                   .distinct().order_by(Customer.region)))


def customer_visits(customer: Customer, *, limit: int = 50) -> list[Visit]:
    return list(db.session.scalars(select(Visit).options(selectinload(Visit.visitors))
                                   .where(Visit.customer_id == customer.id)
                                   .order_by(Visit.visited_on.desc(), Visit.id.desc()).limit(limit)))


def recent_visits(*, limit: int = 15) -> list[Visit]:
    return list(db.session.scalars(select(Visit).options(selectinload(Visit.customer), selectinload(Visit.visitors))
                                   .order_by(Visit.visited_on.desc(), Visit.id.desc()).limit(limit)))


def open_actions(*, owner_id: int | None = None) -> list[VisitAction]:
    query = (select(VisitAction).join(Visit).options(selectinload(VisitAction.visit).selectinload(Visit.customer),
                                                     selectinload(VisitAction.owner))
             .where(VisitAction.done_at.is_(None)).order_by(VisitAction.due_on.is_(None), VisitAction.due_on,
                                                             VisitAction.id))
    if owner_id is not None:
        query = query.where(VisitAction.owner_id == owner_id)
    return list(db.session.scalars(query))


# --- schedules -------------------------------------------------------------------------------------

def _check_schedule(customer: Customer, values: Mapping[str, Any]) -> None:
    errors: dict[str, list[str]] = {}
    if not customer.key_customer:
        errors["customer_id"] = [_("Only key customers get a visit schedule; mark the customer as a key customer first.")]
    if values.get("frequency") is VisitFrequency.custom:
        days = values.get("interval_days")
        if days is None or not MIN_INTERVAL <= days <= MAX_INTERVAL:
            errors["interval_days"] = [_("For a custom schedule, enter every how many days (%(min)s to %(max)s).",
                                         min=MIN_INTERVAL, max=MAX_INTERVAL)]
    if values.get("responsible_id") is not None:
        user = db.session.get(User, values["responsible_id"])
        if user is None or not user.active:
            errors["responsible_id"] = [_("Choose an active staff member.")]
    if errors:
        raise ValidationFailed(_("The schedule was not saved."), errors=errors)


def schedule_create(*, customer: Customer, values: Mapping[str, Any], actor: Any) -> VisitSchedule:
    if schedule_for(customer) is not None:
        raise DomainError(_("%(name)s already has a visit schedule.", name=customer.name))
    values = _normal_schedule(values)
    _check_schedule(customer, values)
    schedule = VisitSchedule(customer_id=customer.id, **values)
    schedule.customer = customer
    schedule.last_visit_on = db.session.scalar(select(func.max(Visit.visited_on)).where(Visit.customer_id == customer.id))
    schedule.next_due_on = next_due(schedule)
    db.session.add(schedule)
    db.session.flush()
    audit.record_created(schedule, actor=actor, fields=SCHEDULE_FIELDS + ("next_due_on",), note=customer.name)
    return schedule


def schedule_update(*, schedule: VisitSchedule, values: Mapping[str, Any], expected_version: int | None,
                    actor: Any) -> VisitSchedule:
    values = _normal_schedule(values)
    _check_schedule(schedule.customer, values)
    probe = VisitSchedule(last_visit_on=schedule.last_visit_on, starts_on=values["starts_on"],
                          frequency=values["frequency"], interval_days=values["interval_days"])
    apply_update(schedule, {**values, "next_due_on": next_due(probe)}, expected_version=expected_version, actor=actor)
    return schedule


def _normal_schedule(values: Mapping[str, Any]) -> dict[str, Any]:
    clean = {name: values.get(name) for name in SCHEDULE_FIELDS}
    clean["frequency"] = VisitFrequency(clean["frequency"] or VisitFrequency.quarterly)
    if clean["frequency"] is not VisitFrequency.custom:
        clean["interval_days"] = None
    clean["starts_on"] = clean["starts_on"] or local_today()
    clean["active"] = True if clean["active"] is None else bool(clean["active"])
    clean["notes"] = (clean["notes"] or "").strip()
    return clean


# --- visits ----------------------------------------------------------------------------------------

@dataclass
class ActionInput:
    description: str
    owner_id: int | None = None
    due_on: date | None = None


def visit_record(*, customer: Customer, values: Mapping[str, Any], visitor_ids: Iterable[int],
                 unit_usage: Mapping[int, str] | None = None, actions: Sequence[ActionInput] = (), actor: Any,
                 today: date | None = None) -> Visit:
    """Record a visit and move the customer's schedule on from the visit day."""
    today = today or local_today()
    visitors = [user for uid in dict.fromkeys(visitor_ids) if (user := db.session.get(User, uid)) is not None]
    clean = {name: (values.get(name) or "").strip() if isinstance(values.get(name, ""), str) else values.get(name)
             for name in VISIT_FIELDS if name != "region"}
    usage = {eid: text.strip() for eid, text in (unit_usage or {}).items() if text and text.strip()}
    # Blank rows of the form are ignored; the others keep their row number for the error messages.
    rows = [(index, a) for index, a in enumerate(actions) if a.description.strip() or a.owner_id or a.due_on]
    _check_visit(customer, clean, visitors, usage, rows, today)
    visit = Visit(number=next_number(PREFIX), customer_id=customer.id, region=customer.region,
                  recorded_by_id=getattr(actor, "id", None), followup_needed=bool(clean.pop("followup_needed")),
                  **clean)
    visit.customer = customer
    visit.visitors = visitors
    visit.unit_usage = [VisitUnitUsage(equipment_id=eid, usage=text) for eid, text in usage.items()]
    visit.actions = [VisitAction(description=a.description.strip(), owner_id=a.owner_id, due_on=a.due_on)
                     for _index, a in rows]
    schedule = schedule_for(customer)
    if schedule is not None:
        visit.schedule_id = schedule.id
    db.session.add(visit)
    db.session.flush()
    audit.record_created(visit, actor=actor, fields=VISIT_FIELDS,
                         note=_("Visitors: %(names)s", names=visit.visitor_names))
    if schedule is not None and (schedule.last_visit_on is None or visit.visited_on >= schedule.last_visit_on):
        schedule.last_visit_on = visit.visited_on
        schedule.next_due_on = next_due(schedule)
        audit.record("visit_schedule.visited", schedule, actor=actor,
                     changes=audit.pending_changes(schedule), note=visit.number)
        db.session.flush()
    return visit


def _check_visit(customer: Customer, clean: Mapping[str, Any], visitors: list[User], usage: Mapping[int, str],
                 actions: Sequence[tuple[int, ActionInput]], today: date) -> None:
    errors: dict[str, list[str]] = {}
    day = clean.get("visited_on")
    if day is None:
        errors["visited_on"] = [_("Enter the day of the visit.")]
    elif day > today:
        errors["visited_on"] = [_("The visit date cannot be after today (%(today)s); record a visit once it has "
                                  "taken place.", today=today.isoformat())]
    elif day < (since := known_since(customer)):
        errors["visited_on"] = [_("The visit date is before %(day)s, the first date we have for this customer.",
                                  day=since.isoformat())]
    if not visitors and not clean.get("other_visitors"):
        errors["visitor_ids"] = [_("Tick who went on the visit, or name the visitors below.")]
    if not any(clean.get(name) for name in OPINION_FIELDS) and not usage:
        errors["equipment_usage"] = [_("Record at least how the equipment is used or one of the customer's opinions.")]
    own_units = set(db.session.scalars(select(Equipment.id).where(Equipment.customer_id == customer.id)))
    if set(usage) - own_units:
        errors["equipment_usage"] = [_("One of the units does not belong to this customer.")]
    for index, action in actions:
        problems = []
        if not action.description.strip():
            problems.append(_("Describe the agreed action."))
        if action.owner_id is None:
            problems.append(_("Choose who owns it."))
        if action.due_on is None:
            problems.append(_("Enter by when."))
        elif day is not None and action.due_on < day:
            problems.append(_("The due date is before the visit."))
        if problems:
            errors[f"actions-{index}"] = problems
    if errors:
        raise ValidationFailed(_("The visit was not saved: see the marked fields."), errors=errors)


def action_done(*, action: VisitAction, note: str, actor: Any) -> VisitAction:
    if action.done_at is not None:
        raise DomainError(_("This action was already marked done."))
    action.done_at = utcnow()
    action.done_by_id = getattr(actor, "id", None)
    action.done_note = (note or "").strip()
    db.session.flush()
    audit.record("visit_action.done", action, actor=actor, note=action.description[:200])
    return action


# --- the monthly summary ---------------------------------------------------------------------------

@dataclass
class Tally:
    scheduled: int = 0
    done: int = 0
    visits: int = 0

    @property
    def missed(self) -> int:
        return max(self.scheduled - self.done, 0)


@dataclass
class Summary:
    year: int
    month: int
    first: date
    last: date
    visits: list[Visit]
    total: Tally
    by_region: dict[str, Tally]
    by_staff: dict[str, Tally]
    missed: list[tuple[VisitSchedule, date]]
    open_actions: list[VisitAction]
    followups: list[Visit] = field(default_factory=list)


def monthly_summary(year: int, month: int) -> Summary:
    """Visits done against visits scheduled in the month, per region and per responsible staff.

    A schedule counts as scheduled in the month when the visit due at the month's start (from the
    last visit before it) fell on or before the month's last day; it counts as done when the
    customer was visited in the month.
    """
    first, last = month_bounds(year, month)
    visits = list(db.session.scalars(
        select(Visit).options(selectinload(Visit.customer), selectinload(Visit.visitors),
                              selectinload(Visit.actions).selectinload(VisitAction.owner),
                              selectinload(Visit.unit_usage).selectinload(VisitUnitUsage.equipment))
        .where(Visit.visited_on.between(first, last)).order_by(Visit.visited_on, Visit.id)))
    visited = {v.customer_id for v in visits}
    total, by_region, by_staff, missed = Tally(), {}, {}, []
    schedules = db.session.scalars(select(VisitSchedule).options(selectinload(VisitSchedule.customer),
                                                                 selectinload(VisitSchedule.responsible))
                                   .where(VisitSchedule.active.is_(True), VisitSchedule.starts_on <= last))
    for schedule in schedules:
        region = schedule.customer.region or _("(no region)")
        staff = schedule.responsible.display_name if schedule.responsible else _("(nobody)")
        before = db.session.scalar(select(func.max(Visit.visited_on))
                                   .where(Visit.customer_id == schedule.customer_id, Visit.visited_on < first))
        due = (schedule.starts_on if before is None
               else due_after(schedule.frequency, schedule.interval_days, before))
        if due > last:
            continue
        done = schedule.customer_id in visited
        for tally in (total, by_region.setdefault(region, Tally()), by_staff.setdefault(staff, Tally())):
            tally.scheduled += 1
            tally.done += done
        if not done:
            missed.append((schedule, due))
    for visit in visits:
        total.visits += 1
        by_region.setdefault(visit.region or _("(no region)"), Tally()).visits += 1
        for user in visit.visitors:
            by_staff.setdefault(user.display_name, Tally()).visits += 1
    return Summary(year, month, first, last, visits, total, dict(sorted(by_region.items())),
                   dict(sorted(by_staff.items())), missed, open_actions(),
                   [v for v in visits if v.followup_needed])
