"""Repair service receipt verbs (维修服务回执单 F04). Each checks, mutates, flushes and audits; the
view commits once. Prices: a line copies the schedule's price when it is added (list_price) and the
charged unit price follows the category's rule, so later schedule changes never alter a receipt."""
from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any, NamedTuple

from flask import abort
from flask_babel import force_locale, gettext as _
from sqlalchemy import select

from portal.core import audit, signing
from portal.core.errors import DomainError, FrozenRecord, InvalidTransition, ValidationFailed
from portal.core.numbering import next_number
from portal.core.roles import Role
from portal.core.timeutil import as_local, local_today, utcnow
from portal.core.workflow import state_label, transition
from portal.extensions import db
from portal.parts.models import FeeItem, Part
from portal.receipts.charging import ZERO, Decision, decide_category, line_amount, money, price_line
from portal.receipts.models import (RECEIPT_WORKFLOW, ChargeCategory, Collection, LineKind, ReceiptLine,
                                    ReceiptState, RepairReceipt)
from portal.repairs.models import CaseState, RepairCase
from portal.repairs.services import case_transition

RS = ReceiptState
FUTURE_SLACK = timedelta(minutes=5)
COLLECT_WITHIN_DAYS = 7
MAX_FEE_QUANTITY = Decimal("999")
MAX_MONEY = Decimal("99999999")
EDITABLE_FIELDS = ("arrived_at", "finished_at", "fault_cause", "solution", "test_run_shown", "instructions_given",
                   "misuse", "misuse_reason", "customer_consented", "collected", "collect_later")
OPEN_STATES = (RS.draft, RS.ready)
# Where the job is done: on site, or in the workshop for a carried-in unit (portal/carryin).
WORK_STATES = (CaseState.on_site, CaseState.in_workshop)


def work_state(case: RepairCase) -> CaseState:
    """The state a reopened receipt sends its case back to: where the work was last being done."""
    if case.in_workshop_at is not None and (case.on_site_at is None or case.in_workshop_at >= case.on_site_at):
        return CaseState.in_workshop
    return CaseState.on_site


# --- reads and access ----------------------------------------------------------------------------

def get_receipt(receipt_id: int) -> RepairReceipt | None:
    return db.session.get(RepairReceipt, receipt_id)


def receipts_for_case(case: RepairCase) -> list[RepairReceipt]:
    return list(db.session.scalars(select(RepairReceipt).where(RepairReceipt.case_id == case.id)
                                   .order_by(RepairReceipt.id)))


def open_receipt_for(case: RepairCase) -> RepairReceipt | None:
    """The draft or ready receipt of the case's current technician (a reassigned job gets its own)."""
    return db.session.scalars(select(RepairReceipt).where(RepairReceipt.case_id == case.id,
                                                          RepairReceipt.technician_id == case.technician_id,
                                                          RepairReceipt.state.in_(OPEN_STATES))
                              .order_by(RepairReceipt.id.desc()).limit(1)).first()


def is_technician(user: Any) -> bool:
    return getattr(user, "role", None) is Role.technician


def ensure_can_see(receipt: RepairReceipt, user: Any) -> None:
    """Technicians see only their own receipts; the office sees all."""
    if is_technician(user) and receipt.technician_id != user.id:
        abort(403)


def can_edit(receipt: RepairReceipt, user: Any) -> bool:
    return is_technician(user) and receipt.technician_id == user.id and receipt.state is RS.draft


def ensure_editable(receipt: RepairReceipt, actor: Any) -> None:
    if actor is not None and not (is_technician(actor) and receipt.technician_id == actor.id):
        abort(403)
    if receipt.state is RS.signed or receipt.state is RS.void:
        raise FrozenRecord(_("Receipt %(number)s is %(state)s and can no longer be changed.",
                             number=receipt.number, state=receipt.state.label))
    if receipt.state is not RS.draft:
        raise DomainError(_("Receipt %(number)s is %(state)s: reopen it as a draft to change it.",
                            number=receipt.number, state=receipt.state.label))
    if receipt.case.technician_id != receipt.technician_id:
        raise DomainError(_("Case %(number)s was reassigned: this receipt can no longer be changed.",
                            number=receipt.case.number))


def _ensure_can_move(receipt: RepairReceipt, target: ReceiptState) -> None:
    """The workflow's own refusal, before anything else is checked or touched."""
    if not RECEIPT_WORKFLOW.can(receipt.state, target):
        allowed = RECEIPT_WORKFLOW.allowed(receipt.state)
        raise InvalidTransition(
            _("Cannot go from “%(current)s” to “%(target)s”. Allowed from here: %(allowed)s.",
              current=state_label(receipt.state), target=state_label(target),
              allowed="、".join(state_label(s) for s in allowed) or _("none")),
            obj=receipt, current=receipt.state, target=target, allowed=allowed)


# --- parts used on the case (the parts family's requisitions) ------------------------------------

def used_parts(case: RepairCase) -> list[tuple[Part, int]]:
    """Every part used on the case over its whole life (all visits); see parts_due for one receipt."""
    from portal.parts.services import used_parts as parts_used  # parts know nothing of receipts
    return [(part, int(qty)) for part, qty in parts_used(case) if qty and int(qty) > 0]


class ChargedParts(NamedTuple):
    """Part lines of another receipt of the same case that was signed: those parts are charged."""
    receipt: RepairReceipt
    lines: list[ReceiptLine]


def parts_charged_elsewhere(receipt: RepairReceipt) -> list[ChargedParts]:
    """The case's other signed receipts that carry part lines, oldest first. A follow-up that reopens
    the case brings a new visit and a new receipt; what the first one charged must not be charged
    again. A void receipt is not counted: its correction carries the lines again."""
    query = select(RepairReceipt).where(RepairReceipt.case_id == receipt.case_id, RepairReceipt.state == RS.signed)
    if receipt.id is not None:
        query = query.where(RepairReceipt.id != receipt.id)
    found = []
    for other in db.session.scalars(query.order_by(RepairReceipt.id)):
        lines = [line for line in other.lines if line.kind is LineKind.part and line.part_id is not None]
        if lines:
            found.append(ChargedParts(other, lines))
    return found


def parts_due(receipt: RepairReceipt, *, charged: list[ChargedParts] | None = None) -> list[tuple[Part, int]]:
    """The parts this receipt must carry: used on the case (reported or closed requisitions) minus
    the part lines of the case's other signed receipts, per part, never below zero."""
    taken: dict[int, Decimal] = {}
    for entry in parts_charged_elsewhere(receipt) if charged is None else charged:
        for line in entry.lines:
            taken[line.part_id] = taken.get(line.part_id, Decimal(0)) + Decimal(line.quantity)
    due = []
    for part, qty in used_parts(receipt.case):
        left = Decimal(qty) - taken.get(part.id, Decimal(0))
        if left > 0:
            due.append((part, int(left)))
    return due


# --- where the work was done ---------------------------------------------------------------------

def is_workshop_job(receipt: RepairReceipt) -> bool:
    """Whether the receipt is for work on a carried-in unit: when it was opened the case had a unit
    taken into the workshop (a goods receipt, portal/carryin) that was not handed back yet, so its
    "arrival" is the take-in time. A correction goes by the receipt it corrects (it copies its times)."""
    from portal.carryin.models import GoodsReceipt

    root, seen = receipt, {receipt.id}
    while root.amends_id is not None and root.amends_id not in seen:
        seen.add(root.amends_id)
        root = db.session.get(RepairReceipt, root.amends_id)
    opened = root.created_at or utcnow()
    return db.session.scalar(
        select(GoodsReceipt.id).where(GoodsReceipt.case_id == receipt.case_id, GoodsReceipt.taken_in_at.is_not(None),
                                      GoodsReceipt.taken_in_at <= opened,
                                      (GoodsReceipt.returned_at.is_(None)) | (GoodsReceipt.returned_at >= opened))
        .limit(1)) is not None


# --- pricing -------------------------------------------------------------------------------------

def service_day(receipt: RepairReceipt) -> date:
    moment = receipt.finished_at or receipt.arrived_at
    return as_local(moment).date() if moment else local_today()


def _decide(receipt: RepairReceipt, *, misuse: bool, misuse_reason: str, today: date) -> Decision:
    with force_locale("zh_CN"):  # the reason is stored and printed on a Chinese-only form
        return decide_category(equipment=receipt.case.equipment, today=today, misuse=misuse, misuse_reason=misuse_reason)


def _line_prices(line: ReceiptLine, decision: Decision) -> tuple[Decimal, Decimal]:
    visit = False
    if line.kind is LineKind.fee and line.fee_item_id:
        item = db.session.get(FeeItem, line.fee_item_id)
        visit = bool(item and item.is_visit_fee)
    unit_price = price_line(category=decision.category, contract=decision.contract, kind=line.kind,
                            list_price=line.list_price, quantity=line.quantity, visit_fee=visit)
    return unit_price, line_amount(unit_price, line.quantity)


def priced_total(receipt: RepairReceipt, decision: Decision) -> Decimal:
    return money(sum((_line_prices(line, decision)[1] for line in receipt.lines), ZERO))


def reprice(receipt: RepairReceipt, *, today: date | None = None) -> Decision:
    """Decide the category again and price every line from its copied list price."""
    decision = _decide(receipt, misuse=receipt.misuse, misuse_reason=receipt.misuse_reason,
                       today=today or service_day(receipt))
    receipt.category, receipt.category_reason = decision.category, decision.reason
    receipt.contract_id = decision.contract.id if decision.contract is not None else None
    receipt.bill_agent_id = decision.agent.id if decision.agent is not None else None
    total = ZERO
    for position, line in enumerate(receipt.lines, start=1):
        line.position = position
        line.unit_price, line.amount = _line_prices(line, decision)
        total += line.amount
    receipt.total = money(total)
    db.session.flush()
    return decision


PRICED_FIELDS = ("category", "category_reason", "contract_id", "bill_agent_id", "total")


def _repriced(receipt: RepairReceipt, actor: Any, action: str, note: str | None = None, *,
              only_if_changed: bool = False) -> None:
    """Price again and audit what the pricing changed under `action`."""
    before = audit.snapshot(receipt, PRICED_FIELDS)
    reprice(receipt)
    after = audit.snapshot(receipt, PRICED_FIELDS)
    changes = {k: [before[k], after[k]] for k in before if before[k] != after[k]}
    if changes or not only_if_changed:
        audit.record(f"repair_receipt.{action}", receipt, actor=actor, changes=changes or None, note=note)


# --- open -----------------------------------------------------------------------------------------

def receipt_open(*, case: RepairCase, actor: Any) -> RepairReceipt:
    """The draft for this visit: the open one if there is one, else a new one (case on site or in the
    workshop)."""
    existing = open_receipt_for(case)
    if existing is not None:
        return existing
    if case.state not in WORK_STATES:
        raise DomainError(_("The receipt is filled in while the job is on site or the unit is in the workshop: "
                            "case %(number)s is “%(state)s”.", number=case.number, state=case.state.label))
    if case.technician_id is None:
        raise DomainError(_("Case %(number)s has no technician assigned.", number=case.number))
    receipt = RepairReceipt(number=next_number("HZ"), case=case, technician_id=case.technician_id,
                            arrived_at=case.on_site_at if case.state is CaseState.on_site else case.in_workshop_at,
                            state=RS.draft, state_changed_at=utcnow(),
                            fault_cause="", solution="", misuse=False, misuse_reason="", total=ZERO,
                            collected=ZERO, collect_later=False, customer_consented=False,
                            test_run_shown=False, instructions_given=False)
    db.session.add(receipt)
    reprice(receipt)
    audit.record_created(receipt, actor=actor, fields=("number", "arrived_at", "category", "category_reason"))
    return receipt


# --- edit -----------------------------------------------------------------------------------------

def _minute(moment: datetime | None) -> datetime | None:
    """Times are typed to the minute; compare them so."""
    local = as_local(moment)
    return local.replace(second=0, microsecond=0) if local else None


def _clean(receipt: RepairReceipt, values: dict[str, Any], now: datetime) -> tuple[dict[str, Any], dict[str, list[str]]]:
    errors: dict[str, list[str]] = {}
    clean = {name: values[name] for name in EDITABLE_FIELDS if name in values}
    for name in ("fault_cause", "solution", "misuse_reason"):
        if name in clean:
            clean[name] = (clean[name] or "").strip()
    for name in ("test_run_shown", "instructions_given", "misuse", "customer_consented", "collect_later"):
        if name in clean:
            clean[name] = bool(clean[name])
    for name in ("arrived_at", "finished_at"):
        if name in clean and _minute(clean[name]) == _minute(getattr(receipt, name)):
            clean[name] = getattr(receipt, name)  # the same minute as stored: unchanged, no audit noise
    arrived = as_local(clean.get("arrived_at", receipt.arrived_at))
    finished = as_local(clean.get("finished_at", receipt.finished_at))
    limit = as_local(now) + FUTURE_SLACK
    received = as_local(receipt.case.received_at)
    if arrived and arrived > limit:
        errors["arrived_at"] = [_("The arrival time is in the future.")]
    elif arrived and received and arrived < received - timedelta(minutes=1):
        errors["arrived_at"] = [_("Arrival is before the repair call came in (%(at)s).",
                                  at=received.strftime("%Y-%m-%d %H:%M"))]
    if finished and finished > limit:
        errors["finished_at"] = [_("The finish time is in the future.")]
    elif finished and arrived and _minute(finished) < _minute(arrived):
        errors["finished_at"] = [_("The finish time is before the arrival time.")]
    if clean.get("misuse", receipt.misuse):
        if not clean.get("misuse_reason", receipt.misuse_reason):
            errors["misuse_reason"] = [_("Say how the unit was misused: the customer pays because of it.")]
    elif "misuse" in clean:
        clean["misuse_reason"] = ""
    if "collected" in clean:
        try:
            clean["collected"] = money(clean["collected"] if clean["collected"] not in (None, "") else 0)
        except (InvalidOperation, ValueError, TypeError):
            errors["collected"] = [_("Enter an amount such as 120.00.")]
        else:
            if clean["collected"] < 0 or clean["collected"] > MAX_MONEY:
                errors["collected"] = [_("Enter an amount such as 120.00.")]
    return clean, errors


def receipt_update(*, receipt: RepairReceipt, values: dict[str, Any], expected_version: int | None, actor: Any,
                   now: datetime | None = None) -> RepairReceipt:
    """The technician's receipt form (own job, draft only); category, lines and total follow."""
    from portal.core.conflicts import apply_update, check_version

    ensure_editable(receipt, actor)
    check_version(receipt, values, expected_version=expected_version)
    clean, errors = _clean(receipt, values, now or utcnow())
    if "collected" in clean and "collected" not in errors:
        decision = _decide(receipt, misuse=clean.get("misuse", receipt.misuse),
                           misuse_reason=clean.get("misuse_reason", receipt.misuse_reason), today=service_day(receipt))
        total = priced_total(receipt, decision)
        if clean["collected"] > total:
            errors["collected"] = [_("More than the total of ¥%(total)s.", total=total)]
    if errors:
        raise ValidationFailed(_("Please correct the receipt."), errors=errors)
    apply_update(receipt, clean, expected_version=None, actor=actor)
    _repriced(receipt, actor, "repriced", only_if_changed=True)
    return receipt


def receipt_save(*, receipt: RepairReceipt, values: dict[str, Any], expected_version: int | None, actor: Any,
                 ready: bool = False) -> RepairReceipt:
    """The form's one submit: save, and with `ready` also hand it over for signing (all or nothing)."""
    receipt_update(receipt=receipt, values=values, expected_version=expected_version, actor=actor)
    if ready:
        receipt_mark_ready(receipt=receipt, actor=actor)
    return receipt


def receipt_load_parts(*, receipt: RepairReceipt, actor: Any) -> int:
    """(Re)build the part lines from the used quantities reported on the case's requisitions, less
    what the case's other signed receipts charged already (parts_due), copying the schedule's
    current price. Returns the number of part lines."""
    ensure_editable(receipt, actor)
    for line in [line for line in receipt.lines if line.kind is LineKind.part]:
        receipt.lines.remove(line)
    db.session.flush()
    charged = parts_charged_elsewhere(receipt)
    used = parts_due(receipt, charged=charged)
    for part, qty in used:
        description = f"{part.name} {part.spec}".strip()[:160]
        receipt.lines.append(ReceiptLine(kind=LineKind.part, part_id=part.id, description=description, unit=part.unit,
                                         quantity=Decimal(qty), list_price=money(part.unit_price),
                                         unit_price=ZERO, amount=ZERO, position=0))
    _sort_lines(receipt)
    note = "; ".join(f"{part.name} × {qty} @ ¥{money(part.unit_price)}" for part, qty in used) or (
        _("nothing left to charge") if charged else _("no used parts reported"))
    if charged:
        note += " · " + _("already on %(receipts)s", receipts="; ".join(
            f"{entry.receipt.number}: " + ", ".join(f"{line.description} × {_quantity(line.quantity)}"
                                                     for line in entry.lines) for entry in charged))
    _repriced(receipt, actor, "parts_loaded", note=note)
    return len(used)


def _quantity(value: Decimal) -> str:
    value = Decimal(value)
    return f"{value:.0f}" if value == value.to_integral_value() else f"{value.normalize():f}"


def _sort_lines(receipt: RepairReceipt) -> None:
    """Parts first, then fees, each in the order they were added."""
    ordered = sorted(receipt.lines, key=lambda line: (line.kind is not LineKind.part, line.position or 10**6,
                                                      line.id or 10**9))
    for position, line in enumerate(ordered, start=1):
        line.position = position
    receipt.lines.sort(key=lambda line: line.position)


def fee_items() -> list[FeeItem]:
    return list(db.session.scalars(select(FeeItem).where(FeeItem.active.is_(True)).order_by(FeeItem.name)))


def _fee_quantity(quantity: Any) -> Decimal:
    try:
        value = Decimal(str(quantity))
    except (InvalidOperation, ValueError, TypeError):
        value = Decimal("-1")
    if not value.is_finite() or value <= 0 or value > MAX_FEE_QUANTITY or value != value.quantize(Decimal("0.01")):
        raise ValidationFailed(_("Enter a quantity between 0.01 and 999, e.g. 1 or 1.5."),
                               errors={"quantity": [_("Enter a quantity between 0.01 and 999, e.g. 1 or 1.5.")]})
    return value


def receipt_set_fee(*, receipt: RepairReceipt, fee_item: FeeItem | None, quantity: Any, actor: Any) -> ReceiptLine:
    """Add a fee line (visit fee 1, labour hours 1.5 …) or change the quantity of an existing one."""
    ensure_editable(receipt, actor)
    if fee_item is None or not fee_item.active:
        raise ValidationFailed(_("Choose a fee from the schedule."), errors={"fee_item_id": [_("Choose a fee from the schedule.")]})
    qty = _fee_quantity(quantity)
    line = next((line for line in receipt.lines if line.kind is LineKind.fee and line.fee_item_id == fee_item.id), None)
    if line is None:
        line = ReceiptLine(kind=LineKind.fee, fee_item_id=fee_item.id, description=fee_item.name[:160],
                           unit=fee_item.unit, quantity=qty, list_price=money(fee_item.unit_price),
                           unit_price=ZERO, amount=ZERO, position=10**5)
        receipt.lines.append(line)
    else:
        line.quantity = qty
    _sort_lines(receipt)
    _repriced(receipt, actor, "fee_set", note=f"{fee_item.name} × {qty}")
    return line


def receipt_remove_fee(*, receipt: RepairReceipt, line_id: int, actor: Any) -> None:
    ensure_editable(receipt, actor)
    line = next((line for line in receipt.lines if line.id == line_id), None)
    if line is None:
        abort(404)
    if line.kind is not LineKind.fee:
        raise DomainError(_("Part lines come from the requisition: correct the used quantities there, "
                            "then load the used parts again."))
    receipt.lines.remove(line)
    db.session.flush()
    _sort_lines(receipt)
    _repriced(receipt, actor, "fee_removed", note=f"{line.description} × {line.quantity}")


# --- completeness --------------------------------------------------------------------------------

class Check(NamedTuple):
    key: str
    label: str
    ok: bool


def _parts_match(receipt: RepairReceipt) -> bool:
    """The receipt's part lines are exactly the parts due on it (nothing missing, nothing charged twice)."""
    wanted: dict[int, Decimal] = {}
    for part, qty in parts_due(receipt):
        wanted[part.id] = wanted.get(part.id, Decimal(0)) + Decimal(qty)
    have: dict[int, Decimal] = {}
    for line in receipt.lines:
        if line.kind is LineKind.part:
            have[line.part_id] = have.get(line.part_id, Decimal(0)) + Decimal(line.quantity)
    return wanted == have


def is_charged(receipt: RepairReceipt) -> bool:
    return receipt.category in (ChargeCategory.paid, ChargeCategory.contract) and money(receipt.total or 0) > 0


def checklist(receipt: RepairReceipt) -> list[Check]:
    """What a complete receipt needs (penalty 7 of the seeds fines an incomplete one)."""
    arrived, finished = as_local(receipt.arrived_at), as_local(receipt.finished_at)
    collected, total = money(receipt.collected or 0), money(receipt.total or 0)
    items = [
        Check("times", _("Arrival and finish times"), bool(arrived and finished and _minute(finished) >= _minute(arrived))),
        Check("fault_cause", _("Fault cause"), bool((receipt.fault_cause or "").strip())),
        Check("solution", _("Solution"), bool((receipt.solution or "").strip())),
        Check("parts", _("Parts replaced (the used parts of the requisition are on the receipt)"), _parts_match(receipt)),
        Check("test_run_shown", _("Test run shown to the customer"), bool(receipt.test_run_shown)),
        Check("instructions_given", _("Usage and care instructions given"), bool(receipt.instructions_given)),
        Check("charges", _("Charges decided and every line priced"),
              receipt.category is not None and all(line.unit_price is not None for line in receipt.lines)),
    ]
    if receipt.misuse:
        items.append(Check("misuse_reason", _("Reason for the misuse"), bool((receipt.misuse_reason or "").strip())))
    if is_charged(receipt):
        items.append(Check("consent", _("Customer agreed to the charges after seeing the fee schedule"),
                           bool(receipt.customer_consented)))
        items.append(Check("payment", _("Amount collected, or the rest marked “to collect later”"),
                           collected == total or (bool(receipt.collect_later) and collected < total)))
    return items


def missing(receipt: RepairReceipt) -> list[str]:
    return [item.label for item in checklist(receipt) if not item.ok]


# --- ready / reopen ---------------------------------------------------------------------------------

def receipt_mark_ready(*, receipt: RepairReceipt, actor: Any) -> RepairReceipt:
    """Draft → ready for the customer's signature; the case goes from on site or the workshop to
    awaiting signature."""
    _ensure_can_move(receipt, RS.ready)
    ensure_editable(receipt, actor)
    # An amendment corrects a receipt that was signed already: its case stays signed/archived.
    if receipt.amends_id is None and receipt.case.state not in WORK_STATES:
        raise DomainError(_("Case %(number)s is “%(state)s”: a receipt goes to signing only while the job is on "
                            "site or the unit is in the workshop.", number=receipt.case.number,
                            state=receipt.case.state.label))
    gaps = missing(receipt)
    if gaps:
        message = _("The receipt is not complete. Missing: %(items)s.", items="; ".join(gaps))
        raise ValidationFailed(message, errors={"checklist": [message]})
    transition(receipt, RS.ready, actor=actor)
    if receipt.amends_id is None:
        case_transition(case=receipt.case, target=CaseState.awaiting_signature, actor=actor,
                        note=_("receipt %(number)s ready for signature", number=receipt.number))
    outstanding = money(receipt.total) - money(receipt.collected) - _already_collected(receipt)
    if receipt.amends_id is not None:
        from portal.receipts.corrections import collected_on_originals
        outstanding -= collected_on_originals(receipt)
    if receipt.collect_later and outstanding > 0:
        item = Collection(receipt=receipt, technician_id=receipt.technician_id, amount=outstanding,
                          due_on=local_today() + timedelta(days=COLLECT_WITHIN_DAYS), note="")
        db.session.add(item)
        db.session.flush()
        audit.record_created(item, actor=actor, fields=("amount", "due_on"), note=receipt.number)
    return receipt


def _already_collected(receipt: RepairReceipt) -> Decimal:
    rows = db.session.scalars(select(Collection).where(Collection.receipt_id == receipt.id,
                                                       Collection.collected_at.is_not(None)))
    return money(sum((row.amount for row in rows), ZERO))


def receipt_reopen(*, receipt: RepairReceipt, actor: Any) -> RepairReceipt:
    """Ready → draft before signing (and the case back on site or to the workshop); open to-dos of it
    are withdrawn."""
    _ensure_can_move(receipt, RS.draft)
    if actor is not None and not (is_technician(actor) and receipt.technician_id == actor.id):
        abort(403)
    transition(receipt, RS.draft, actor=actor)
    if receipt.amends_id is None:
        case_transition(case=receipt.case, target=work_state(receipt.case), actor=actor,
                        note=_("receipt %(number)s reopened", number=receipt.number))
    for item in db.session.scalars(select(Collection).where(Collection.receipt_id == receipt.id,
                                                            Collection.collected_at.is_(None))):
        audit.record("collection.withdrawn", item, actor=actor, note=receipt.number)
        db.session.delete(item)
    db.session.flush()
    return receipt


# --- collections --------------------------------------------------------------------------------

def open_collections(*, actor: Any) -> list[Collection]:
    query = select(Collection).where(Collection.collected_at.is_(None)).order_by(Collection.due_on, Collection.id)
    if is_technician(actor):
        query = query.where(Collection.technician_id == actor.id)
    return list(db.session.scalars(query))


def collection_done(*, item: Collection, note: str, actor: Any) -> Collection:
    if is_technician(actor) and item.technician_id != actor.id:
        abort(403)
    if item.collected_at is not None:
        raise DomainError(_("This amount was already marked as collected."))
    item.collected_at = utcnow()
    item.note = (note or "").strip()[:500]
    db.session.flush()
    audit.record("collection.collected", item, actor=actor, changes={"amount": [None, str(item.amount)]},
                 note=item.note or None)
    return item


# --- signing ---------------------------------------------------------------------------------------

RATINGS = signing.RATINGS


def receipt_sign(*, receipt: RepairReceipt, signer_name: str, rating: int | None, comment: str, image: Any,
                 address: str | None, user_agent: str, device: str, staff: Any, verify_url: Any) -> Any:
    """The customer accepts the repair: store the signature, freeze the receipt (ready → signed),
    move the case to signed, render the final PDF once and archive it with its SHA-256.

    `image` is a portal.core.signatures.SignatureImage; `verify_url(number, code)` builds the
    absolute address printed under the QR code. Signing twice or concurrently: the second one
    finds the receipt signed (row lock, then the state check) and gets a 409."""
    from portal.core.pdf import render_pdf
    from portal.receipts.printing import receipt_print_context

    db.session.refresh(receipt, with_for_update=True)
    if receipt.state is not ReceiptState.ready:
        raise DomainError(_("This receipt cannot be signed now: it is “%(state)s”.", state=receipt.state.label))
    signing.check_signing_fields(signer_name=signer_name, rating=rating, rating_required=True,
                                 signer_message=_("Enter the name of the customer's person who accepts the repair."))
    transition(receipt, ReceiptState.signed, actor=staff, note=f"{signer_name.strip()[:60]} · {RATINGS[rating]}")
    receipt.case.rating = rating  # the latest rating counts in the KPIs (portal/reports/models.py)
    if receipt.amends_id is None:
        case_transition(case=receipt.case, target=CaseState.signed, actor=staff)

    def render(signature: Any, verification: dict[str, str]) -> bytes:
        return render_pdf("print/repair_receipt.html",
                          **receipt_print_context(receipt, signature=signature, verification=verification))

    document = signing.sign_and_archive(
        document_type="repair_receipt", document_id=receipt.id, number=receipt.number, customer=receipt.case.customer,
        technician_id=receipt.technician_id, signer_name=signer_name, rating=rating, comment=comment, image=image,
        address=address, user_agent=user_agent, device=device, staff=staff, verify_url=verify_url,
        render=render).document
    if receipt.amends_id is not None:
        from portal.receipts.corrections import amendment_signed
        amendment_signed(amendment=receipt, document=document, actor=staff)
    audit.record("repair_receipt.archived", receipt, actor=staff, note=f"v{document.version} sha256 {document.sha256[:16]}…")
    return document


def signature_for(receipt: RepairReceipt) -> Any:
    return signing.signature_for("repair_receipt", receipt.id)


def ensure_signable(receipt: RepairReceipt) -> None:
    """Signing is offered only for a complete receipt (ready); never before the service (§3.9)."""
    if receipt.state is ReceiptState.signed:
        raise DomainError(_("This receipt is signed already; it can no longer be changed."))
    if receipt.state is not ReceiptState.ready:
        raise DomainError(_("Only a complete receipt, ready for signature, can be signed."))
