"""Repair case verbs: intake, hand-over, cancel, reopen, and the one transition function every
family uses to move a case, which also starts and stops its SLA clocks."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import abort
from flask_babel import gettext as _
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import selectinload

from portal.core import audit
from portal.core.errors import ValidationFailed
from portal.core.numbering import next_number
from portal.core.roles import Role
from portal.core.timeutil import as_local, from_local, utcnow
from portal.core.workflow import StateChange, transition
from portal.customers.models import Customer, CustomerStatus, Equipment
from portal.extensions import db
from portal.repairs.models import REOPENS, CaseState, Channel, RepairCase, Urgency
from portal.settings.services import get_settings

S = CaseState
MAX_RECEIVED_AGO = timedelta(days=7)


def get_case(case_id: int) -> RepairCase | None:
    return db.session.get(RepairCase, case_id)


def ensure_can_work_on(case: RepairCase, user: Any) -> None:
    """Technicians see and change only the jobs assigned to them."""
    if getattr(user, "role", None) is Role.technician and case.technician_id != user.id:
        abort(403)


def case_register(*, customer: Customer, equipment: Equipment | None, channel: Channel, caller_name: str,
                  caller_phone: str, symptom: str, probable_cause: str = "", parts_to_prepare: str = "",
                  urgency: Urgency = Urgency.normal, received_at: datetime | None = None, actor: Any,
                  now: datetime | None = None) -> RepairCase:
    """Log a repair call (state registered) and start the answer, dispatch and on-site clocks."""
    now = now or utcnow()
    received_at = received_at or now
    errors: dict[str, list[str]] = {}
    if not symptom.strip():
        errors["symptom"] = [_("Describe the fault the customer reports.")]
    if customer.status is CustomerStatus.merged:
        errors["customer_id"] = [_("This customer was merged; use the surviving record.")]
    if equipment is not None and equipment.customer_id != customer.id:
        errors["equipment_id"] = [_("That unit belongs to another customer.")]
    if as_local(received_at) > as_local(now) + timedelta(minutes=1):
        errors["received_at"] = [_("The call cannot have come in the future.")]
    elif as_local(now) - as_local(received_at) > MAX_RECEIVED_AGO:
        errors["received_at"] = [_("More than a week ago: check the date.")]
    if errors:
        raise ValidationFailed(_("Please correct the repair call."), errors=errors)
    limits = get_settings()
    case = RepairCase(
        number=next_number("BX"), customer=customer, equipment=equipment, channel=Channel(channel),
        caller_name=caller_name.strip(), caller_phone=caller_phone.strip(), symptom=symptom.strip(),
        probable_cause=probable_cause.strip(), parts_to_prepare=parts_to_prepare.strip(), urgency=Urgency(urgency),
        registered_by_id=getattr(actor, "id", None), state=S.registered, state_changed_at=now,
        received_at=received_at, registered_at=now,
        answer_due_at=received_at + timedelta(minutes=limits.answer_limit_minutes),
        dispatch_due_at=received_at + timedelta(minutes=limits.dispatch_limit_minutes),
        onsite_due_at=received_at + timedelta(hours=limits.onsite_limit_hours))
    db.session.add(case)
    db.session.flush()
    audit.record_created(case, actor=actor, fields=("number", "channel", "caller_name", "caller_phone", "symptom",
                                                    "probable_cause", "parts_to_prepare", "urgency"))
    return case


def case_transition(*, case: RepairCase, target: CaseState, actor: Any, note: str | None = None) -> StateChange:
    """Move a case; a reopen needs a reason, a cancel needs a reason, clocks follow the state."""
    reopen = (case.state, target) in REOPENS
    if (reopen or target is S.cancelled) and not (note or "").strip():
        raise ValidationFailed(_("Give a reason."), errors={"reason": [_("Give a reason.")]})
    change = transition(case, target, actor=actor, note=note)
    limits = get_settings()
    if reopen:
        case.reopen_count += 1
        case.dispatch_due_at = change.at + timedelta(minutes=limits.dispatch_limit_minutes)
        case.onsite_due_at = change.at + timedelta(hours=limits.onsite_limit_hours)
        case.technician_id = case.appointment_at = None
        case.failed_contacts = 0
    if target is S.phone_guided:
        case.followup_due_at = change.at + timedelta(hours=limits.followup_after_guidance_hours)
    elif target is S.signed:
        case.followup_due_at = change.at + timedelta(hours=limits.followup_after_service_hours)
    elif target is S.cancelled:
        case.cancel_reason = (note or "").strip()
    from portal.visits.services import on_case_transition  # follow-ups (回访) build on cases, not the reverse
    on_case_transition(case=case, change=change, actor=actor)
    db.session.flush()
    return change


def case_guide_by_phone(*, case: RepairCase, guidance_notes: str, actor: Any) -> StateChange:
    if not guidance_notes.strip():
        raise ValidationFailed(_("Write down the guidance given."),
                               errors={"guidance_notes": [_("Write down the guidance given.")]})
    case.guidance_notes = guidance_notes.strip()
    return case_transition(case=case, target=S.phone_guided, actor=actor, note=case.guidance_notes)


def case_hand_over(*, case: RepairCase, actor: Any) -> StateChange:
    """The operator passes the case to the office for on-site service."""
    return case_transition(case=case, target=S.waiting_dispatch, actor=actor)


# --- SLA clocks -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Clock:
    name: str          # dispatch | onsite | followup
    label: str
    due_at: datetime
    level: str         # ok | amber | red
    case: RepairCase

    @property
    def minutes_left(self) -> int:
        return int((self.due_at - utcnow()).total_seconds() // 60)


CLOCK_STATES = {
    "dispatch": (S.registered, S.waiting_dispatch),
    "onsite": (S.dispatched, S.appointment_confirmed, S.contact_failed),
    "followup": (S.phone_guided, S.signed, S.archived, S.followup_due),
}


def _aware(moment: datetime) -> datetime:
    return as_local(moment)


def _level(due: datetime, window: timedelta, now: datetime) -> str:
    if now > due:
        return "red"
    warn = max(window * 0.25, timedelta(minutes=5))
    return "amber" if due - now <= warn else "ok"


def running_clock(case: RepairCase, *, now: datetime | None = None) -> Clock | None:
    """The SLA clock that is running for the case in its current state, if any."""
    now = _aware(now or utcnow())
    limits = get_settings()
    for name, states in CLOCK_STATES.items():
        if case.state not in states:
            continue
        if name == "dispatch" and case.dispatch_due_at:
            due, window = case.dispatch_due_at, timedelta(minutes=limits.dispatch_limit_minutes)
            label = _("Dispatch")
        elif name == "onsite" and case.onsite_due_at:
            due, window = case.onsite_due_at, timedelta(hours=limits.onsite_limit_hours)
            label = _("On site")
        elif name == "followup" and case.followup_due_at:
            due, window = case.followup_due_at, timedelta(hours=limits.followup_after_guidance_hours)
            label = _("Follow-up")
        else:
            return None
        return Clock(name, label, _aware(due), _level(_aware(due), window, now), case)
    return None


def overdue_board(*, now: datetime | None = None, horizon: timedelta = timedelta(hours=2)) -> list[Clock]:
    """Clocks that have breached (red) or are about to (amber), most urgent first."""
    now = now or utcnow()
    soon = now + horizon
    query = select(RepairCase).where(or_(
        (RepairCase.state.in_(CLOCK_STATES["dispatch"]) & (RepairCase.dispatch_due_at <= soon)),
        (RepairCase.state.in_(CLOCK_STATES["onsite"]) & (RepairCase.onsite_due_at <= soon)),
        (RepairCase.state.in_(CLOCK_STATES["followup"]) & (RepairCase.followup_due_at <= soon)),
    )).options(selectinload(RepairCase.customer), selectinload(RepairCase.technician)).limit(500)
    clocks = [clock for case in db.session.scalars(query)
              if (clock := running_clock(case, now=now)) is not None and clock.level != "ok"]
    return sorted(clocks, key=lambda clock: (clock.level != "red", clock.due_at))


# --- intake ---------------------------------------------------------------------------------------

def intake(*, values: dict[str, Any], actor: Any) -> RepairCase:
    """The operator's intake form: find or create the customer and unit, register the call, then
    apply the outcome (hand over for dispatch, phone guidance, or decide later). One transaction."""
    from portal.customers import services as customers  # customers know nothing of cases

    customer = db.session.get(Customer, int(values["customer_id"])) if values.get("customer_id") else None
    if customer is None:
        if not (values.get("new_name") or "").strip() or not (values.get("new_phone") or "").strip():
            raise ValidationFailed(_("Choose a customer, or enter a new one's name and phone."),
                                   errors={"customer_id": [_("Choose a customer, or enter a new one's name and phone.")]})
        try:
            customer = customers.customer_create(
                values={"name": values["new_name"].strip(), "street": (values.get("new_address") or "").strip()},
                contacts=[customers.ContactInput(name=values.get("caller_name") or values["new_name"],
                                                 phone=values["new_phone"])], actor=actor)
        except ValidationFailed as error:
            raise ValidationFailed(error.message, errors={"new_phone": sum(error.errors.values(), [])}) from None
    equipment = _intake_unit(customer, values, actor)
    case = case_register(customer=customer, equipment=equipment, channel=values["channel"],
                         caller_name=values["caller_name"], caller_phone=values["caller_phone"],
                         symptom=values["symptom"], probable_cause=values.get("probable_cause") or "",
                         parts_to_prepare=values.get("parts_to_prepare") or "", urgency=values["urgency"],
                         received_at=from_local(values.get("received_at")), actor=actor)
    outcome = values.get("outcome") or "on_site"
    if outcome == "phone":
        case_guide_by_phone(case=case, guidance_notes=values.get("guidance_notes") or "", actor=actor)
    elif outcome == "on_site":
        case_hand_over(case=case, actor=actor)
    return case


def _intake_unit(customer: Customer, values: dict[str, Any], actor: Any) -> Equipment | None:
    from portal.customers import services as customers

    chosen = values.get("equipment_id")
    if isinstance(chosen, int):
        unit = db.session.get(Equipment, chosen)
        if unit is None or unit.customer_id != customer.id:
            raise ValidationFailed(_("That unit belongs to another customer."),
                                   errors={"equipment_id": [_("That unit belongs to another customer.")]})
        return unit
    if chosen != "new":
        return None
    try:
        purchase = datetime.strptime((values.get("new_purchase_date") or "").strip(), "%Y-%m-%d").date()
    except ValueError:
        raise ValidationFailed(_("Enter the purchase date as YYYY-MM-DD."),
                               errors={"new_purchase_date": [_("Enter the purchase date as YYYY-MM-DD.")]}) from None
    try:
        return customers.equipment_create(customer=customer, actor=actor, values={
            "product_type_id": values.get("new_product_type_id"), "serial": values.get("new_serial") or "",
            "purchase_date": purchase})
    except ValidationFailed as error:
        renamed = {f"new_{name}" if name in ("serial", "product_type_id", "purchase_date") else name: messages
                   for name, messages in error.errors.items()}
        raise ValidationFailed(error.message, errors=renamed) from None


COUNT_CAP = 1000  # as in the customer list: counting 900 000 closed cases costs seconds and helps nobody
CASE_PREFIX = "BX"
_SEQUENCE = re.compile(r"^\d{1,6}$")                # 000123 or 123: the digits a case number ends with
_NUMBER_START = re.compile(r"^([A-Z]{2,8}-)?\d{4}-[\d-]*$|^[A-Z]{2,8}-[\d-]*$")  # BX-2026-0001, 2026-00…


def _number_condition(q: str):
    """The cases whose number the term names, through the unique index on the number (a LIKE
    '%…%' reads a million numbers per keystroke): the digits it ends with, or its beginning."""
    from portal.core.models import NumberSequence
    from portal.core.numbering import format_number

    term = q.strip().upper()
    if _SEQUENCE.match(term):
        years = db.session.scalars(select(NumberSequence.year).where(NumberSequence.prefix == CASE_PREFIX))
        return RepairCase.number.in_([format_number(CASE_PREFIX, year, int(term)) for year in years])
    if _NUMBER_START.match(term):
        start = term if term[0].isalpha() else f"{CASE_PREFIX}-{term}"
        after = start[:-1] + chr(ord(start[-1]) + 1)
        return and_(RepairCase.number >= start, RepairCase.number < after,
                    RepairCase.number.startswith(start, autoescape=True))
    return None


def _customer_condition(q: str, *, by_case: bool = False):
    """The cases of the customers the term finds, as the customer search finds them (name, phone,
    address, unit serial; through its n-gram index). by_case: when the term finds a great many cases
    (a city's name), walking the cases newest first and keeping the customers' ones finds a page at
    once, where going through the customer index would sort every one of them; `+ 0` keeps the
    planner off that index."""
    from portal.customers import search
    from portal.customers.services import search_terms

    terms = search_terms(q)
    customers = select(Customer.id)
    candidates = search.candidate_ids(terms) if terms else None
    if candidates is not None:
        customers = customers.where(Customer.id.in_(candidates))
    for term in terms:
        customers = customers.where(Customer.search_text.contains(term, autoescape=True))
    column = RepairCase.customer_id + 0 if by_case else RepairCase.customer_id
    return column.in_(customers)


def _searched(number, customers):
    return customers if number is None else or_(number, customers)


def case_list(*, state: str = "", q: str = "", page: int = 1, per_page: int = 25) -> tuple[list[RepairCase], int]:
    """A page of cases, newest first, and how many there are, counted up to COUNT_CAP + 1."""
    from sqlalchemy import func
    query = select(RepairCase)
    if state == "open":
        from portal.repairs.models import OPEN_STATES
        query = query.where(RepairCase.state.in_(OPEN_STATES))
    elif state in CaseState.__members__:
        query = query.where(RepairCase.state == CaseState(state))
    filtered = query
    if q.strip():
        number = _number_condition(q)
        filtered = query.where(_searched(number, _customer_condition(q)))
    total = db.session.scalar(select(func.count()).select_from(filtered.limit(COUNT_CAP + 1).subquery()))
    if q.strip() and total > COUNT_CAP:
        filtered = query.where(_searched(number, _customer_condition(q, by_case=True)))
    query = filtered
    page = min(max(page, 1), max(1, -(-min(total, COUNT_CAP) // per_page)))
    items = list(db.session.scalars(query.options(selectinload(RepairCase.customer), selectinload(RepairCase.technician))
                                    .order_by(RepairCase.id.desc()).offset((page - 1) * per_page).limit(per_page)))
    return items, total
