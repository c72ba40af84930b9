"""Dispatch verbs (售后派工单 F02, forms catalogue W1 steps 3–4 and §3.1–3.2): dispatch a technician,
reschedule, reassign, log the technician's calls to the customer, report wrong customer data.

Each verb checks, mutates, flushes and audits; the view commits once. Case states move only
through repairs.services.case_transition.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from portal.accounts.models import User
from portal.core import audit
from portal.core.errors import DomainError, InvalidTransition, ValidationFailed
from portal.core.conflicts import check_version
from portal.core.numbering import next_number
from portal.core.roles import Role
from portal.core.timeutil import as_local, utcnow
from portal.core.workflow import state_label
from portal.customers import services as customers
from portal.customers.models import DataCorrection
from portal.dispatch.models import ChangeKind, ContactAttempt, ContactOutcome, DispatchChange, DispatchSlip
from portal.extensions import db
from portal.repairs.models import CaseState, RepairCase
from portal.repairs.services import case_transition
from portal.settings.services import get_settings

S = CaseState
# A case can be dispatched from these; contact_failed is a re-dispatch that supersedes the slip.
DISPATCH_FROM = (S.waiting_dispatch, S.contact_failed)
# The slip can be rescheduled or reassigned while the technician has not arrived yet.
CHANGE_FROM = (S.dispatched, S.appointment_confirmed, S.contact_failed)
# The technician phones the customer while the job is dispatched or confirmed.
CONTACT_FROM = (S.dispatched, S.appointment_confirmed)
# A technician's open jobs ("my jobs", workload).
OPEN_JOB_STATES = (S.dispatched, S.appointment_confirmed, S.contact_failed, S.on_site, S.awaiting_signature)

MAX_FAILED_CONTACTS = 3            # §3.2: three calls without reaching the customer go back to the clerk
RETRY_AFTER = timedelta(minutes=10)  # §3.2: no answer, call again after 10 minutes
PAST_SLACK = timedelta(minutes=2)
MAX_AHEAD = timedelta(days=60)
MISMATCH_FIELDS = ("address", "other")


# --- time helpers ---------------------------------------------------------------------------------

def as_utc(moment: datetime) -> datetime:
    """Aware UTC; SQLite hands naive datetimes back, and we only ever store UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


def local_text(moment: datetime | None) -> str:
    local = as_local(moment)
    return local.strftime("%Y-%m-%d %H:%M") if local else ""


def onsite_deadline(case: RepairCase) -> datetime:
    """The latest appointment that needs no reason: the call + the on-site limit, or later when the
    clock was restarted by a reopen or moved by a late appointment the customer agreed to."""
    base = as_utc(case.received_at) + timedelta(hours=get_settings().onsite_limit_hours)
    return max(base, as_utc(case.onsite_due_at)) if case.onsite_due_at else base


def _states_text(states) -> str:
    return "、".join(state_label(s) for s in states)


# --- reads ----------------------------------------------------------------------------------------

def get_slip(slip_id: int) -> DispatchSlip | None:
    return db.session.get(DispatchSlip, slip_id)


def active_slip(case: RepairCase) -> DispatchSlip | None:
    return db.session.scalars(select(DispatchSlip).where(DispatchSlip.case_id == case.id,
                                                         DispatchSlip.superseded.is_(False))
                              .order_by(DispatchSlip.id.desc()).limit(1)).first()


def case_slips(case: RepairCase) -> list[DispatchSlip]:
    return list(db.session.scalars(select(DispatchSlip).where(DispatchSlip.case_id == case.id)
                                   .order_by(DispatchSlip.id.desc())))


def contact_attempts(case: RepairCase) -> list[ContactAttempt]:
    return list(db.session.scalars(select(ContactAttempt).where(ContactAttempt.case_id == case.id)
                                   .order_by(ContactAttempt.id.desc())))


def technicians() -> list[User]:
    return list(db.session.scalars(select(User).where(User.role == Role.technician, User.active.is_(True))
                                   .order_by(User.display_name, User.id)))


def dispatch_queue() -> list[RepairCase]:
    """Cases the office must dispatch: waiting ones and those back from a failed contact, oldest first."""
    return list(db.session.scalars(select(RepairCase).where(RepairCase.state.in_(DISPATCH_FROM))
                                   .order_by(RepairCase.received_at, RepairCase.id).limit(500)))


def my_jobs(*, technician: Any) -> list[RepairCase]:
    """The technician's open jobs, the next appointment first (jobs without one last)."""
    cases = db.session.scalars(select(RepairCase).where(RepairCase.technician_id == technician.id,
                                                        RepairCase.state.in_(OPEN_JOB_STATES)))
    far = datetime.max.replace(tzinfo=timezone.utc)
    return sorted(cases, key=lambda c: (as_utc(c.appointment_at) if c.appointment_at else far, c.id))


def next_call_after(case: RepairCase, attempts: list[ContactAttempt]) -> datetime | None:
    """When the technician should call again after an unanswered call (§3.2), if that is pending."""
    if case.state not in CONTACT_FROM or not attempts or attempts[0].outcome is ContactOutcome.reached:
        return None
    return as_utc(attempts[0].at) + RETRY_AFTER


@dataclass(frozen=True)
class TechLoad:
    technician: User
    today: int           # open jobs with the appointment on the day, or earlier and still open
    open: int            # all open jobs, whatever the day
    next_at: datetime | None
    next_case: RepairCase | None


def workload(*, day: date, now: datetime | None = None) -> list[TechLoad]:
    """Every active technician with their open jobs for `day`, all open jobs and the next upcoming
    appointment; least loaded first."""
    now = as_utc(now or utcnow())
    techs = technicians()
    jobs: dict[int, list[RepairCase]] = {t.id: [] for t in techs}
    if techs:
        for case in db.session.scalars(select(RepairCase).where(RepairCase.technician_id.in_(jobs),
                                                                RepairCase.state.in_(OPEN_JOB_STATES))):
            jobs[case.technician_id].append(case)
    loads = []
    for tech in techs:
        mine = jobs[tech.id]
        on_day = [c for c in mine if c.appointment_at is None or as_local(c.appointment_at).date() <= day]
        upcoming = sorted((c for c in mine if c.appointment_at and as_utc(c.appointment_at) >= now),
                          key=lambda c: as_utc(c.appointment_at))
        nxt = upcoming[0] if upcoming else None
        loads.append(TechLoad(tech, len(on_day), len(mine), as_utc(nxt.appointment_at) if nxt else None, nxt))
    return sorted(loads, key=lambda load: (load.today, load.open, load.technician.display_name, load.technician.id))


# --- checks ---------------------------------------------------------------------------------------

def _refuse_state(case: RepairCase, allowed, action: str) -> None:
    if case.state not in allowed:
        raise InvalidTransition(
            _("Case %(number)s is “%(state)s”: %(action)s is possible only while it is %(allowed)s.",
              number=case.number, state=state_label(case.state), action=action, allowed=_states_text(allowed)),
            obj=case, current=case.state, target=None, allowed=list(allowed))


def check_dispatchable(case: RepairCase) -> None:
    _refuse_state(case, DISPATCH_FROM, _("dispatching"))


def check_changeable(slip: DispatchSlip) -> None:
    if slip.superseded:
        raise DomainError(_("Slip %(number)s was replaced by a newer dispatch; change the current slip instead.",
                            number=slip.number))
    _refuse_state(slip.case, CHANGE_FROM, _("rescheduling or reassigning"))


def _technician_errors(technician: User | None) -> list[str]:
    if technician is None:
        return [_("Choose a technician.")]
    if technician.role is not Role.technician:
        return [_("%(name)s is not a technician.", name=technician.display_name)]
    if not technician.active:
        return [_("%(name)s is no longer active.", name=technician.display_name)]
    return []


def _appointment_errors(appointment_at: datetime | None, now: datetime) -> list[str]:
    if appointment_at is None:
        return [_("Set the appointment date and time.")]
    if as_utc(appointment_at) < now - PAST_SLACK:
        return [_("The appointment cannot be in the past.")]
    if as_utc(appointment_at) > now + MAX_AHEAD:
        return [_("More than 60 days ahead: check the date.")]
    return []


def _lock(*records: Any) -> None:
    """Re-read the records under a row lock (PostgreSQL; SQLite's write lock is taken at BEGIN), so a
    second clerk or a double tap waits for the first request and then sees its result."""
    db.session.flush()
    for record in records:
        db.session.refresh(record, with_for_update=True)


def _fail(errors: dict[str, list[str]], message: str) -> None:
    errors = {name: msgs for name, msgs in errors.items() if msgs}
    if errors:
        raise ValidationFailed(message, errors=errors)


# --- dispatch -------------------------------------------------------------------------------------

def dispatch_case(*, case: RepairCase, technician: User | None, appointment_at: datetime | None, late_reason: str,
                  customer_agreed: bool, instructions: str, actor: Any, now: datetime | None = None) -> DispatchSlip:
    """Fill in the dispatch slip and send the technician; from contact_failed (or after a reopen)
    the new slip supersedes the old one."""
    now = as_utc(now or utcnow())
    _lock(case)
    check_dispatchable(case)
    late_reason, instructions = (late_reason or "").strip(), (instructions or "").strip()
    errors = {"technician_id": _technician_errors(technician), "appointment_at": _appointment_errors(appointment_at, now)}
    late = appointment_at is not None and as_utc(appointment_at) > onsite_deadline(case)
    if late and not errors["appointment_at"]:
        limit = local_text(onsite_deadline(case))
        if not late_reason:
            errors["late_reason"] = [_("The appointment is after the on-site deadline %(limit)s: say why.", limit=limit)]
        if not customer_agreed:
            errors["customer_agreed"] = [_("A later appointment needs the customer's agreement: tick when they agreed.")]
    _fail(errors, _("Please correct the dispatch."))
    appointment_at = as_utc(appointment_at)
    for old in case_slips(case):
        if not old.superseded:
            old.superseded = True
            audit.record("dispatch_slip.superseded", old, actor=actor, changes={"superseded": [False, True]},
                         note=_("Replaced by a new dispatch of case %(number)s.", number=case.number))
    slip = DispatchSlip(number=next_number("PG"), case_id=case.id, technician_id=technician.id,
                        appointment_at=appointment_at, late_reason=late_reason,
                        customer_agreed=bool(customer_agreed), instructions=instructions,
                        dispatched_by_id=getattr(actor, "id", None), dispatched_at=now)
    db.session.add(slip)
    db.session.flush()
    audit.record("dispatch_slip.created", slip, actor=actor, changes={k: [None, v] for k, v in {
        "case": case.number, "technician": technician.display_name, "appointment_at": local_text(appointment_at),
        "late_reason": slip.late_reason, "customer_agreed": slip.customer_agreed or None,
        "instructions": instructions}.items() if v not in (None, "")})
    case.technician_id, case.appointment_at, case.failed_contacts = technician.id, appointment_at, 0
    if customer_agreed and case.onsite_due_at is not None:
        case.onsite_due_at = max(as_utc(case.onsite_due_at), appointment_at)
    case_transition(case=case, target=S.dispatched, actor=actor,
                    note=_("%(slip)s: %(name)s, appointment %(at)s", slip=slip.number, name=technician.display_name,
                           at=local_text(appointment_at)))
    return slip


def reschedule(*, slip: DispatchSlip, appointment_at: datetime | None, reason: str, customer_agreed: bool, actor: Any,
               expected_version: int | None = None, now: datetime | None = None) -> DispatchChange:
    """A new visit time (改约): only with the customer's agreement (§3.2), with a reason, kept as history."""
    now = as_utc(now or utcnow())
    _lock(slip, slip.case)
    check_changeable(slip)
    check_version(slip, {"appointment_at": appointment_at}, expected_version=expected_version)
    case, reason = slip.case, (reason or "").strip()
    errors = {"appointment_at": _appointment_errors(appointment_at, now),
              "reason": [] if reason else [_("Give a reason for the new time.")],
              "customer_agreed": [] if customer_agreed else [_("Reschedule only with the customer's agreement: "
                                                               "tick when they agreed.")]}
    if not errors["appointment_at"] and as_utc(appointment_at) == as_utc(slip.appointment_at):
        errors["appointment_at"] = [_("That is the current appointment.")]
    _fail(errors, _("Please correct the new appointment."))
    new, old = as_utc(appointment_at), as_utc(slip.appointment_at)
    change = DispatchChange(slip_id=slip.id, kind=ChangeKind.reschedule, from_appointment_at=old, to_appointment_at=new,
                            reason=reason, customer_agreed=True, by_id=getattr(actor, "id", None), at=now)
    db.session.add(change)
    slip.appointment_at = new
    if new > onsite_deadline(case):
        slip.late_reason, slip.customer_agreed = reason, True
    case.appointment_at = new
    if case.onsite_due_at is not None:
        case.onsite_due_at = max(as_utc(case.onsite_due_at), new)
    moved = {"appointment_at": [local_text(old), local_text(new)]}
    audit.record("dispatch_slip.rescheduled", slip, actor=actor, changes=moved, note=reason)
    audit.record("repair_case.rescheduled", case, actor=actor, changes=moved, note=f"{slip.number}: {reason}")
    db.session.flush()
    return change


def reassign(*, slip: DispatchSlip, technician: User | None, reason: str, actor: Any,
             expected_version: int | None = None, now: datetime | None = None) -> DispatchChange:
    """Another technician takes the job (改派); a confirmed appointment must be confirmed again by them."""
    now = as_utc(now or utcnow())
    _lock(slip, slip.case)
    check_changeable(slip)
    check_version(slip, {"technician_id": getattr(technician, "id", None)}, expected_version=expected_version)
    case, reason = slip.case, (reason or "").strip()
    errors = {"technician_id": _technician_errors(technician), "reason": [] if reason else [_("Give a reason.")]}
    if not errors["technician_id"] and technician.id == slip.technician_id:
        errors["technician_id"] = [_("%(name)s has this job already.", name=technician.display_name)]
    _fail(errors, _("Please correct the reassignment."))
    before = slip.technician
    change = DispatchChange(slip_id=slip.id, kind=ChangeKind.reassign, from_technician_id=slip.technician_id,
                            to_technician_id=technician.id, reason=reason, by_id=getattr(actor, "id", None), at=now)
    db.session.add(change)
    slip.technician_id = case.technician_id = technician.id
    case.failed_contacts = 0
    swapped = {"technician": [before.display_name if before else None, technician.display_name]}
    audit.record("dispatch_slip.reassigned", slip, actor=actor, changes=swapped, note=reason)
    audit.record("repair_case.reassigned", case, actor=actor, changes=swapped, note=f"{slip.number}: {reason}")
    db.session.flush()
    if case.state in (S.appointment_confirmed, S.contact_failed):
        case_transition(case=case, target=S.dispatched, actor=actor,
                        note=_("Reassigned to %(name)s, who must confirm the appointment.", name=technician.display_name))
    db.session.expire(slip, ["technician"])
    return change


# --- the technician's calls -----------------------------------------------------------------------

def _ensure_assigned(case: RepairCase, actor: Any) -> None:
    if case.technician_id is None or case.technician_id != getattr(actor, "id", None):
        raise DomainError(_("Only the technician assigned to case %(number)s can do this.", number=case.number))


def record_contact(*, case: RepairCase, outcome: ContactOutcome | str | None, note: str, actor: Any,
                   now: datetime | None = None) -> ContactAttempt:
    """Log a call to the customer: reached confirms the appointment; the third failed call sends the
    case back to the clerk (联系失败); a wrong number also asks the clerk to correct the archive."""
    now = as_utc(now or utcnow())
    _lock(case)
    _ensure_assigned(case, actor)
    _refuse_state(case, CONTACT_FROM, _("logging a call"))
    note = (note or "").strip()
    if outcome not in ContactOutcome.__members__.values():
        raise ValidationFailed(_("Choose how the call went."), errors={"outcome": [_("Choose how the call went.")]})
    outcome = ContactOutcome(outcome)
    attempt = ContactAttempt(case_id=case.id, technician_id=actor.id, at=now, outcome=outcome, note=note)
    db.session.add(attempt)
    db.session.flush()
    audit.record("repair_case.contact_attempt", case, actor=actor, changes={"contact_outcome": [None, outcome.value]},
                 note=note or None)
    if outcome is ContactOutcome.wrong_number:
        phones = "、".join(dict.fromkeys(p for p in [case.caller_phone] + [c.phone for c in case.customer.contacts] if p))
        customers.report_mismatch(customer=case.customer, equipment=case.equipment, field="phone", actor=actor,
                                  description=_("Wrong number when calling about case %(number)s (%(phones)s).",
                                                number=case.number, phones=phones) + (f" {note}" if note else ""))
    if outcome is ContactOutcome.reached:
        case.failed_contacts = 0
        if case.state is S.dispatched:
            case_transition(case=case, target=S.appointment_confirmed, actor=actor,
                            note=_("Customer reached; appointment %(at)s confirmed.", at=local_text(case.appointment_at)))
    else:
        case.failed_contacts = (case.failed_contacts or 0) + 1
        if case.failed_contacts >= MAX_FAILED_CONTACTS:
            case_transition(case=case, target=S.contact_failed, actor=actor,
                            note=_("%(count)s calls without reaching the customer: back to the office for a new "
                                   "dispatch.", count=case.failed_contacts))
    db.session.flush()
    return attempt


def report_wrong_address(*, case: RepairCase, field: str, description: str, actor: Any) -> DataCorrection:
    """A wrong address or other data mismatch found by the assigned technician: a correction item the
    clerk handles the same day (§3.1 T7)."""
    _ensure_assigned(case, actor)
    if field not in MISMATCH_FIELDS:
        raise ValidationFailed(_("Choose what is wrong."), errors={"field": [_("Choose what is wrong.")]})
    item = customers.report_mismatch(customer=case.customer, equipment=case.equipment, field=field, actor=actor,
                                     description=description)
    audit.record("repair_case.mismatch_reported", case, actor=actor, note=f"{field}: {item.description}")
    return item
