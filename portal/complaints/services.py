"""Complaints (投诉单, F33 顾客信息反馈记录表; workflow W6).

received → investigating (responsible party found) → solution proposed (within the settings'
complaint_reply_days of receipt: the clock) → customer's opinion recorded → closed by the manager.
A customer who is not satisfied sends the complaint back to investigation. The "caused by service"
flag feeds the complaint rate KPI (§3.7: < 3 %), see `service_caused_count`.
Each verb checks, mutates, flushes and audits; the view commits.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, Iterable, Mapping

from flask_babel import gettext as _
from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from portal.accounts.models import User
from portal.complaints.models import OPEN_STATES, Complaint, ComplaintState, ResponsibleKind
from portal.core import audit
from portal.core.conflicts import apply_update, check_version
from portal.core.errors import ValidationFailed
from portal.core.numbering import next_number
from portal.core.timeutil import as_local, from_local, utcnow
from portal.core.workflow import transition
from portal.customers.models import Customer, CustomerStatus
from portal.extensions import db
from portal.repairs.models import Channel, RepairCase
from portal.settings.services import get_settings

C = ComplaintState
PREFIX = "TS"  # 投诉
DETAIL_FIELDS = ("channel", "complainant", "content", "received_at", "case_id", "caused_by_service")
MAX_AMOUNT = Decimal("9999999.99")


# --- the one-week clock ----------------------------------------------------------------------------

@dataclass(frozen=True)
class ComplaintClock:
    due_at: datetime
    level: str            # ok, amber (last day), red (overdue), done (answered in time), late (answered late)
    days_left: int        # whole days to the deadline; negative when overdue
    answered_at: datetime | None = None

    @property
    def running(self) -> bool:
        return self.answered_at is None


def reply_days() -> int:
    return get_settings().complaint_reply_days or 7


def complaint_clock(complaint: Complaint, *, now: datetime | None = None, days: int | None = None) -> ComplaintClock:
    """Due = received + the settings' reply days; it stops when the first solution is proposed."""
    now = now or utcnow()
    due_at = complaint.received_at + timedelta(days=days if days is not None else reply_days())
    if complaint.first_reply_at is not None:
        level = "done" if complaint.first_reply_at <= due_at else "late"
        return ComplaintClock(due_at, level, 0, complaint.first_reply_at)
    left = due_at - now
    days_left = (as_local(due_at).date() - as_local(now).date()).days
    if left.total_seconds() < 0:
        return ComplaintClock(due_at, "red", min(days_left, -1) if days_left >= 0 else days_left)
    return ComplaintClock(due_at, "amber" if left <= timedelta(days=1) else "ok", days_left)


# --- reads -----------------------------------------------------------------------------------------

LIST_FILTERS = ("open", "overdue", "all", *[s.value for s in ComplaintState])


def complaint_list(*, show: str = "open", q: str = "", service_only: bool = False, limit: int = 300) -> list[Complaint]:
    query = (select(Complaint).join(Customer, Customer.id == Complaint.customer_id)
             .options(selectinload(Complaint.customer), selectinload(Complaint.case))
             .order_by(Complaint.received_at.desc()))
    if show == "open":
        query = query.where(Complaint.state.in_(OPEN_STATES))
    elif show == "overdue":
        cutoff = utcnow() - timedelta(days=reply_days())
        query = query.where(Complaint.first_reply_at.is_(None), Complaint.state.in_(OPEN_STATES),
                            Complaint.received_at < cutoff)
    elif show in {s.value for s in ComplaintState}:
        query = query.where(Complaint.state == ComplaintState(show))
    if service_only:
        query = query.where(Complaint.caused_by_service.is_(True))
    if q:
        like = f"%{q.strip()}%"
        query = query.where(or_(Complaint.number.ilike(like), Customer.name.ilike(like), Complaint.content.ilike(like)))
    return list(db.session.scalars(query.limit(limit)))


def overdue_count() -> int:
    cutoff = utcnow() - timedelta(days=reply_days())
    return db.session.scalar(select(func.count(Complaint.id)).where(
        Complaint.first_reply_at.is_(None), Complaint.state.in_(OPEN_STATES), Complaint.received_at < cutoff)) or 0


def complaints_for_case(case_id: int | Any) -> list[Complaint]:
    """The complaints that name a repair case (the case page lists them)."""
    case_id = getattr(case_id, "id", case_id)
    return list(db.session.scalars(select(Complaint).where(Complaint.case_id == case_id).order_by(Complaint.id)))


def service_caused_count(start: date, end: date) -> int:
    """Complaints received between start and end (local days, inclusive) marked as caused by service:
    the numerator of the complaint rate (用户抱怨率, 确属服务责任的)."""
    return db.session.scalar(select(func.count(Complaint.id)).where(
        Complaint.caused_by_service.is_(True), Complaint.received_at >= _day_start(start),
        Complaint.received_at < _day_start(end + timedelta(days=1)))) or 0


def received_count(start: date, end: date) -> int:
    return db.session.scalar(select(func.count(Complaint.id)).where(
        Complaint.received_at >= _day_start(start), Complaint.received_at < _day_start(end + timedelta(days=1)))) or 0


def _day_start(day: date) -> datetime:
    return from_local(datetime(day.year, day.month, day.day))


def customer_cases(customer: Customer, *, limit: int = 50) -> list[RepairCase]:
    return list(db.session.scalars(select(RepairCase).where(RepairCase.customer_id == customer.id)
                                   .order_by(RepairCase.received_at.desc()).limit(limit)))


def staff_choices() -> list[User]:
    return list(db.session.scalars(select(User).where(User.active.is_(True)).order_by(User.role, User.display_name)))


def find_customers(q: str, *, limit: int = 15) -> list[Customer]:
    q = (q or "").strip()
    if len(q) < 1:
        return []
    like = f"%{q.lower()}%"
    return list(db.session.scalars(select(Customer).where(Customer.status == CustomerStatus.active,
                                                          Customer.search_text.like(like))
                                   .order_by(Customer.name).limit(limit)))


# --- registering and editing -----------------------------------------------------------------------

def _check_details(customer: Customer, values: Mapping[str, Any], now: datetime) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if not (values.get("content") or "").strip():
        errors["content"] = [_("Write down what the customer complains about.")]
    received = values.get("received_at")
    if received is None:
        errors["received_at"] = [_("When was the complaint received?")]
    elif received > now + timedelta(minutes=1):
        errors["received_at"] = [_("The time received cannot be in the future.")]
    if customer.status is CustomerStatus.merged:
        errors["customer_id"] = [_("This customer was merged; use the surviving record.")]
    case_id = values.get("case_id")
    if case_id is not None:
        case = db.session.get(RepairCase, case_id)
        if case is None or case.customer_id != customer.id:
            errors["case_id"] = [_("Choose one of this customer's repair cases.")]
    return errors


def _staff(staff_ids: Iterable[int]) -> list[User]:
    return [user for uid in dict.fromkeys(staff_ids) if (user := db.session.get(User, uid)) is not None]


def complaint_register(*, customer: Customer, values: Mapping[str, Any], staff_ids: Iterable[int] = (),
                       actor: Any, now: datetime | None = None) -> Complaint:
    now = now or utcnow()
    values = {name: values.get(name) for name in DETAIL_FIELDS}
    values["received_at"] = values["received_at"] or now
    errors = _check_details(customer, values, now)
    if errors:
        raise ValidationFailed(_("The complaint was not registered: see the marked fields."), errors=errors)
    complaint = Complaint(number=next_number(PREFIX, at=as_local(values["received_at"])), customer_id=customer.id,
                          registered_by_id=getattr(actor, "id", None), state=C.received, state_changed_at=now,
                          channel=Channel(values["channel"] or Channel.call), complainant=(values["complainant"] or "").strip(),
                          content=values["content"].strip(), received_at=values["received_at"], case_id=values["case_id"],
                          caused_by_service=bool(values["caused_by_service"]))
    complaint.customer = customer
    complaint.staff = _staff(staff_ids)
    db.session.add(complaint)
    db.session.flush()
    audit.record_created(complaint, actor=actor, fields=DETAIL_FIELDS + ("customer_id",),
                         note=_("Staff concerned: %(names)s", names="、".join(u.display_name for u in complaint.staff))
                         if complaint.staff else None)
    return complaint


def complaint_update(*, complaint: Complaint, values: Mapping[str, Any], staff_ids: Iterable[int],
                     expected_version: int | None, actor: Any, now: datetime | None = None) -> Complaint:
    """Correct the details taken at registration (not the clock's start once answered: see below)."""
    _check_open(complaint)
    now = now or utcnow()
    values = {name: values.get(name) for name in DETAIL_FIELDS}
    errors = _check_details(complaint.customer, values, now)
    if errors:
        raise ValidationFailed(_("Nothing was saved: see the marked fields."), errors=errors)
    check_version(complaint, values, expected_version=expected_version)
    staff = _staff(staff_ids)
    if [u.id for u in staff] != [u.id for u in complaint.staff]:
        before = "、".join(u.display_name for u in complaint.staff)
        complaint.staff = staff
        audit.record("complaint.staff_changed", complaint, actor=actor,
                     changes={"staff": [before or None, "、".join(u.display_name for u in staff) or None]})
    values["content"] = values["content"].strip()
    values["complainant"] = (values["complainant"] or "").strip()
    values["channel"] = Channel(values["channel"])
    values["caused_by_service"] = bool(values["caused_by_service"])
    apply_update(complaint, values, expected_version=expected_version, actor=actor)
    db.session.flush()
    return complaint


def _check_open(complaint: Complaint) -> None:
    if complaint.state is C.closed:
        raise ValidationFailed(_("This complaint is closed; it can no longer be changed."))


# --- the workflow ----------------------------------------------------------------------------------

def complaint_investigate(*, complaint: Complaint, responsible_kind: ResponsibleKind | None, responsible_party: str,
                          responsible_user_id: int | None, notes: str, actor: Any) -> Complaint:
    """Start (or, after a dissatisfied customer, restart) the investigation; the findings can be
    saved again while investigating."""
    _check_open(complaint)
    _set_findings(complaint, responsible_kind, responsible_party, responsible_user_id, notes, require=False)
    if complaint.state is C.investigating:
        audit.record_updated(complaint, actor=actor)
        db.session.flush()
        return complaint
    note = _("Customer not satisfied: investigating again.") if complaint.state is not C.received else None
    changes = audit.pending_changes(complaint)
    transition(complaint, C.investigating, actor=actor, note=note)
    if changes:
        audit.record("complaint.updated", complaint, actor=actor, changes=changes)
    return complaint


def _set_findings(complaint: Complaint, kind: ResponsibleKind | None, party: str, user_id: int | None, notes: str,
                  *, require: bool) -> None:
    errors: dict[str, list[str]] = {}
    party = (party or "").strip()
    if user_id is not None and db.session.get(User, user_id) is None:
        errors["responsible_user_id"] = [_("Choose a staff member from the list.")]
    if kind is ResponsibleKind.person and user_id is None and not party:
        errors["responsible_user_id"] = [_("Choose the staff member responsible, or name them.")]
    if require and kind is None:
        errors["responsible_kind"] = [_("Determine the responsible party before proposing a solution.")]
    if require and kind in (ResponsibleKind.department, ResponsibleKind.external) and not party:
        errors["responsible_party"] = [_("Name the responsible department or party.")]
    if errors:
        raise ValidationFailed(_("Nothing was saved: see the marked fields."), errors=errors)
    complaint.responsible_kind = kind
    complaint.responsible_party = party
    complaint.responsible_user_id = user_id
    complaint.investigation_notes = (notes or "").strip()


def complaint_propose(*, complaint: Complaint, responsible_kind: ResponsibleKind | None, responsible_party: str,
                      responsible_user_id: int | None, notes: str, solution: str, caused_by_service: bool,
                      actor: Any) -> Complaint:
    """The solution put to the customer; the first one stops the reply clock."""
    if not complaint.workflow.can(complaint.state, C.solution_proposed):
        transition(complaint, C.solution_proposed, actor=actor)  # raises InvalidTransition with what is allowed
    if not (solution or "").strip():
        raise ValidationFailed(_("Nothing was saved: see the marked fields."),
                               errors={"solution": [_("Describe the solution proposed to the customer.")]})
    _set_findings(complaint, responsible_kind, responsible_party, responsible_user_id, notes, require=True)
    complaint.solution = solution.strip()
    complaint.caused_by_service = bool(caused_by_service)
    if complaint.first_reply_at is None:
        complaint.first_reply_at = utcnow()
    changes = audit.pending_changes(complaint)
    transition(complaint, C.solution_proposed, actor=actor)
    audit.record("complaint.updated", complaint, actor=actor, changes=changes)
    return complaint


def complaint_record_opinion(*, complaint: Complaint, satisfied: bool | None, opinion: str, actor: Any) -> Complaint:
    """The customer's opinion of the proposed solution (5.3 「同时记录客户对处理方案的意见」)."""
    errors: dict[str, list[str]] = {}
    if satisfied is None:
        errors["customer_satisfied"] = [_("Is the customer satisfied with the solution?")]
    if satisfied is False and not (opinion or "").strip():
        errors["customer_opinion"] = [_("Write down what the customer is not satisfied with.")]
    if errors:
        raise ValidationFailed(_("Nothing was saved: see the marked fields."), errors=errors)
    if not complaint.workflow.can(complaint.state, C.opinion_recorded):
        transition(complaint, C.opinion_recorded, actor=actor)  # raises with what is allowed
    complaint.customer_satisfied = satisfied
    complaint.customer_opinion = (opinion or "").strip()
    changes = audit.pending_changes(complaint)
    transition(complaint, C.opinion_recorded, actor=actor)
    audit.record("complaint.updated", complaint, actor=actor, changes=changes)
    return complaint


def complaint_close(*, complaint: Complaint, compensation_note: str, compensation_amount: Decimal | None,
                    closing_note: str, actor: Any) -> Complaint:
    errors: dict[str, list[str]] = {}
    if compensation_amount is not None and not Decimal("0") <= compensation_amount <= MAX_AMOUNT:
        errors["compensation_amount"] = [_("Enter an amount between 0 and 9,999,999.99.")]
    if compensation_amount and not (compensation_note or "").strip():
        errors["compensation_note"] = [_("Say what the compensation is for (it is filed with sales).")]
    if complaint.customer_satisfied is False and not (closing_note or "").strip():
        errors["closing_note"] = [_("The customer was not satisfied: say why the complaint is closed anyway.")]
    if errors:
        raise ValidationFailed(_("The complaint was not closed: see the marked fields."), errors=errors)
    if not complaint.workflow.can(complaint.state, C.closed):
        transition(complaint, C.closed, actor=actor)
    complaint.compensation_note = (compensation_note or "").strip()
    complaint.compensation_amount = compensation_amount
    complaint.closing_note = (closing_note or "").strip()
    changes = audit.pending_changes(complaint)
    transition(complaint, C.closed, actor=actor, note=complaint.closing_note or None)
    if changes:
        audit.record("complaint.updated", complaint, actor=actor, changes=changes)
    return complaint
