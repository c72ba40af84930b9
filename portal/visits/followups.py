"""Follow-up calls after a service (回访记录, F10; W1 step 15, W7; §3.1 T5/T6).

A case that is signed (on-site or workshop service) or guided by phone gets a follow-up due the
settings' hours later (24 h / 3 h). The clerk calls and records who was reached, whether the problem
is solved and how satisfied the customer is. Solved and satisfied (满意 or better) closes the case;
anything else reopens it for a new dispatch, and the next follow-up comes when it is signed again
("跟踪服务直至客户满意为止"). Three unanswered calls mark the follow-up unreachable and leave the
decision (close or reopen) to the clerk on the case page.

Each verb checks, mutates, flushes and audits; the view commits. `on_case_transition` is called by
repairs.services.case_transition after every move of a case.
"""
from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from portal.core import audit
from portal.core.errors import DomainError, ValidationFailed
from portal.core.numbering import next_number
from portal.core.signing import RATINGS
from portal.core.timeutil import as_local, from_local, utcnow
from portal.core.workflow import StateChange
from portal.extensions import db
from portal.repairs.models import CaseState, RepairCase
from portal.settings.services import get_settings
from portal.visits.models import SATISFIED_FROM, FollowUp, FollowUpCall, FollowUpKind, FollowUpState

S = CaseState
FS = FollowUpState
PREFIX = "HJ"  # 回访记录 (HF is the key-customer visit)
MAX_UNANSWERED = 3  # like the technician's calls (§3.2): three tries, then the office decides
AMBER_WINDOW = timedelta(hours=1)
# A follow-up can be recorded while its case waits for it, and on a case the clerk closed already.
RECORDABLE = frozenset({S.phone_guided, S.signed, S.archived, S.followup_due, S.closed})
AWAITING = frozenset({S.phone_guided, S.signed, S.archived, S.followup_due})
SHOW_CHOICES = ("due", "overdue", "done", "unreachable")

# The steps the case workflow needs from each state (signed → archived → followup_due → …).
_TO_CLOSED = {S.phone_guided: (S.closed,), S.signed: (S.archived, S.followup_due, S.closed),
              S.archived: (S.followup_due, S.closed), S.followup_due: (S.closed,), S.closed: ()}
_TO_REOPENED = {S.phone_guided: (S.waiting_dispatch,), S.signed: (S.archived, S.followup_due, S.waiting_dispatch),
                S.archived: (S.followup_due, S.waiting_dispatch), S.followup_due: (S.waiting_dispatch,),
                S.closed: (S.waiting_dispatch,)}
_TO_UNREACHABLE = {S.signed: (S.archived, S.followup_due), S.archived: (S.followup_due,)}


def _actor_id(actor: Any) -> int | None:
    return getattr(actor, "id", None)


def _minute(moment: datetime | None) -> datetime | None:
    """Call times are typed to the minute; compare them so."""
    local = as_local(moment)
    return local.replace(second=0, microsecond=0) if local else None


# --- creation, from the case workflow -------------------------------------------------------------

def on_case_transition(*, case: RepairCase, change: StateChange, actor: Any) -> None:
    """Signed or guided: schedule the follow-up. Sent back for dispatch or cancelled by hand while a
    follow-up was still open: that call is no longer wanted, so it is withdrawn."""
    if change.new is S.signed:
        followup_schedule(case=case, kind=FollowUpKind.service, ended_at=change.at, actor=actor)
    elif change.new is S.phone_guided:
        followup_schedule(case=case, kind=FollowUpKind.guidance, ended_at=change.at, actor=actor)
    elif change.new in (S.waiting_dispatch, S.cancelled):
        for followup in open_followups(case):
            audit.record("follow_up.withdrawn", followup, actor=actor,
                         note=_("case %(number)s: %(state)s", number=case.number, state=change.new.label))
            db.session.delete(followup)
        db.session.flush()


def followup_schedule(*, case: RepairCase, kind: FollowUpKind, ended_at: datetime, actor: Any) -> FollowUp:
    """The follow-up for the round that just ended, due when the case's follow-up clock says."""
    existing = open_followups(case)
    if existing:
        return existing[0]
    limits = get_settings()
    hours = (limits.followup_after_service_hours if kind is FollowUpKind.service
             else limits.followup_after_guidance_hours)
    previous = db.session.scalar(select(func.max(FollowUp.attempt)).where(FollowUp.case_id == case.id)) or 0
    followup = FollowUp(number=next_number(PREFIX), case_id=case.id, kind=kind, attempt=previous + 1,
                        service_ended_at=ended_at, due_at=case.followup_due_at or ended_at + timedelta(hours=hours),
                        state=FS.open, reached_name="", notes="",
                        served_by_id=case.technician_id if kind is FollowUpKind.service else _actor_id(actor))
    followup.case = case
    db.session.add(followup)
    db.session.flush()
    audit.record_created(followup, actor=actor, fields=("number", "kind", "attempt", "due_at"), note=case.number)
    return followup


# --- recording a call -----------------------------------------------------------------------------

def followup_record(*, followup: FollowUp, done_at: datetime | None, reached: bool, reached_name: str = "",
                    solved: bool | None = None, rating: int | None = None, notes: str = "", actor: Any,
                    now: datetime | None = None) -> FollowUp:
    """Record one follow-up call made at `done_at`.

    Not reached: the call is counted; the third one marks the follow-up unreachable. Reached: the
    answers are kept and the case is closed (solved and satisfied) or reopened for a new dispatch
    with the notes as the reason. Two clerks recording at once: the second finds it done (409)."""
    db.session.refresh(followup, with_for_update=True)
    if followup.state is not FS.open:
        raise DomainError(_("Follow-up %(number)s is already recorded (%(state)s).",
                            number=followup.number, state=followup.state.label))
    case = followup.case
    if case.state not in RECORDABLE:
        raise DomainError(_("Case %(number)s is “%(state)s”; its follow-up cannot be recorded now.",
                            number=case.number, state=case.state.label))
    now = now or utcnow()
    notes = (notes or "").strip()
    reached_name = (reached_name or "").strip()
    errors = _check(followup, done_at=done_at, reached=reached, reached_name=reached_name, solved=solved,
                    rating=rating, notes=notes, now=now)
    if errors:
        raise ValidationFailed(_("The follow-up was not saved: see the marked fields."), errors=errors)
    if not reached:
        return _unanswered(followup, called_at=done_at, note=notes, actor=actor)
    followup.done_at, followup.reached_name, followup.solved = done_at, reached_name, solved
    followup.rating, followup.notes, followup.staff_id, followup.state = rating, notes, _actor_id(actor), FS.done
    changes = audit.pending_changes(followup)
    changes.pop("staff_id", None)  # the entry's author is who called
    db.session.flush()
    audit.record("follow_up.done", followup, actor=actor, changes=changes, note=RATINGS[rating])
    if solved and rating >= SATISFIED_FROM:
        _walk(case, _TO_CLOSED[case.state], followup, actor,
              _("Follow-up %(number)s: solved, customer satisfied", number=followup.number))
    else:
        _walk(case, _TO_REOPENED[case.state], followup, actor, f"{followup.number}: {notes}")
    return followup


def _check(followup: FollowUp, *, done_at: datetime | None, reached: bool, reached_name: str,
           solved: bool | None, rating: int | None, notes: str, now: datetime) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    ended = followup.service_ended_at
    if done_at is None:
        errors["done_at"] = [_("Enter when the call was made.")]
    elif _minute(done_at) < _minute(ended):
        label = _("the phone guidance") if followup.kind is FollowUpKind.guidance else _("the customer signed")
        errors["done_at"] = [_("The call cannot be before the service ended (%(event)s at %(at)s).",
                               event=label, at=as_local(ended).strftime("%Y-%m-%d %H:%M"))]
    elif _minute(done_at) > _minute(now):
        errors["done_at"] = [_("The call cannot be in the future; record it once it was made.")]
    elif followup.calls and _minute(done_at) < _minute(followup.calls[-1].called_at):
        errors["done_at"] = [_("The call cannot be before the previous call (%(at)s).",
                               at=as_local(followup.calls[-1].called_at).strftime("%Y-%m-%d %H:%M"))]
    if not reached:
        return errors
    if not reached_name:
        errors["reached_name"] = [_("Enter who was reached.")]
    if solved is None:
        errors["solved"] = [_("Is the reported problem solved?")]
    if rating not in RATINGS:
        errors["rating"] = [_("Choose how satisfied the customer is.")]
    unhappy = solved is False or (rating in RATINGS and rating < SATISFIED_FROM)
    if unhappy and not notes:
        errors["notes"] = [_("Not solved or not satisfied: write down what the customer said; the case is "
                             "reopened with it as the reason.")]
    return errors


def _unanswered(followup: FollowUp, *, called_at: datetime, note: str, actor: Any) -> FollowUp:
    followup.calls.append(FollowUpCall(called_at=called_at, staff_id=_actor_id(actor), note=note[:500]))
    db.session.flush()
    count = len(followup.calls)
    when = f"{count}/{MAX_UNANSWERED} · {as_local(called_at):%Y-%m-%d %H:%M}"
    audit.record("follow_up.unanswered", followup, actor=actor, note=when + (f" · {note}" if note else ""))
    if count < MAX_UNANSWERED:
        return followup
    followup.state, followup.done_at, followup.staff_id = FS.unreachable, called_at, _actor_id(actor)
    changes = audit.pending_changes(followup)
    changes.pop("staff_id", None)  # the entry's author is who called
    db.session.flush()
    audit.record("follow_up.unreachable", followup, actor=actor, changes=changes,
                 note=_("%(count)s calls not answered", count=count))
    case = followup.case
    # The case waits on "follow-up due" for the clerk to close it or reopen it.
    _walk(case, _TO_UNREACHABLE.get(case.state, ()), followup, actor,
          _("Follow-up %(number)s: customer unreachable", number=followup.number))
    return followup


def _walk(case: RepairCase, steps: tuple[CaseState, ...], followup: FollowUp, actor: Any, note: str) -> None:
    """Move the case through the states its workflow needs; the last step carries the note."""
    from portal.repairs.services import case_transition  # repairs calls back into this module

    for index, target in enumerate(steps):
        if index == len(steps) - 1:
            step_note = note
        elif target is S.archived:
            step_note = _("Signed receipt filed (follow-up %(number)s)", number=followup.number)
        else:
            step_note = followup.number
        case_transition(case=case, target=target, actor=actor, note=step_note)


def outcome_message(followup: FollowUp) -> str:
    """What the clerk is told after recording."""
    case = followup.case
    if followup.state is FS.open:
        return _("Call not answered (%(count)s of %(max)s). Call again later.", count=followup.unanswered,
                 max=MAX_UNANSWERED)
    if followup.state is FS.unreachable:
        return _("Customer unreachable after %(count)s calls: close case %(number)s or reopen it from the case page.",
                 count=followup.unanswered, number=case.number)
    if case.state is S.waiting_dispatch:
        return _("Follow-up recorded. Case %(number)s is reopened and waits for a new dispatch.", number=case.number)
    return _("Follow-up recorded. Case %(number)s is closed.", number=case.number)


# --- reads ----------------------------------------------------------------------------------------

def open_followups(case: RepairCase) -> list[FollowUp]:
    return list(db.session.scalars(select(FollowUp).where(FollowUp.case_id == case.id, FollowUp.state == FS.open)
                                   .order_by(FollowUp.id)))


def case_followups(case: RepairCase) -> list[FollowUp]:
    return list(db.session.scalars(select(FollowUp).options(selectinload(FollowUp.calls), selectinload(FollowUp.staff))
                                   .where(FollowUp.case_id == case.id).order_by(FollowUp.attempt, FollowUp.id)))


def week_start(now: datetime | None = None) -> datetime:
    """Monday 00:00 of the local week, as UTC."""
    today = as_local(now or utcnow()).date()
    return from_local(datetime.combine(today - timedelta(days=today.weekday()), time()))


def followup_queue(*, limit: int | None = None, show: str = "due", now: datetime | None = None) -> list[FollowUp]:
    """The clerk's follow-up queue.

    due: every open follow-up, the earliest due first (overdue ones lead); overdue: only those past
    due; done: recorded this week (answered or unreachable), the latest first; unreachable: those
    whose case still waits for the clerk to close or reopen it."""
    now = now or utcnow()
    query = (select(FollowUp).join(RepairCase, RepairCase.id == FollowUp.case_id)
             .options(selectinload(FollowUp.case).selectinload(RepairCase.customer),
                      selectinload(FollowUp.case).selectinload(RepairCase.technician),
                      selectinload(FollowUp.calls), selectinload(FollowUp.served_by), selectinload(FollowUp.staff)))
    if show == "done":
        query = (query.where(FollowUp.state.in_((FS.done, FS.unreachable)), FollowUp.done_at >= week_start(now))
                 .order_by(FollowUp.done_at.desc(), FollowUp.id.desc()))
    elif show == "unreachable":
        query = (query.where(FollowUp.state == FS.unreachable, RepairCase.state.in_(AWAITING))
                 .order_by(FollowUp.due_at, FollowUp.id))
    else:
        query = query.where(FollowUp.state == FS.open)
        if show == "overdue":
            query = query.where(FollowUp.due_at < now)
        query = query.order_by(FollowUp.due_at, FollowUp.id)
    if limit is not None:
        query = query.limit(limit)
    return list(db.session.scalars(query))


def followups_due_count(*, now: datetime | None = None) -> tuple[int, int]:
    """(due later today, overdue) open follow-ups, for the clerk's home page; the two do not overlap."""
    now = now or utcnow()
    tomorrow = from_local(datetime.combine(as_local(now).date() + timedelta(days=1), time()))
    base = select(func.count(FollowUp.id)).where(FollowUp.state == FS.open)
    overdue = db.session.scalar(base.where(FollowUp.due_at < now)) or 0
    today = db.session.scalar(base.where(FollowUp.due_at >= now, FollowUp.due_at < tomorrow)) or 0
    return today, overdue


def unreachable_count() -> int:
    return db.session.scalar(select(func.count(FollowUp.id)).join(RepairCase, RepairCase.id == FollowUp.case_id)
                             .where(FollowUp.state == FS.unreachable, RepairCase.state.in_(AWAITING))) or 0


def due_level(followup: FollowUp, now: datetime | None = None) -> str:
    """red: past due; amber: due within the hour; ok: later; done: recorded (on time or not)."""
    if followup.state is not FS.open:
        return "done"
    now = now or utcnow()
    due = as_local(followup.due_at)
    if due < as_local(now):
        return "red"
    return "amber" if due - as_local(now) <= AMBER_WINDOW else "ok"


def on_time(followup: FollowUp) -> bool | None:
    """Whether the call was made by the due time; None while open."""
    if followup.done_at is None:
        return None
    return followup.done_at <= followup.due_at
