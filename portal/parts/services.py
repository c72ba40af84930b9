"""Fee schedule (收费标准卡), parts stock and parts requisitions (零配件领料单).

Each verb checks, mutates, flushes and audits; the view commits once. Stock moves only through
`_move`, a guarded UPDATE ... RETURNING on the part row, so the balance can never go negative and
every movement records the balance it left. Verbs that touch several parts lock their rows (and
the requisition's) first, check every line, and only then write: a refusal writes nothing.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any, Iterable, Mapping

from flask import abort
from flask_babel import gettext as _
from sqlalchemy import func, select, update
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.attributes import set_committed_value

from portal.core import audit
from portal.core.conflicts import apply_update, check_version
from portal.core.errors import DomainError, InvalidTransition, ValidationFailed
from portal.core.numbering import next_number
from portal.core.roles import Role
from portal.core.timeutil import as_local
from portal.core.workflow import state_label, transition
from portal.extensions import db
from portal.parts.models import (FeeItem, MovementKind, Part, PriceChange, Requisition, RequisitionLine,
                                 RequisitionState, StockMovement)
from portal.repairs.models import CaseState, RepairCase

R = RequisitionState
REQUEST_STATES = frozenset({CaseState.dispatched, CaseState.appointment_confirmed, CaseState.on_site,
                            CaseState.in_workshop})
OPEN_REQUISITION_STATES = (R.requested, R.issued, R.reported)
MAX_QTY = 9999
MAX_PRICE = Decimal("99999999.99")
CENT = Decimal("0.01")
CODE_PATTERN = re.compile(r"^[A-Z0-9][A-Z0-9._/-]*$")
PART_FIELDS = ("code", "name", "spec", "unit", "unit_price", "reorder_level", "active")
FEE_FIELDS = ("code", "name", "unit", "unit_price", "is_visit_fee", "active")


def money(value: Decimal | None) -> str:
    return "" if value is None else f"¥{Decimal(value).quantize(CENT):.2f}"


# --- reads -----------------------------------------------------------------------------------------

def schedule(*, include_inactive: bool = False) -> tuple[list[Part], list[FeeItem]]:
    parts, fees = select(Part).order_by(Part.code), select(FeeItem).order_by(FeeItem.code)
    if not include_inactive:
        parts, fees = parts.where(Part.active.is_(True)), fees.where(FeeItem.active.is_(True))
    return list(db.session.scalars(parts)), list(db.session.scalars(fees))


def active_parts() -> list[Part]:
    return list(db.session.scalars(select(Part).where(Part.active.is_(True)).order_by(Part.code)))


def price_history(item: Part | FeeItem) -> list[PriceChange]:
    column = PriceChange.part_id if isinstance(item, Part) else PriceChange.fee_item_id
    return list(db.session.scalars(select(PriceChange).options(selectinload(PriceChange.by))
                                   .where(column == item.id).order_by(PriceChange.id.desc())))


def schedule_effective_date() -> date | None:
    """The day the schedule in force took effect: the latest price change of an active line."""
    latest = db.session.scalar(
        select(func.max(PriceChange.at))
        .outerjoin(Part, Part.id == PriceChange.part_id).outerjoin(FeeItem, FeeItem.id == PriceChange.fee_item_id)
        .where((Part.active.is_(True)) | (FeeItem.active.is_(True))))
    return as_local(latest).date() if latest else None


def stock_state(part: Part) -> str:
    """'out' (none left), 'low' (at or under the reorder level) or 'ok'."""
    if part.stock_qty <= 0:
        return "out"
    if part.reorder_level and part.stock_qty <= part.reorder_level:
        return "low"
    return "ok"


def stock_list(*, low_only: bool = False) -> list[Part]:
    query = select(Part).order_by(Part.active.desc(), Part.code)
    if low_only:
        query = query.where(Part.active.is_(True), Part.stock_qty <= Part.reorder_level)
    return list(db.session.scalars(query))


def movements(part: Part, *, limit: int = 200) -> list[StockMovement]:
    return list(db.session.scalars(select(StockMovement).options(selectinload(StockMovement.by))
                                   .where(StockMovement.part_id == part.id)
                                   .order_by(StockMovement.id.desc()).limit(limit)))


def case_requisitions(case: RepairCase) -> list[Requisition]:
    return list(db.session.scalars(select(Requisition).where(Requisition.case_id == case.id)
                                   .order_by(Requisition.id)))


@dataclass
class Queue:
    to_issue: list[Requisition] = field(default_factory=list)
    to_confirm: list[Requisition] = field(default_factory=list)
    out: list[Requisition] = field(default_factory=list)
    recent: list[Requisition] = field(default_factory=list)


def requisition_queue(*, technician_id: int | None = None, recent: int = 20) -> Queue:
    """The keeper's queue (every technician) or one technician's own requisitions."""
    query = select(Requisition).options(selectinload(Requisition.lines).selectinload(RequisitionLine.part),
                                        selectinload(Requisition.case), selectinload(Requisition.technician))
    if technician_id is not None:
        query = query.where(Requisition.technician_id == technician_id)
    open_ones = db.session.scalars(query.where(Requisition.state.in_(OPEN_REQUISITION_STATES))
                                   .order_by(Requisition.id)).all()
    done = db.session.scalars(query.where(Requisition.state.in_((R.closed, R.cancelled)))
                              .order_by(Requisition.id.desc()).limit(recent)).all()
    by_state = {state: [r for r in open_ones if r.state is state] for state in OPEN_REQUISITION_STATES}
    return Queue(by_state[R.requested], by_state[R.reported], by_state[R.issued], list(done))


# --- who may see and act -----------------------------------------------------------------------------

def can_request_parts(case: RepairCase, user: Any) -> bool:
    return (getattr(user, "role", None) is Role.technician and case.technician_id == user.id
            and case.state in REQUEST_STATES)


def ensure_can_see(requisition: Requisition, user: Any) -> None:
    """A technician sees the requisitions he drew and those of the job now assigned to him."""
    if getattr(user, "role", None) is Role.technician and user.id not in (requisition.technician_id,
                                                                           requisition.case.technician_id):
        abort(403)


def ensure_drawer(requisition: Requisition, user: Any) -> None:
    """Only the technician who drew the parts reports their use (or cancels his request)."""
    if getattr(user, "role", None) is Role.technician and requisition.technician_id != user.id:
        abort(403)


def ensure_case_takes_parts(case: RepairCase) -> None:
    if case.state not in REQUEST_STATES:
        raise DomainError(_("Parts can be requested only while the job is dispatched, confirmed or on site; "
                            "case %(number)s is “%(state)s”.", number=case.number, state=case.state.label))


def require_state(requisition: Requisition, state: RequisitionState, target: RequisitionState) -> None:
    """409 unless the requisition is in `state` (checked before the form, so a stale page says why)."""
    if requisition.state is not state:
        raise InvalidTransition(
            _("Requisition %(number)s is “%(state)s”; this step is for a requisition that is “%(needed)s”.",
              number=requisition.number, state=state_label(requisition.state), needed=state_label(state)),
            obj=requisition, current=requisition.state, target=target,
            allowed=Requisition.workflow.allowed(requisition.state))


# --- fee schedule ------------------------------------------------------------------------------------

def _price(value: Any, errors: dict[str, list[str]]) -> Decimal | None:
    try:
        price = Decimal(str(value)) if value not in (None, "") else None
    except InvalidOperation:
        price = None
    if price is None or not price.is_finite():
        errors["unit_price"] = [_("Enter the price, e.g. 12.50.")]
    elif price < 0 or price > MAX_PRICE:
        errors["unit_price"] = [_("The price must be between 0 and 99999999.99.")]
    elif price != price.quantize(CENT):
        errors["unit_price"] = [_("At most two decimal places (fen).")]
    else:
        return price.quantize(CENT, rounding=ROUND_HALF_UP)
    return None


def _schedule_values(model: type, values: Mapping[str, Any], *, current: Any = None) -> dict[str, Any]:
    """Normalise and check a part or fee item; raise ValidationFailed naming each bad field."""
    errors: dict[str, list[str]] = {}
    clean = {"code": (values.get("code") or "").strip().upper(), "name": (values.get("name") or "").strip(),
             "unit": (values.get("unit") or "").strip(), "active": bool(values.get("active", True))}
    if not clean["code"]:
        errors["code"] = [_("Enter a code.")]
    elif len(clean["code"]) > 30 or not CODE_PATTERN.match(clean["code"]):
        errors["code"] = [_("Letters, digits and - . / _ only, at most 30.")]
    else:
        taken = db.session.scalar(select(model).where(func.upper(model.code) == clean["code"]))
        if taken is not None and taken is not current:
            errors["code"] = [_("Code %(code)s is already used by %(name)s.", code=clean["code"], name=taken.name)]
    if not clean["name"]:
        errors["name"] = [_("Enter a name.")]
    elif len(clean["name"]) > 80:
        errors["name"] = [_("At most 80 characters.")]
    if not clean["unit"] or len(clean["unit"]) > 10:
        errors["unit"] = [_("Enter the unit, e.g. 个, 套, 米, 次.")]
    clean["unit_price"] = _price(values.get("unit_price"), errors)
    if model is Part:
        clean["spec"] = (values.get("spec") or "").strip()
        if len(clean["spec"]) > 80:
            errors["spec"] = [_("At most 80 characters.")]
        reorder = values.get("reorder_level")
        reorder = 0 if reorder in (None, "") else reorder
        if not _whole(reorder, 0):
            errors["reorder_level"] = [_("A whole number, 0 or more.")]
        clean["reorder_level"] = reorder
    else:
        clean["is_visit_fee"] = bool(values.get("is_visit_fee"))
        if clean["is_visit_fee"] and clean["active"]:
            other = db.session.scalar(select(FeeItem).where(FeeItem.is_visit_fee.is_(True), FeeItem.active.is_(True)))
            if other is not None and other is not current:
                errors["is_visit_fee"] = [_("%(name)s is already the visit fee; untick it there first.",
                                            name=other.name)]
    if errors:
        raise ValidationFailed(_("Please correct the highlighted fields."), errors=errors)
    return clean


def _record_price(item: Part | FeeItem, old: Decimal | None, new: Decimal, actor: Any) -> PriceChange:
    change = PriceChange(part_id=item.id if isinstance(item, Part) else None,
                         fee_item_id=item.id if isinstance(item, FeeItem) else None,
                         old_price=old, new_price=new, by_id=getattr(actor, "id", None))
    db.session.add(change)
    return change


def _create(model: type, values: Mapping[str, Any], fields: Iterable[str], actor: Any):
    clean = _schedule_values(model, values)
    item = model(**clean) if model is FeeItem else model(stock_qty=0, **clean)
    db.session.add(item)
    db.session.flush()
    _record_price(item, None, clean["unit_price"], actor)
    audit.record_created(item, actor=actor, fields=fields)
    return item


def _update(item: Part | FeeItem, values: Mapping[str, Any], *, expected_version: int | None, actor: Any):
    check_version(item, values, expected_version=expected_version)
    clean = _schedule_values(type(item), values, current=item)
    old = item.unit_price
    changed = Decimal(old).quantize(CENT) != clean["unit_price"]
    note = (_("Price changed from %(old)s to %(new)s.", old=money(old), new=money(clean["unit_price"]))
            if changed else None)
    apply_update(item, clean, expected_version=expected_version, actor=actor, note=note)
    if changed:
        _record_price(item, old, clean["unit_price"], actor)
    db.session.flush()
    return item


def part_create(*, values: Mapping[str, Any], actor: Any) -> Part:
    return _create(Part, values, PART_FIELDS, actor)


def part_update(*, part: Part, values: Mapping[str, Any], expected_version: int | None, actor: Any) -> Part:
    """Edit a part; a new price writes a PriceChange (documents keep the price they charged)."""
    return _update(part, values, expected_version=expected_version, actor=actor)


def fee_item_create(*, values: Mapping[str, Any], actor: Any) -> FeeItem:
    return _create(FeeItem, values, FEE_FIELDS, actor)


def fee_item_update(*, fee_item: FeeItem, values: Mapping[str, Any], expected_version: int | None,
                    actor: Any) -> FeeItem:
    return _update(fee_item, values, expected_version=expected_version, actor=actor)


# --- stock -------------------------------------------------------------------------------------------

def _whole(value: Any, minimum: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and minimum <= value <= MAX_QTY


def _lock_parts(part_ids: Iterable[int]) -> dict[int, Part]:
    """Lock the part rows (PostgreSQL; SQLite holds its write lock already) and read fresh balances."""
    ids = sorted(set(part_ids))
    if not ids:
        return {}
    query = (select(Part).where(Part.id.in_(ids)).order_by(Part.id).with_for_update()
             .execution_options(populate_existing=True))
    return {part.id: part for part in db.session.scalars(query)}


def _move(part: Part, *, kind: MovementKind, delta: int, note: str, actor: Any,
          requisition: Requisition | None = None) -> StockMovement:
    """Change the balance by `delta` (never below zero) and log it with the balance left.

    A plain UPDATE rather than an ORM change: a stock movement must not bump the part's version,
    or every issue would turn a manager's open price edit into an edit conflict."""
    table = Part.__table__
    balance = db.session.execute(
        update(table).where(table.c.id == part.id, table.c.stock_qty + delta >= 0)
        .values(stock_qty=table.c.stock_qty + delta).returning(table.c.stock_qty)).scalar_one_or_none()
    if balance is None:  # only if a caller skipped its check; the error handler rolls everything back
        raise DomainError(_("Not enough %(part)s in stock.", part=part.name))
    set_committed_value(part, "stock_qty", balance)
    movement = StockMovement(part_id=part.id, kind=kind, quantity=delta, balance_after=balance,
                             requisition_id=requisition.id if requisition else None, note=note,
                             by_id=getattr(actor, "id", None))
    db.session.add(movement)
    return movement


def receive_stock(*, part: Part, quantity: int, note: str, actor: Any) -> StockMovement:
    """Goods received into the warehouse."""
    if not _whole(quantity, 1):
        raise ValidationFailed(_("Enter how many were received."),
                               errors={"quantity": [_("A whole number from 1 to %(max)s.", max=MAX_QTY)]})
    part = _lock_parts([part.id])[part.id]
    before = part.stock_qty
    movement = _move(part, kind=MovementKind.received, delta=quantity, note=(note or "").strip()[:500], actor=actor)
    db.session.flush()
    audit.record("part.stock_received", part, actor=actor, changes={"stock_qty": [before, part.stock_qty]},
                 note=movement.note or None)
    return movement


def adjust_stock(*, part: Part, counted: int, note: str, actor: Any) -> StockMovement:
    """A stock count: set the balance to what was counted; the note says why it differed."""
    errors: dict[str, list[str]] = {}
    if not _whole(counted, 0):
        errors["counted"] = [_("A whole number, 0 or more.")]
    if not (note or "").strip():
        errors["note"] = [_("Say what was counted and why the balance changes.")]
    if errors:
        raise ValidationFailed(_("Please correct the stock count."), errors=errors)
    part = _lock_parts([part.id])[part.id]
    before = part.stock_qty
    movement = _move(part, kind=MovementKind.adjusted, delta=counted - before, note=note.strip()[:500], actor=actor)
    db.session.flush()
    audit.record("part.stock_counted", part, actor=actor, changes={"stock_qty": [before, counted]}, note=movement.note)
    return movement


# --- requisitions --------------------------------------------------------------------------------------

def _lock_requisition(requisition: Requisition) -> Requisition:
    db.session.scalars(select(Requisition).where(Requisition.id == requisition.id).with_for_update()
                       .execution_options(populate_existing=True)).one()
    return requisition


def _summary(requisition: Requisition, attr: str) -> str:
    return "、".join(f"{line.part.name} ×{getattr(line, attr) or 0}" for line in requisition.lines)


def requisition_create(*, case: RepairCase, technician: Any, lines: list[tuple[int, int]], note: str = "",
                       actor: Any) -> Requisition:
    """The assigned technician asks the warehouse for parts for one job (the same part twice is one line)."""
    if technician is None or case.technician_id != technician.id:
        raise DomainError(_("Only the technician assigned to case %(number)s can request parts for it.",
                            number=case.number))
    ensure_case_takes_parts(case)
    errors: dict[str, list[str]] = {}
    wanted: dict[int, int] = {}
    for part_id, qty in lines:
        part = db.session.get(Part, part_id) if isinstance(part_id, int) else None
        if part is None or not part.active:
            errors.setdefault("lines", []).append(_("A chosen part is no longer on the schedule; choose again."))
        elif not _whole(qty, 1):
            errors.setdefault("lines", []).append(_("%(part)s: a whole number from 1 to %(max)s.", part=part.name,
                                                    max=MAX_QTY))
        else:
            wanted[part.id] = wanted.get(part.id, 0) + qty
    if not lines:
        errors["lines"] = [_("Add at least one part.")]
    if any(qty > MAX_QTY for qty in wanted.values()):
        errors.setdefault("lines", []).append(_("At most %(max)s of one part.", max=MAX_QTY))
    if len((note or "").strip()) > 1000:
        errors["note"] = [_("At most 1000 characters.")]
    if errors:
        raise ValidationFailed(_("Please correct the requisition."), errors=errors)
    requisition = Requisition(number=next_number("LL"), case_id=case.id, technician_id=technician.id,
                              state=R.requested, note=(note or "").strip(),
                              lines=[RequisitionLine(part_id=pid, requested_qty=qty) for pid, qty in wanted.items()])
    db.session.add(requisition)
    db.session.flush()
    summary = _summary(requisition, "requested_qty")
    changes = {"number": [None, requisition.number], "lines": [None, summary]}
    if requisition.note:
        changes["note"] = [None, requisition.note]
    audit.record("requisition.created", requisition, actor=actor, changes=changes)
    audit.record("repair_case.parts_requested", case, actor=actor, note=f"{requisition.number}: {summary}")
    return requisition


def requisition_issue(*, requisition: Requisition, issued: Mapping[int, int], actor: Any) -> Requisition:
    """The keeper hands the parts out: per line 0 ≤ issued ≤ requested and never more than on hand.
    Every line is checked before anything is written."""
    _lock_requisition(requisition)
    require_state(requisition, R.requested, R.issued)
    errors: dict[str, list[str]] = {}
    per_part: dict[int, int] = {}
    for line in requisition.lines:
        qty = issued.get(line.id)
        if not _whole(qty, 0):
            errors[f"issued_{line.id}"] = [_("A whole number, 0 or more.")]
        elif qty > line.requested_qty:
            errors[f"issued_{line.id}"] = [_("Cannot issue more than the %(n)s requested.", n=line.requested_qty)]
        else:
            per_part[line.part_id] = per_part.get(line.part_id, 0) + qty
    stock = _lock_parts(per_part)
    for line in requisition.lines:
        part, asked = stock.get(line.part_id), per_part.get(line.part_id, 0)
        if part is not None and asked > part.stock_qty and f"issued_{line.id}" not in errors:
            errors[f"issued_{line.id}"] = [_("Not enough %(part)s in stock: %(on_hand)s on hand, %(asked)s asked.",
                                             part=part.name, on_hand=part.stock_qty, asked=asked)]
    if errors:
        first = next(iter(errors.values()))[0]
        raise ValidationFailed(first if len(errors) == 1 else _("Please correct the quantities to issue."),
                               errors=errors)
    if not any(per_part.values()):
        raise ValidationFailed(_("Nothing to issue. If none of these parts can be given out, cancel the requisition."))
    for line in requisition.lines:
        line.issued_qty = issued[line.id]
        if line.issued_qty:
            _move(stock[line.part_id], kind=MovementKind.issued, delta=-line.issued_qty, note=requisition.number,
                  actor=actor, requisition=requisition)
    requisition.issued_by_id = getattr(actor, "id", None)
    transition(requisition, R.issued, actor=actor, note=_summary(requisition, "issued_qty"))
    return requisition


def requisition_report_use(*, requisition: Requisition, used: Mapping[int, int], returned: Mapping[int, int],
                           actor: Any) -> Requisition:
    """After the job: per line, used + returned must equal what was issued."""
    _lock_requisition(requisition)
    require_state(requisition, R.issued, R.reported)
    if getattr(actor, "id", None) != requisition.technician_id:
        raise DomainError(_("Only the technician who drew the parts reports their use."))
    errors: dict[str, list[str]] = {}
    values: dict[int, tuple[int, int]] = {}
    for line in requisition.lines:
        n = line.issued_qty or 0
        u = used.get(line.id, 0 if n == 0 else None)
        r = returned.get(line.id, 0 if n == 0 else None)
        if not _whole(u, 0):
            errors[f"used_{line.id}"] = [_("A whole number, 0 or more.")]
        elif u > n:
            errors[f"used_{line.id}"] = [_("Used more than issued: only %(n)s issued.", n=n)]
        if not _whole(r, 0):
            errors[f"returned_{line.id}"] = [_("A whole number, 0 or more.")]
        elif r > n:
            errors[f"returned_{line.id}"] = [_("Returning more than was issued: only %(n)s issued.", n=n)]
        elif f"used_{line.id}" not in errors and u + r != n:
            errors[f"returned_{line.id}"] = [_("Used + returned must equal the %(n)s issued.", n=n)]
        values[line.id] = (u, r)
    if errors:
        raise ValidationFailed(_("Please correct the used and returned quantities."), errors=errors)
    for line in requisition.lines:
        line.used_qty, line.returned_qty = values[line.id]
    transition(requisition, R.reported, actor=actor, note="；".join(
        _("%(part)s: used %(used)s, returned %(returned)s", part=line.part.name, used=line.used_qty,
          returned=line.returned_qty) for line in requisition.lines))
    return requisition


def requisition_confirm_returns(*, requisition: Requisition, actor: Any) -> Requisition:
    """The keeper takes the unused parts back into stock and closes the slip."""
    _lock_requisition(requisition)
    require_state(requisition, R.reported, R.closed)
    back = [line for line in requisition.lines if line.returned_qty]
    stock = _lock_parts(line.part_id for line in back)
    for line in back:
        _move(stock[line.part_id], kind=MovementKind.returned, delta=line.returned_qty, note=requisition.number,
              actor=actor, requisition=requisition)
    requisition.closed_by_id = getattr(actor, "id", None)
    transition(requisition, R.closed, actor=actor, note=_summary(requisition, "returned_qty") if back else
               _("Nothing returned."))
    return requisition


def requisition_send_back(*, requisition: Requisition, reason: str, actor: Any) -> Requisition:
    """The returned parts do not match the report: back to the technician to correct it."""
    _lock_requisition(requisition)
    require_state(requisition, R.reported, R.issued)
    if not (reason or "").strip():
        raise ValidationFailed(_("Give a reason."), errors={"reason": [_("Say what does not match.")]})
    transition(requisition, R.issued, actor=actor, note=reason.strip()[:500])
    return requisition


def requisition_cancel(*, requisition: Requisition, actor: Any, note: str = "") -> Requisition:
    """Withdraw a request that has not been issued yet."""
    _lock_requisition(requisition)
    require_state(requisition, R.requested, R.cancelled)
    transition(requisition, R.cancelled, actor=actor, note=(note or "").strip()[:500] or None)
    return requisition


# --- for the receipt ---------------------------------------------------------------------------------

def used_parts(case: RepairCase) -> list[tuple[Part, int]]:
    """Parts actually used on the job (reported or closed requisitions), summed per part, by code.
    The receipt copies these lines together with the part's price at that moment."""
    rows = db.session.execute(
        select(RequisitionLine.part_id, func.sum(RequisitionLine.used_qty))
        .join(Requisition, Requisition.id == RequisitionLine.requisition_id)
        .where(Requisition.case_id == case.id, Requisition.state.in_((R.reported, R.closed)))
        .group_by(RequisitionLine.part_id)).all()
    used = {part_id: int(total or 0) for part_id, total in rows if total}
    parts = db.session.scalars(select(Part).where(Part.id.in_(used)).order_by(Part.code)) if used else []
    return [(part, used[part.id]) for part in parts]
