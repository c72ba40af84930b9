"""Return slip verbs (退货单 after F36). Each checks the transition first, then the input, then
mutates, flushes and audits; the view commits once, so a refused step leaves nothing half-saved."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any, Iterable

from flask_babel import gettext as _
from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from portal.core import audit, signing
from portal.core.errors import DomainError, InvalidTransition, ValidationFailed
from portal.core.numbering import next_number
from portal.core.photos import checked_photo
from portal.core.timeutil import as_local, from_local, local_today, utcnow
from portal.core.workflow import state_label, transition
from portal.customers.models import Customer, Equipment, ProductType
from portal.extensions import db
from portal.repairs.models import RepairCase
from portal.returns.printing import RESOLUTION_NAMES, RESPONSIBILITY_NAMES
from portal.returns.models import (RETURN_WORKFLOW, Resolution, Responsibility, ReturnOutcome, ReturnPhoto,
                                   ReturnReason, ReturnSlip, ReturnState)

RS = ReturnState
MAX_PHOTOS = 6
MAX_QUANTITY = 9999
MAX_MONEY = Decimal("99999999")
REQUEST_FIELDS = ("equipment_id", "product_type_id", "model", "serial", "sale_reference", "sale_date",
                  "quantity_sold", "quantity", "reason", "description", "outcome")
# Returns that still count against what was sold on a reference.
COUNTING = (RS.requested, RS.approved, RS.received, RS.inspected, RS.resolved, RS.closed)


# --- reads ------------------------------------------------------------------------------------------

def get_slip(slip_id: int) -> ReturnSlip | None:
    return db.session.get(ReturnSlip, slip_id)


def customer_cases(customer_id: int) -> list[RepairCase]:
    return list(db.session.scalars(select(RepairCase).where(RepairCase.customer_id == customer_id)
                                   .order_by(RepairCase.id.desc()).limit(50)))


def product_types() -> list[ProductType]:
    return list(db.session.scalars(select(ProductType).order_by(ProductType.name)))


@dataclass
class Filters:
    state: str = ""
    reason: str = ""
    outcome: str = ""
    product_type: str = ""
    start: str = ""
    end: str = ""
    q: str = ""

    @classmethod
    def from_args(cls, args) -> "Filters":
        return cls(**{name: (args.get(name) or "").strip()[:100] for name in
                      ("state", "reason", "outcome", "product_type", "start", "end", "q")})

    def as_args(self) -> dict[str, str]:
        return {k: v for k, v in vars(self).items() if v}


def _day(text: str) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


def _day_start(day: date) -> datetime:
    return from_local(datetime(day.year, day.month, day.day))


def slip_query(filters: Filters):
    query = select(ReturnSlip)
    if filters.state in RS.__members__:
        query = query.where(ReturnSlip.state == RS(filters.state))
    elif filters.state == "open":
        query = query.where(ReturnSlip.state.not_in((RS.closed, RS.rejected, RS.cancelled)))
    if filters.reason in ReturnReason.__members__:
        query = query.where(ReturnSlip.reason == ReturnReason(filters.reason))
    if filters.outcome in ReturnOutcome.__members__:
        query = query.where(ReturnSlip.outcome == ReturnOutcome(filters.outcome))
    if filters.product_type.isdigit():
        query = query.where(ReturnSlip.product_type_id == int(filters.product_type))
    start, end = _day(filters.start), _day(filters.end)
    if start:
        query = query.where(ReturnSlip.requested_at >= _day_start(start))
    if end:
        query = query.where(ReturnSlip.requested_at < _day_start(end + timedelta(days=1)))
    for term in filters.q.split()[:5]:
        like = f"%{term}%"
        query = query.where(or_(ReturnSlip.number.ilike(like), ReturnSlip.serial.ilike(like),
                                ReturnSlip.sale_reference.ilike(like),
                                ReturnSlip.customer.has(Customer.name.ilike(like)),
                                ReturnSlip.customer.has(Customer.number.ilike(like))))
    return query


PAGE_SIZE = 25


def slip_list(filters: Filters, *, page: int = 1) -> tuple[list[ReturnSlip], int, int]:
    query = slip_query(filters)
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(page, 1), pages)
    items = list(db.session.scalars(query.options(selectinload(ReturnSlip.customer),
                                                  selectinload(ReturnSlip.product_type))
                                    .order_by(ReturnSlip.requested_at.desc(), ReturnSlip.id.desc())
                                    .offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)))
    return items, total, pages


# --- transitions --------------------------------------------------------------------------------------

def ensure_step(slip: ReturnSlip, target: ReturnState) -> None:
    """The workflow's refusal, before any input is looked at."""
    if not RETURN_WORKFLOW.can(slip.state, target):
        allowed = RETURN_WORKFLOW.allowed(slip.state)
        raise InvalidTransition(
            _("Return %(number)s is “%(current)s”: it cannot go to “%(target)s”. Allowed from here: %(allowed)s.",
              number=slip.number, current=state_label(slip.state), target=state_label(target),
              allowed="、".join(state_label(s) for s in allowed) or _("none")),
            obj=slip, current=slip.state, target=target, allowed=allowed)


def _refuse(errors: dict[str, list[str]], message: str | None = None) -> None:
    if errors:
        raise ValidationFailed(message or _("Please correct the marked fields."), errors=errors)


def _text(value: Any, limit: int) -> str:
    return " ".join(str(value or "").split())[:limit] if limit <= 60 else str(value or "").strip()[:limit]


# --- the request ---------------------------------------------------------------------------------------

def _as_int(value: Any) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def _returned_elsewhere(*, customer_id: int, product_type_id: int, sale_reference: str,
                        exclude_id: int | None) -> int:
    query = select(func.coalesce(func.sum(ReturnSlip.quantity), 0)).where(
        ReturnSlip.customer_id == customer_id, ReturnSlip.product_type_id == product_type_id,
        func.upper(ReturnSlip.sale_reference) == sale_reference.upper(), ReturnSlip.state.in_(COUNTING))
    if exclude_id is not None:
        query = query.where(ReturnSlip.id != exclude_id)
    return int(db.session.scalar(query) or 0)


def _clean_request(customer: Customer, values: dict[str, Any], *, slip: ReturnSlip | None,
                   today: date) -> dict[str, Any]:
    errors: dict[str, list[str]] = {}
    clean: dict[str, Any] = {}
    unit = None
    equipment_id = _as_int(values.get("equipment_id"))
    if equipment_id is not None:
        unit = db.session.get(Equipment, equipment_id)
        if unit is None or unit.customer_id != customer.id:
            errors["equipment_id"] = [_("Choose one of this customer's units.")]
            unit = None
    clean["equipment_id"] = unit.id if unit else None
    kind = db.session.get(ProductType, _as_int(values.get("product_type_id")) or 0)
    if unit is not None:
        kind = unit.product_type
    if kind is None and "equipment_id" not in errors:
        errors["product_type_id"] = [_("Choose the product type (or a registered unit).")]
    clean["product_type_id"] = kind.id if kind else None
    clean["model"] = _text(values.get("model"), 60) or (unit.model if unit else "")
    clean["serial"] = _text(values.get("serial"), 60) or (unit.serial if unit else "")
    clean["sale_reference"] = _text(values.get("sale_reference"), 40).upper()
    if not clean["sale_reference"]:
        errors["sale_reference"] = [_("Enter the invoice or delivery note number of the sale.")]
    sale_date = values.get("sale_date")
    if not isinstance(sale_date, date):
        errors["sale_date"] = [_("Enter the date of the sale.")]
    elif sale_date > today:
        errors["sale_date"] = [_("The sale date is in the future.")]
    clean["sale_date"] = sale_date if isinstance(sale_date, date) else None
    sold, returned = _as_int(values.get("quantity_sold")), _as_int(values.get("quantity"))
    range_message = _("Enter a whole number from 1 to %(max)s.", max=MAX_QUANTITY)
    if sold is None or not 1 <= sold <= MAX_QUANTITY:
        errors["quantity_sold"] = [range_message]
    if returned is None or not 1 <= returned <= MAX_QUANTITY:
        errors["quantity"] = [range_message]
    elif sold is not None and returned > sold:
        errors["quantity"] = [_("More than the %(sold)s sold on this reference.", sold=sold)]
    elif sold is not None and kind is not None and clean["sale_reference"]:
        earlier = _returned_elsewhere(customer_id=customer.id, product_type_id=kind.id,
                                      sale_reference=clean["sale_reference"], exclude_id=slip.id if slip else None)
        if earlier + returned > sold:
            errors["quantity"] = [_("%(earlier)s of the %(sold)s sold on %(reference)s are returned already: "
                                    "at most %(left)s more can be returned.", earlier=earlier, sold=sold,
                                    reference=clean["sale_reference"], left=max(sold - earlier, 0))]
    clean["quantity_sold"], clean["quantity"] = sold, returned
    for name, enum_cls, message in (("reason", ReturnReason, _("Choose the reason for the return.")),
                                    ("outcome", ReturnOutcome, _("Choose what the customer asks for."))):
        raw = values.get(name)
        if raw in enum_cls.__members__:
            clean[name] = enum_cls(raw)
        else:
            errors[name] = [message]
    clean["description"] = str(values.get("description") or "").strip()[:2000]
    if not clean["description"]:
        errors["description"] = [_("Describe what is wrong with the goods.")]
    _refuse(errors)
    return clean


def _checked_photos(uploads: Iterable[tuple[bytes, str]], *, have: int) -> list[Any]:
    """Every upload checked before anything is stored: one bad photo refuses them all."""
    uploads = list(uploads)
    if have + len(uploads) > MAX_PHOTOS:
        message = _("At most %(max)s photos per return (%(have)s kept, %(new)s chosen).",
                    max=MAX_PHOTOS, have=have, new=len(uploads))
        raise ValidationFailed(message, errors={"photos": [message]})
    checked, problems = [], []
    for data, name in uploads:
        try:
            checked.append((checked_photo(data, field="photos", name=name or None), name))
        except ValidationFailed as error:
            problems.extend(error.errors.get("photos", [error.message]))
    if problems:
        problems.append(_("Nothing was saved: choose the photos again."))
        raise ValidationFailed(_("A photo was refused."), errors={"photos": problems})
    return checked


def _add_photos(slip: ReturnSlip, checked: list[Any], actor: Any) -> None:
    for photo, name in checked:
        slip.photos.append(ReturnPhoto(filename=(name or "")[:120], mime=photo.mime, width=photo.width,
                                       height=photo.height, data=photo.data, uploaded_at=utcnow(),
                                       uploaded_by_id=getattr(actor, "id", None)))
    if checked:
        db.session.flush()
        audit.record("return_slip.photo_added", slip, actor=actor,
                     note="、".join(name or "photo" for _photo, name in checked))


def slip_create(*, customer: Customer | None, values: dict[str, Any], uploads: Iterable[tuple[bytes, str]] = (),
                actor: Any, today: date | None = None) -> ReturnSlip:
    if customer is None:
        raise ValidationFailed(_("Choose the customer who returns the goods."),
                               errors={"customer_id": [_("Choose the customer who returns the goods.")]})
    clean = _clean_request(customer, values, slip=None, today=today or local_today())
    checked = _checked_photos(uploads, have=0)
    slip = ReturnSlip(number=next_number("TH"), customer_id=customer.id, requested_at=utcnow(),
                      requested_by_id=getattr(actor, "id", None), state=RS.requested, state_changed_at=utcnow(),
                      **clean)
    db.session.add(slip)
    db.session.flush()
    audit.record_created(slip, actor=actor, fields=("number", "serial", "sale_reference", "quantity_sold",
                                                    "quantity", "reason", "outcome"))
    _add_photos(slip, checked, actor)
    return slip


def ensure_editable(slip: ReturnSlip) -> None:
    if slip.state is not RS.requested:
        raise DomainError(_("Return %(number)s is “%(state)s”: the request can be changed only before the "
                            "quality review.", number=slip.number, state=slip.state.label))


def slip_update(*, slip: ReturnSlip, values: dict[str, Any], uploads: Iterable[tuple[bytes, str]] = (),
                remove_photo_ids: Iterable[int] = (), expected_version: int | None, actor: Any,
                today: date | None = None) -> ReturnSlip:
    from portal.core.conflicts import apply_update, check_version

    ensure_editable(slip)
    check_version(slip, {k: values.get(k) for k in REQUEST_FIELDS}, expected_version=expected_version)
    clean = _clean_request(slip.customer, values, slip=slip, today=today or local_today())
    removing = [p for p in slip.photos if p.id in set(remove_photo_ids)]
    checked = _checked_photos(uploads, have=len(slip.photos) - len(removing))
    apply_update(slip, clean, expected_version=expected_version, actor=actor)
    if removing:
        for photo in removing:
            slip.photos.remove(photo)
        db.session.flush()
        audit.record("return_slip.photo_removed", slip, actor=actor,
                     note="、".join(p.filename or f"#{p.id}" for p in removing))
    _add_photos(slip, checked, actor)
    return slip


# --- review, receipt, inspection, resolution ----------------------------------------------------------

def slip_review(*, slip: ReturnSlip, approve: bool, note: str, actor: Any) -> ReturnSlip:
    """Quality review by a manager: approved (the warehouse may take the goods) or rejected, which
    ends the return with its reason."""
    target = RS.approved if approve else RS.rejected
    ensure_step(slip, target)
    note = (note or "").strip()[:1000]
    if not approve and not note:
        _refuse({"note": [_("Give the reason for rejecting: it is shown to the customer and printed.")]})
    slip.review_note, slip.reviewed_by_id = note, getattr(actor, "id", None)
    transition(slip, target, actor=actor, note=note or None)
    return slip


def slip_receive(*, slip: ReturnSlip, quantity_received: Any, condition: str, note: str, actor: Any) -> ReturnSlip:
    ensure_step(slip, RS.received)
    errors: dict[str, list[str]] = {}
    quantity = _as_int(quantity_received)
    condition, note = (condition or "").strip()[:1000], (note or "").strip()[:1000]
    if quantity is None or quantity < 1:
        errors["quantity_received"] = [_("Enter a whole number from 1 to %(max)s.", max=MAX_QUANTITY)]
    elif quantity > slip.quantity_sold:
        errors["quantity_received"] = [_("More than the %(sold)s sold on this reference.", sold=slip.quantity_sold)]
    elif quantity != slip.quantity and not note:
        errors["note"] = [_("%(got)s received but %(asked)s requested: say why in the note.",
                            got=quantity, asked=slip.quantity)]
    if not condition:
        errors["condition"] = [_("Describe the condition of the goods (packaging, visible damage, accessories).")]
    _refuse(errors)
    slip.quantity_received, slip.condition, slip.receive_note = quantity, condition, note
    slip.received_by_id = getattr(actor, "id", None)
    transition(slip, RS.received, actor=actor, note=f"{quantity} · {condition}"[:500])
    return slip


def slip_inspect(*, slip: ReturnSlip, result: str, responsibility: Any, actor: Any) -> ReturnSlip:
    ensure_step(slip, RS.inspected)
    errors: dict[str, list[str]] = {}
    result = (result or "").strip()[:2000]
    if not result:
        errors["inspection_result"] = [_("Write down what the inspection found.")]
    if responsibility not in Responsibility.__members__:
        errors["responsibility"] = [_("Choose who is responsible.")]
    _refuse(errors)
    slip.inspection_result, slip.responsibility = result, Responsibility(responsibility)
    slip.inspected_by_id = getattr(actor, "id", None)
    # Notes are stored once and printed on the Chinese-only slip: Chinese names, whoever's language.
    transition(slip, RS.inspected, actor=actor, note=f"{RESPONSIBILITY_NAMES[slip.responsibility]} · {result}"[:500])
    return slip


OUTCOME_OF = {Resolution.exchanged: ReturnOutcome.exchange, Resolution.refunded: ReturnOutcome.refund,
              Resolution.repaired: ReturnOutcome.repair}


def _money(value: Any) -> Decimal | None:
    try:
        amount = Decimal(str(value)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError, TypeError):
        return None
    return amount if amount.is_finite() else None


def slip_resolve(*, slip: ReturnSlip, resolution: Any, refund_amount: Any = None, exchange_serial: str = "",
                 repair_case_id: Any = None, note: str = "", actor: Any) -> ReturnSlip:
    """What was done: exchanged (the replacement's serial), refunded (the amount) or repaired under
    one of the customer's repair cases. The customer then signs at the hand-over."""
    ensure_step(slip, RS.resolved)
    errors: dict[str, list[str]] = {}
    note = (note or "").strip()[:1000]
    kind = Resolution(resolution) if resolution in Resolution.__members__ else None
    values: dict[str, Any] = {"refund_amount": None, "exchange_serial": "", "repair_case_id": None}
    if kind is None:
        errors["resolution"] = [_("Choose how the return is resolved.")]
    elif kind is Resolution.refunded:
        amount = _money(refund_amount) if refund_amount not in (None, "") else None
        if amount is None or not Decimal("0.01") <= amount <= MAX_MONEY:
            errors["refund_amount"] = [_("Enter the amount refunded, such as 1280.00.")]
        values["refund_amount"] = amount
    elif kind is Resolution.exchanged:
        values["exchange_serial"] = _text(exchange_serial, 60)
    elif kind is Resolution.repaired:
        case = db.session.get(RepairCase, _as_int(repair_case_id) or 0)
        if case is None or case.customer_id != slip.customer_id:
            errors["repair_case_id"] = [_("Choose the repair case of this customer under which it was repaired.")]
        else:
            values["repair_case_id"] = case.id
    if kind is not None and OUTCOME_OF[kind] is not slip.outcome and not note:
        errors["resolution_note"] = [_("The customer asked for “%(asked)s”: say why it is resolved otherwise.",
                                       asked=slip.outcome.label)]
    _refuse(errors)
    for name, value in values.items():
        setattr(slip, name, value)
    slip.resolution, slip.resolution_note, slip.resolved_by_id = kind, note, getattr(actor, "id", None)
    transition(slip, RS.resolved, actor=actor, note=" · ".join(filter(None, [RESOLUTION_NAMES[kind], _describe(slip), note]))[:500])
    return slip


def _describe(slip: ReturnSlip) -> str:
    if slip.resolution is Resolution.refunded and slip.refund_amount is not None:
        return f"¥{slip.refund_amount}"
    if slip.resolution is Resolution.exchanged:
        return slip.exchange_serial
    if slip.resolution is Resolution.repaired and slip.repair_case is not None:
        return slip.repair_case.number
    return ""


def slip_cancel(*, slip: ReturnSlip, reason: str, actor: Any) -> ReturnSlip:
    """The customer withdraws the request before the goods are taken back."""
    ensure_step(slip, RS.cancelled)
    reason = (reason or "").strip()[:500]
    if not reason:
        _refuse({"reason": [_("Give the reason for cancelling.")]})
    slip.cancel_reason = reason
    transition(slip, RS.cancelled, actor=actor, note=reason)
    return slip


# --- signing at the hand-over ---------------------------------------------------------------------------

def ensure_signable(slip: ReturnSlip) -> None:
    """The customer signs after the resolution is recorded, never before (§3.9)."""
    if slip.state is RS.closed:
        raise DomainError(_("Return %(number)s is signed and closed already.", number=slip.number))
    if slip.state is not RS.resolved:
        raise DomainError(_("Return %(number)s is “%(state)s”: the customer signs once the return is resolved.",
                            number=slip.number, state=slip.state.label))


def slip_sign(*, slip: ReturnSlip, signer_name: str, rating: int | None, comment: str, image: Any,
              address: str | None, user_agent: str, device: str, staff: Any, verify_url: Any) -> Any:
    """The customer takes over the replacement, the refund or the repaired goods and signs: the
    slip closes and its final PDF, with the whole history, is archived. A second signature finds
    the slip closed (row lock, then the state check) and gets a 409."""
    from portal.core.pdf import render_pdf
    from portal.returns.printing import slip_print_context

    db.session.refresh(slip, with_for_update=True)
    ensure_signable(slip)
    signing.check_signing_fields(signer_name=signer_name, rating=rating, rating_required=True,
                                 signer_message=_("Enter the name of the customer's person who takes over."))
    transition(slip, RS.closed, actor=staff, note=f"{signer_name.strip()[:60]} · {signing.RATINGS[rating]}")

    def render(signature: Any, verification: dict[str, str]) -> bytes:
        return render_pdf("print/return_slip.html",
                          **slip_print_context(slip, signature=signature, verification=verification))

    document = signing.sign_and_archive(
        document_type="return_slip", document_id=slip.id, number=slip.number, customer=slip.customer,
        technician_id=slip.inspected_by_id, signer_name=signer_name, rating=rating, comment=comment, image=image,
        address=address, user_agent=user_agent, device=device, staff=staff, verify_url=verify_url,
        render=render).document
    audit.record("return_slip.archived", slip, actor=staff, note=f"v{document.version} sha256 {document.sha256[:16]}…")
    return document


def signature_for(slip: ReturnSlip) -> Any:
    return signing.signature_for("return_slip", slip.id)


# --- the ledger (售后服务信息台账 F37) -----------------------------------------------------------------

@dataclass
class LedgerRow:
    product_type: str
    reason: ReturnReason
    months: dict[str, int] = field(default_factory=dict)
    total: int = 0
    units: int = 0


@dataclass
class Ledger:
    start: date
    end: date
    months: list[str]
    rows: list[LedgerRow]
    month_totals: dict[str, int]
    total: int
    units: int
    pending: int
    rejected: list[ReturnSlip]
    slips: list[ReturnSlip]


def default_range(today: date | None = None) -> tuple[date, date]:
    """The last 12 months, this one included."""
    today = today or local_today()
    year, month = today.year, today.month - 11
    while month < 1:
        year, month = year - 1, month + 12
    return date(year, month, 1), today


def month_keys(start: date, end: date) -> list[str]:
    keys, year, month = [], start.year, start.month
    while (year, month) <= (end.year, end.month) and len(keys) < 120:
        keys.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return keys


def ledger(*, start: date, end: date, product_type_id: int | None = None) -> Ledger:
    query = (select(ReturnSlip).options(selectinload(ReturnSlip.product_type), selectinload(ReturnSlip.customer))
             .where(ReturnSlip.requested_at >= _day_start(start),
                    ReturnSlip.requested_at < _day_start(end + timedelta(days=1)),
                    ReturnSlip.state != RS.cancelled)
             .order_by(ReturnSlip.requested_at, ReturnSlip.id))
    if product_type_id:
        query = query.where(ReturnSlip.product_type_id == product_type_id)
    slips = list(db.session.scalars(query))
    months = month_keys(start, end)
    rows: dict[tuple[str, int], LedgerRow] = {}
    reasons = list(ReturnReason)
    month_totals = {m: 0 for m in months}
    rejected = []
    for slip in slips:
        if slip.state is RS.rejected:
            rejected.append(slip)
            continue
        key = as_local(slip.requested_at).strftime("%Y-%m")
        row = rows.setdefault((slip.product_type.name, reasons.index(slip.reason)),
                              LedgerRow(slip.product_type.name, slip.reason, {m: 0 for m in months}))
        row.months[key] = row.months.get(key, 0) + 1
        row.total += 1
        row.units += slip.quantity
        month_totals[key] = month_totals.get(key, 0) + 1
    ordered = [rows[k] for k in sorted(rows)]
    return Ledger(start=start, end=end, months=months, rows=ordered, month_totals=month_totals,
                  total=sum(r.total for r in ordered), units=sum(r.units for r in ordered),
                  pending=sum(1 for s in slips if s.state is RS.requested), rejected=rejected, slips=slips)
