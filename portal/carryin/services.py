"""Carry-in verbs (W2 steps 5–8): open a goods receipt for a case or a walk-in, take the unit in
with the customer's acknowledgement (签认), repair it with labour and parts, the manager's
inspection (验讫), and the hand-back, where the customer signs the return (签章) and the goods
receipt is voided. Each verb checks, mutates, flushes and audits; the view commits once.

The carry-in always belongs to a repair case: the case goes in_workshop at take-in, the parts
requisitions and the repair service receipt of the case work as on site, and the hand-back's
signature also signs the case's ready receipt (one sitting, two archived PDFs), so the case moves
to signed and on to its follow-up exactly as after an on-site job.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any, Callable, Iterable

from flask import abort
from flask_babel import gettext as _
from sqlalchemy import func, or_, select

from portal.archive import services as archive
from portal.archive.models import ArchivedDocument, ArchiveStatus
from portal.carryin.models import (IN_WORKSHOP, CheckResult, ConditionCheck, GoodsItem, GoodsPhoto, GoodsReceipt,
                                   GoodsState, WorkshopLabour)
from portal.core import audit, signing
from portal.core.errors import DomainError, InvalidTransition, ValidationFailed
from portal.core.numbering import next_number
from portal.core.photos import checked_photo
from portal.core.roles import Role
from portal.core.timeutil import as_local, local_now, local_today, utcnow
from portal.core.workflow import state_label, transition
from portal.customers.models import Customer, ProductType
from portal.extensions import db
from portal.repairs.models import CaseState, RepairCase
from portal.repairs.services import case_transition

G = GoodsState
NUMBER_PREFIX = "SJ"
MAX_PHOTOS = 6
MAX_ITEMS = 10
MAX_CHECKS = 20
MAX_HOURS = Decimal("24")
# Used when a product type has no checklist of its own (the manager edits one per type).
DEFAULT_CHECKS = ("外观划痕", "凹陷/变形", "缺件", "能否通电", "显示/指示正常")
# A unit is taken in from a job on site that cannot be fixed there, or from a case still waiting
# for dispatch (the customer brings it in instead), or at the counter for a walk-in.
TAKE_IN_FROM = frozenset({CaseState.registered, CaseState.waiting_dispatch, CaseState.on_site})
OFFICE = frozenset({Role.clerk, Role.manager})
DOC_RECEIPT, DOC_RETURN = "goods_receipt", "goods_return"


# --- reads and access ------------------------------------------------------------------------------

def get_goods(goods_id: int) -> GoodsReceipt | None:
    return db.session.get(GoodsReceipt, goods_id)


def by_number(number: str) -> GoodsReceipt | None:
    return db.session.scalar(select(GoodsReceipt).where(GoodsReceipt.number == (number or "").strip().upper()))


def goods_for_case(case: RepairCase) -> list[GoodsReceipt]:
    return list(db.session.scalars(select(GoodsReceipt).where(GoodsReceipt.case_id == case.id)
                                   .order_by(GoodsReceipt.id)))


def open_goods_for(case: RepairCase) -> GoodsReceipt | None:
    """The case's goods receipt that is not finished (draft or in the workshop)."""
    return db.session.scalar(select(GoodsReceipt).where(GoodsReceipt.case_id == case.id,
                                                        GoodsReceipt.state.not_in((G.returned, G.cancelled)))
                             .order_by(GoodsReceipt.id.desc()).limit(1))


def _role(user: Any) -> Role | None:
    return getattr(user, "role", None)


def is_own(goods: GoodsReceipt, user: Any) -> bool:
    return _role(user) is Role.technician and user.id in (goods.technician_id, goods.case.technician_id)


def ensure_can_see(goods: GoodsReceipt, user: Any) -> None:
    """Technicians see the units they repair; the office and the warehouse see all."""
    if _role(user) is Role.technician and not is_own(goods, user):
        abort(403)


def ensure_can_work(goods: GoodsReceipt, user: Any) -> None:
    """The bench work (repair, labour) is the assigned technician's; a manager may step in."""
    if not (is_own(goods, user) or _role(user) is Role.manager):
        abort(403)


def can_open_for(case: RepairCase, user: Any) -> bool:
    role = _role(user)
    if case.state not in TAKE_IN_FROM or open_goods_for(case) is not None:
        return False
    if role is Role.technician:
        return case.state is CaseState.on_site and case.technician_id == user.id
    return role in OFFICE


def _refuse(goods: GoodsReceipt, target: GoodsState, message: str | None = None) -> None:
    if not GoodsReceipt.workflow.can(goods.state, target):
        allowed = GoodsReceipt.workflow.allowed(goods.state)
        raise InvalidTransition(
            message or _("Goods receipt %(number)s is “%(state)s”: it cannot go to “%(target)s”. "
                         "Allowed from here: %(allowed)s.", number=goods.number, state=state_label(goods.state),
                         target=state_label(target), allowed="、".join(state_label(s) for s in allowed) or _("none")),
            obj=goods, current=goods.state, target=target, allowed=allowed)


def _ensure_draft(goods: GoodsReceipt) -> None:
    if goods.state is not G.draft:
        raise DomainError(_("Goods receipt %(number)s is “%(state)s”: what was taken in can no longer be changed.",
                            number=goods.number, state=goods.state.label))


# --- condition checklists per product type ---------------------------------------------------------

def checklist_for(product_type_id: int | None) -> list[str]:
    labels = list(db.session.scalars(select(ConditionCheck.label).where(
        ConditionCheck.product_type_id == product_type_id).order_by(ConditionCheck.position))) \
        if product_type_id else []
    return labels or list(DEFAULT_CHECKS)


def has_own_checklist(product_type_id: int) -> bool:
    return bool(db.session.scalar(select(func.count(ConditionCheck.id))
                                  .where(ConditionCheck.product_type_id == product_type_id)))


def checklist_save(*, product_type: ProductType, text: str, actor: Any) -> list[str]:
    """The manager's list for one product type, one check per line; an empty list means the defaults."""
    labels, seen = [], set()
    for raw in (text or "").splitlines():
        label = " ".join(raw.split())
        if label and label not in seen:
            seen.add(label)
            labels.append(label)
    errors = []
    if len(labels) > MAX_CHECKS:
        errors.append(_("At most %(n)s checks per product type.", n=MAX_CHECKS))
    if any(len(label) > 60 for label in labels):
        errors.append(_("Keep each check under 60 characters."))
    if errors:
        raise ValidationFailed(errors[0], errors={"checks": errors})
    before = checklist_for(product_type.id)
    for row in db.session.scalars(select(ConditionCheck).where(ConditionCheck.product_type_id == product_type.id)):
        db.session.delete(row)
    db.session.flush()
    for position, label in enumerate(labels, start=1):
        db.session.add(ConditionCheck(product_type_id=product_type.id, position=position, label=label))
    db.session.flush()
    after = checklist_for(product_type.id)
    if before != after:
        audit.record("product_type.checklist_changed", product_type, actor=actor,
                     changes={"checks": ["、".join(before), "、".join(after)]})
    return after


def _fresh_checks(product_type_id: int | None) -> list[dict[str, str]]:
    return [{"label": label, "result": "", "note": ""} for label in checklist_for(product_type_id)]


# --- open: from a case, or a walk-in ---------------------------------------------------------------

def _technician(technician_id: Any) -> Any:
    from portal.accounts.models import User
    user = db.session.get(User, technician_id) if isinstance(technician_id, int) else None
    if user is None or user.role is not Role.technician or not user.active:
        message = _("Choose the technician who repairs the unit.")
        raise ValidationFailed(message, errors={"technician_id": [message]})
    return user


def technicians() -> list[Any]:
    from portal.accounts.models import User
    return list(db.session.scalars(select(User).where(User.role == Role.technician, User.active.is_(True))
                                   .order_by(User.display_name)))


def goods_open(*, case: RepairCase, actor: Any, technician_id: int | None = None) -> GoodsReceipt:
    """A draft goods receipt for the case's unit (the one open draft, if there is one)."""
    existing = open_goods_for(case)
    if existing is not None:
        if existing.state is G.draft:
            return existing
        raise DomainError(_("Case %(number)s already has goods receipt %(goods)s in the workshop.",
                            number=case.number, goods=existing.number))
    if case.state not in TAKE_IN_FROM:
        raise DomainError(_("Case %(number)s is “%(state)s”: a unit is taken in from on site, or from a case "
                            "not yet dispatched.", number=case.number, state=case.state.label))
    technician = _technician(technician_id if technician_id is not None else case.technician_id)
    goods = GoodsReceipt(number=next_number(NUMBER_PREFIX), case=case, technician_id=technician.id,
                         created_by_id=getattr(actor, "id", None), state=G.draft, state_changed_at=utcnow(),
                         accessories="", condition_note="", shelf="", inspection_note="", cancel_reason="")
    unit = case.equipment
    goods.items = [GoodsItem(position=1, equipment_id=unit.id if unit else None,
                             product_type_id=unit.product_type_id if unit else None,
                             description=unit.product_type.name if unit else "", model=unit.model if unit else "",
                             serial=unit.serial if unit else "", quantity=1,
                             checks=_fresh_checks(unit.product_type_id if unit else None))]
    db.session.add(goods)
    db.session.flush()
    audit.record_created(goods, actor=actor, fields=("number",), note=case.number)
    audit.record("repair_case.goods_receipt_opened", case, actor=actor, note=goods.number)
    return goods


def walk_in(*, values: dict[str, Any], actor: Any) -> GoodsReceipt:
    """A customer brings a unit to the counter: find or create the customer and unit, register a
    case (channel: visit) through the repairs intake, and open its goods receipt. One transaction."""
    from portal.repairs import services as repairs

    technician = _technician(values.get("technician_id"))
    case = repairs.intake(actor=actor, values={
        **values, "channel": "visit", "urgency": "normal", "outcome": "later",
        "received_at": local_now().replace(tzinfo=None, second=0, microsecond=0)})
    # The unit is at the counter: nobody is to be dispatched or sent on site, so no clock runs
    # for that while the goods receipt is still a draft (the overdue board reads these dues).
    case.dispatch_due_at = case.onsite_due_at = None
    return goods_open(case=case, actor=actor, technician_id=technician.id)


# --- the draft: items, checks, accessories, photos -------------------------------------------------

@dataclass
class ItemInput:
    description: str = ""
    product_type_id: int | None = None
    model: str = ""
    serial: str = ""
    quantity: Any = 1


def _clean_item(data: ItemInput, prefix: str) -> dict[str, Any]:
    errors: dict[str, list[str]] = {}
    product_type = db.session.get(ProductType, data.product_type_id) if isinstance(data.product_type_id, int) else None
    description = " ".join((data.description or "").split())[:100]
    if product_type is None and not description:
        errors[f"{prefix}product_type_id"] = [_("Choose the product type, or describe the item.")]
    try:
        quantity = int(str(data.quantity).strip())
    except (TypeError, ValueError):
        quantity = 0
    if not 1 <= quantity <= 99:
        errors[f"{prefix}quantity"] = [_("A whole number from 1 to 99.")]
    if len((data.serial or "").strip()) > 60 or len((data.model or "").strip()) > 60:
        errors[f"{prefix}serial"] = [_("At most 60 characters.")]
    if errors:
        raise ValidationFailed(_("Please correct the item."), errors=errors)
    return {"product_type_id": product_type.id if product_type else None,
            "description": description or product_type.name, "model": (data.model or "").strip(),
            "serial": (data.serial or "").strip().upper(), "quantity": quantity}


def goods_add_item(*, goods: GoodsReceipt, data: ItemInput, actor: Any) -> GoodsItem:
    _ensure_draft(goods)
    if len(goods.items) >= MAX_ITEMS:
        raise ValidationFailed(_("At most %(n)s items on one receipt.", n=MAX_ITEMS),
                               errors={"item_description": [_("At most %(n)s items on one receipt.", n=MAX_ITEMS)]})
    clean = _clean_item(data, "item_")
    item = GoodsItem(position=len(goods.items) + 1, checks=_fresh_checks(clean["product_type_id"]), **clean)
    goods.items.append(item)
    db.session.flush()
    audit.record("goods_receipt.item_added", goods, actor=actor,
                 note=f"{item.description} {item.model} {item.serial} ×{item.quantity}".strip())
    return item


def goods_remove_item(*, goods: GoodsReceipt, item_id: int, actor: Any) -> None:
    _ensure_draft(goods)
    item = next((i for i in goods.items if i.id == item_id), None)
    if item is None:
        abort(404)
    if len(goods.items) == 1:
        raise DomainError(_("A goods receipt needs at least one item."))
    goods.items.remove(item)
    for position, other in enumerate(goods.items, start=1):
        other.position = position
    db.session.flush()
    audit.record("goods_receipt.item_removed", goods, actor=actor, note=f"{item.description} {item.serial}".strip())


def goods_save(*, goods: GoodsReceipt, values: dict[str, Any], answers: dict[int, list[tuple[str, str]]],
               expected_version: int | None, actor: Any) -> GoodsReceipt:
    """The draft's form: technician, accessories, condition note, shelf and each item's check answers
    (item id → [(result, note), …] in checklist order)."""
    from portal.core.conflicts import check_version
    _ensure_draft(goods)
    check_version(goods, {name: values.get(name) for name in ("technician_id", "accessories", "condition_note",
                                                               "shelf")}, expected_version=expected_version)
    errors: dict[str, list[str]] = {}
    technician = _technician(values.get("technician_id")) if values.get("technician_id") else None
    for item in goods.items:
        given = answers.get(item.id, [])
        checks = []
        for index, check in enumerate(item.checks or []):
            result, note = given[index] if index < len(given) else (check.get("result", ""), check.get("note", ""))
            result = result if result in CheckResult.__members__ else ""
            note = " ".join((note or "").split())[:200]
            if result == CheckResult.issue.value and not note:
                errors.setdefault("checks", []).append(_("%(item)s · %(check)s: describe what was found.",
                                                         item=item.description, check=check["label"]))
            checks.append({"label": check["label"], "result": result, "note": note})
        item.checks = checks
    if errors:
        raise ValidationFailed(_("Describe every defect found at take-in."), errors=errors)
    if technician is not None:
        goods.technician_id = technician.id
    goods.accessories = (values.get("accessories") or "").strip()[:1000]
    goods.condition_note = (values.get("condition_note") or "").strip()[:2000]
    goods.shelf = (values.get("shelf") or "").strip()[:30]
    db.session.flush()
    audit.record_updated(goods, actor=actor)
    return goods


def goods_add_photos(*, goods: GoodsReceipt, files: Iterable[tuple[str, bytes]], actor: Any) -> list[GoodsPhoto]:
    """Check every uploaded photo first (image, ≤ 5 MB), then store them all, or none."""
    _ensure_draft(goods)
    files = [(name, data) for name, data in files if name or data]
    if not files:
        raise ValidationFailed(_("Choose a photo to add."), errors={"photos": [_("Choose a photo to add.")]})
    if len(goods.photos) + len(files) > MAX_PHOTOS:
        message = _("At most %(n)s photos per receipt; %(left)s more can be added.", n=MAX_PHOTOS,
                    left=MAX_PHOTOS - len(goods.photos))
        raise ValidationFailed(message, errors={"photos": [message]})
    checked = [(name, checked_photo(data, field="photos", name=name or None)) for name, data in files]
    added = []
    for name, photo in checked:
        row = GoodsPhoto(position=len(goods.photos) + 1, filename=(name or "")[:120], mime=photo.mime,
                         width=photo.width, height=photo.height, data=photo.data,
                         uploaded_by_id=getattr(actor, "id", None))
        goods.photos.append(row)
        added.append(row)
    db.session.flush()
    audit.record("goods_receipt.photo_added", goods, actor=actor, note="、".join(n for n, _p in files if n) or None)
    return added


def goods_remove_photo(*, goods: GoodsReceipt, photo_id: int, actor: Any) -> None:
    _ensure_draft(goods)
    photo = next((p for p in goods.photos if p.id == photo_id), None)
    if photo is None:
        abort(404)
    goods.photos.remove(photo)
    for position, other in enumerate(goods.photos, start=1):
        other.position = position
    db.session.flush()
    audit.record("goods_receipt.photo_removed", goods, actor=actor, note=photo.filename or None)


def take_in_gaps(goods: GoodsReceipt) -> list[str]:
    """What the receipt needs before the customer signs for the hand-over."""
    gaps = []
    if not goods.items:
        gaps.append(_("at least one item"))
    unanswered = [f"{item.description} · {check['label']}" for item in goods.items for check in (item.checks or [])
                  if check.get("result") not in CheckResult.__members__]
    if unanswered:
        gaps.append(_("condition checks not answered: %(items)s", items="、".join(unanswered[:6])
                      + ("…" if len(unanswered) > 6 else "")))
    if goods.technician_id is None:
        gaps.append(_("the technician"))
    return gaps


# --- take in (签认) ----------------------------------------------------------------------------------

def _render(goods: GoodsReceipt, *, mode: str, signature: Any, verification: dict | None, **extra: Any) -> bytes:
    from portal.carryin.printing import goods_print_context
    from portal.core.pdf import render_pdf
    return render_pdf("print/goods_receipt.html", **goods_print_context(goods, mode=mode, signature=signature,
                                                                        verification=verification, **extra))


def ensure_signable(goods: GoodsReceipt) -> None:
    """The take-in screen is offered for a complete draft only."""
    if goods.state is not G.draft:
        raise DomainError(_("Goods receipt %(number)s is “%(state)s”: it was signed for already or cancelled.",
                            number=goods.number, state=goods.state.label))
    gaps = take_in_gaps(goods)
    if gaps:
        raise DomainError(_("The goods receipt is not complete. Missing: %(items)s.", items="; ".join(gaps)))


def goods_take_in(*, goods: GoodsReceipt, signer_name: str, rating: int | None = None, comment: str, image: Any,
                  address: str | None, user_agent: str, device: str, staff: Any,
                  verify_url: Callable[[str, str], str]) -> ArchivedDocument:
    """The customer acknowledges the hand-over (签认): draft → taken in, the case goes to the
    workshop with this technician, and the signed receipt is archived for the customer to keep."""
    db.session.flush()  # what the page saved before signing is what gets printed
    db.session.refresh(goods, with_for_update=True)
    _refuse(goods, G.taken_in)
    ensure_signable(goods)
    signing.check_signing_fields(signer_name=signer_name, rating=rating, rating_required=False,
                                 signer_message=_("Enter the name of the customer's person who hands the unit over."))
    case = goods.case
    transition(goods, G.taken_in, actor=staff, note=signer_name.strip()[:60])
    case.technician_id = goods.technician_id
    case_transition(case=case, target=CaseState.in_workshop, actor=staff,
                    note=_("goods receipt %(number)s", number=goods.number))

    def render(signature: Any, verification: dict[str, str]) -> bytes:
        return _render(goods, mode="receipt", signature=signature, verification=verification)

    document = signing.sign_and_archive(
        document_type=DOC_RECEIPT, document_id=goods.id, number=goods.number, customer=case.customer,
        technician_id=goods.technician_id, signer_name=signer_name, rating=None, comment=comment, image=image,
        address=address, user_agent=user_agent, device=device, staff=staff, verify_url=verify_url,
        render=render).document
    audit.record("goods_receipt.archived", goods, actor=staff, note=f"v{document.version} sha256 {document.sha256[:16]}…")
    return document


def goods_cancel(*, goods: GoodsReceipt, reason: str, actor: Any) -> GoodsReceipt:
    """A draft nobody signed is dropped; a walk-in case that existed only for it is cancelled too."""
    _refuse(goods, G.cancelled, _("Only a draft is cancelled; goods receipt %(number)s is “%(state)s”: the unit "
                                  "goes back to the customer through the hand-back.", number=goods.number,
                                  state=goods.state.label))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(_("Give a reason."), errors={"reason": [_("Give a reason.")]})
    goods.cancel_reason = reason[:500]
    transition(goods, G.cancelled, actor=actor, note=goods.cancel_reason)
    if goods.case.state is CaseState.registered:
        case_transition(case=goods.case, target=CaseState.cancelled, actor=actor,
                        note=_("goods receipt %(number)s cancelled: %(reason)s", number=goods.number, reason=reason))
    return goods


# --- in the workshop ---------------------------------------------------------------------------------

def goods_set_shelf(*, goods: GoodsReceipt, shelf: str, actor: Any) -> GoodsReceipt:
    if goods.state not in IN_WORKSHOP and goods.state is not G.draft:
        raise DomainError(_("Goods receipt %(number)s is “%(state)s”: the unit is not in the workshop.",
                            number=goods.number, state=goods.state.label))
    shelf = " ".join((shelf or "").split())
    if not shelf or len(shelf) > 30:
        message = _("Enter the shelf location, e.g. A-03 (at most 30 characters).")
        raise ValidationFailed(message, errors={"shelf": [message]})
    if shelf != goods.shelf:
        audit.record("goods_receipt.shelved", goods, actor=actor, changes={"shelf": [goods.shelf or None, shelf]})
        goods.shelf = shelf
        db.session.flush()
    return goods


def goods_start_repair(*, goods: GoodsReceipt, actor: Any) -> GoodsReceipt:
    _refuse(goods, G.in_repair)
    transition(goods, G.in_repair, actor=actor)
    return goods


def _hours(value: Any) -> Decimal:
    try:
        hours = Decimal(str(value).strip())
    except (InvalidOperation, ValueError, TypeError):
        hours = Decimal("-1")
    if not hours.is_finite() or hours <= 0 or hours > MAX_HOURS or (hours * 4) % 1 != 0:
        message = _("Hours worked: from 0.25 to 24, in quarter hours (e.g. 1.5).")
        raise ValidationFailed(message, errors={"hours": [message]})
    return hours


def labour_add(*, goods: GoodsReceipt, worked_on: date | None, hours: Any, work: str, actor: Any) -> WorkshopLabour:
    """Actual repair time, written on the repair card while the unit is on the bench."""
    if goods.state is not G.in_repair:
        raise DomainError(_("Repair time is recorded while the unit is under repair; goods receipt %(number)s is "
                            "“%(state)s”.", number=goods.number, state=goods.state.label))
    errors: dict[str, list[str]] = {}
    try:
        clean_hours = _hours(hours)
    except ValidationFailed as error:
        errors.update(error.errors)
        clean_hours = Decimal(0)
    taken_in = as_local(goods.taken_in_at).date() if goods.taken_in_at else None
    if worked_on is None:
        errors["worked_on"] = [_("Enter the day of the work.")]
    elif worked_on > local_today() or (taken_in and worked_on < taken_in):
        errors["worked_on"] = [_("A day between the take-in and today.")]
    work = (work or "").strip()
    if not work:
        errors["work"] = [_("Say what was done.")]
    elif len(work) > 500:
        errors["work"] = [_("At most 500 characters.")]
    if errors:
        raise ValidationFailed(_("Please correct the repair time."), errors=errors)
    technician_id = actor.id if _role(actor) is Role.technician else goods.technician_id
    entry = WorkshopLabour(worked_on=worked_on, hours=clean_hours, work=work, technician_id=technician_id)
    goods.labour.append(entry)
    db.session.flush()
    audit.record("goods_receipt.labour_added", goods, actor=actor, note=f"{worked_on} {clean_hours} h · {work[:80]}")
    return entry


def labour_remove(*, goods: GoodsReceipt, entry_id: int, actor: Any) -> None:
    if goods.state is not G.in_repair:
        raise DomainError(_("Repair time can be corrected only while the unit is under repair."))
    entry = next((e for e in goods.labour if e.id == entry_id), None)
    if entry is None:
        abort(404)
    goods.labour.remove(entry)
    db.session.flush()
    audit.record("goods_receipt.labour_removed", goods, actor=actor, note=f"{entry.worked_on} {entry.hours} h")


def total_hours(goods: GoodsReceipt) -> Decimal:
    return sum((entry.hours for entry in goods.labour), Decimal(0))


def goods_mark_repaired(*, goods: GoodsReceipt, actor: Any) -> GoodsReceipt:
    _refuse(goods, G.repaired)
    if not goods.labour:
        message = _("Record the repair time on the repair card first.")
        raise ValidationFailed(message, errors={"hours": [message]})
    transition(goods, G.repaired, actor=actor, note=f"{total_hours(goods)} h")
    return goods


def goods_inspect(*, goods: GoodsReceipt, passed: bool, note: str, actor: Any) -> GoodsReceipt:
    """The manager's inspection (验讫): passed → ready to hand back; not passed → back on the bench."""
    if _role(actor) is not Role.manager:
        abort(403)
    target = G.inspected if passed else G.in_repair
    if goods.state is not G.repaired:
        raise InvalidTransition(_("Goods receipt %(number)s is “%(state)s”: only a repaired unit is inspected.",
                                  number=goods.number, state=goods.state.label),
                                obj=goods, current=goods.state, target=target,
                                allowed=GoodsReceipt.workflow.allowed(goods.state))
    note = (note or "").strip()[:1000]
    if not passed and not note:
        message = _("Say what is still wrong, for the technician.")
        raise ValidationFailed(message, errors={"note": [message]})
    goods.inspection_note = note
    goods.inspected_by_id = actor.id
    transition(goods, target, actor=actor, note=note or None)
    if not passed:
        audit.record("goods_receipt.inspection_failed", goods, actor=actor, note=note)
    return goods


# --- hand-back (签章) and void -------------------------------------------------------------------------

def case_receipt(goods: GoodsReceipt) -> Any:
    """The case's repair service receipt to sign at the hand-back: the ready one, else a signed one.
    A receipt signed before this unit was taken in belongs to an earlier visit of a reopened case: it
    does not let this unit go back."""
    from portal.receipts.models import ReceiptState, RepairReceipt
    receipts = [r for r in db.session.scalars(select(RepairReceipt).where(RepairReceipt.case_id == goods.case_id,
                                                                         RepairReceipt.amends_id.is_(None))
                                              .order_by(RepairReceipt.id.desc()))
                if not (r.state is ReceiptState.signed and goods.taken_in_at and r.signed_at
                        and as_local(r.signed_at) < as_local(goods.taken_in_at))]
    return next((r for r in receipts if r.state is ReceiptState.ready), None) or \
        next((r for r in receipts if r.state is ReceiptState.signed), None) or \
        next((r for r in receipts if r.state is ReceiptState.draft), None)


def hand_back_gaps(goods: GoodsReceipt) -> list[str]:
    """Why the unit cannot go back yet (empty: it can)."""
    from portal.receipts.models import ReceiptState
    gaps = []
    if goods.state is not G.inspected:
        gaps.append(_("the manager's inspection (验讫): the unit is “%(state)s”", state=goods.state.label))
    receipt = case_receipt(goods)
    if receipt is None or receipt.state not in (ReceiptState.ready, ReceiptState.signed):
        gaps.append(_("the repair service receipt, complete and ready for signature"))
    return gaps


def ensure_can_hand_back(goods: GoodsReceipt) -> None:
    if goods.state is G.returned:
        raise DomainError(_("Goods receipt %(number)s was handed back already on %(at)s.", number=goods.number,
                            at=as_local(goods.returned_at).strftime("%Y-%m-%d %H:%M")))
    gaps = hand_back_gaps(goods)
    if gaps:
        raise DomainError(_("The unit cannot be handed back yet. Missing: %(items)s.", items="; ".join(gaps)))


def goods_hand_back(*, goods: GoodsReceipt, signer_name: str, rating: int | None, comment: str, image: Any,
                    address: str | None, user_agent: str, device: str, staff: Any,
                    verify_url: Callable[[str, str], str]) -> ArchivedDocument:
    """The customer takes the unit back and signs (签章) once: the case's ready repair receipt is
    signed with the same signature (its own archived PDF; the case moves to signed and on to the
    follow-up), the return is archived as goods_return, and the goods receipt is voided."""
    from portal.receipts import services as receipts
    from portal.receipts.models import ReceiptState

    db.session.flush()  # what the page saved before signing is what gets printed
    db.session.refresh(goods, with_for_update=True)
    ensure_can_hand_back(goods)
    receipt = case_receipt(goods)
    signing.check_signing_fields(signer_name=signer_name, rating=rating, rating_required=receipt.state is
                                 ReceiptState.ready,
                                 signer_message=_("Enter the name of the customer's person who takes the unit back."))
    if receipt.state is ReceiptState.ready:
        receipts.receipt_sign(receipt=receipt, signer_name=signer_name, rating=rating, comment=comment, image=image,
                              address=address, user_agent=user_agent, device=device, staff=staff,
                              verify_url=verify_url)
    transition(goods, G.returned, actor=staff, note=signer_name.strip()[:60])

    def render(signature: Any, verification: dict[str, str]) -> bytes:
        return _render(goods, mode="return", signature=signature, verification=verification,
                       receipt_number=receipt.number)

    document = signing.sign_and_archive(
        document_type=DOC_RETURN, document_id=goods.id, number=goods.number, customer=goods.case.customer,
        technician_id=goods.technician_id, signer_name=signer_name, rating=rating, comment=comment, image=image,
        address=address, user_agent=user_agent, device=device, staff=staff, verify_url=verify_url,
        render=render, note=_("returned with %(receipt)s", receipt=receipt.number)).document
    audit.record("goods_receipt.return_archived", goods, actor=staff,
                 note=f"v{document.version} sha256 {document.sha256[:16]}…")
    goods_void(goods=goods, actor=staff, verify_url=verify_url)
    return document


def goods_void(*, goods: GoodsReceipt, actor: Any, verify_url: Callable[[str, str], str]) -> ArchivedDocument:
    """The customer's receipt is recovered and voided (十二): a new archived version stamped 作废 /
    VOID with the original take-in signature; every earlier version of it reads void; the signed
    original file stays byte for byte as it was."""
    if goods.voided_at is not None:
        raise DomainError(_("Goods receipt %(number)s is void already.", number=goods.number))
    if goods.state is not G.returned:
        raise DomainError(_("A goods receipt is voided when the unit is handed back; %(number)s is “%(state)s”.",
                            number=goods.number, state=goods.state.label))
    versions = list(db.session.scalars(select(ArchivedDocument).where(ArchivedDocument.document_type == DOC_RECEIPT,
                                                                      ArchivedDocument.document_id == goods.id)
                                       .order_by(ArchivedDocument.version)))
    if not versions:
        raise DomainError(_("Goods receipt %(number)s has no archived copy to void.", number=goods.number))
    goods.voided_at = utcnow()
    code = archive.new_code()
    url = verify_url(goods.number, code)
    verification = {"code": code, "url": url, "url_short": url.split("?")[0], "qr": archive.qr_svg_data_url(url)}
    data = _render(goods, mode="receipt", signature=signing.signature_for(DOC_RECEIPT, goods.id),
                   verification=verification)
    note = _("recovered from the customer at the hand-back")
    for version in versions:
        if version.status is not ArchiveStatus.void:
            audit.record("archived_document.voided", version, actor=actor,
                         changes={"status": [version.status.value, ArchiveStatus.void.value]}, note=note)
            version.status = ArchiveStatus.void
    document = archive.store(data=data, document_type=DOC_RECEIPT, document_id=goods.id, number=goods.number,
                             code=code, customer=goods.case.customer, technician_id=goods.technician_id,
                             signed_at=versions[0].signed_at, supersedes=versions[-1], note=f"作废：{note}")
    document.status = ArchiveStatus.void
    db.session.flush()
    audit.record("goods_receipt.voided", goods, actor=actor, note=f"v{document.version} 作废")
    return document


# --- the in/out register (客户商品进出登记簿) ------------------------------------------------------------

@dataclass(frozen=True)
class RegisterFilters:
    state: str = "in"          # in (in the workshop) | all | a GoodsState value
    technician_id: int | None = None
    date_from: date | None = None
    date_to: date | None = None
    q: str = ""
    overdue: bool = False


def days_in(goods: GoodsReceipt, today: date | None = None) -> int | None:
    if goods.taken_in_at is None:
        return None
    end = as_local(goods.returned_at).date() if goods.returned_at else (today or local_today())
    return (end - as_local(goods.taken_in_at).date()).days


def overdue_days() -> int:
    from portal.settings.services import get_settings
    return int(get_settings().workshop_overdue_days or 7)


def is_overdue(goods: GoodsReceipt, limit: int, today: date | None = None) -> bool:
    days = days_in(goods, today)
    return goods.state in IN_WORKSHOP and days is not None and days > limit


def register(filters: RegisterFilters, *, actor: Any, page: int = 1, per_page: int = 50
             ) -> tuple[list[GoodsReceipt], int]:
    from portal.core.timeutil import from_local
    query = (select(GoodsReceipt).join(RepairCase, RepairCase.id == GoodsReceipt.case_id)
             .join(Customer, Customer.id == RepairCase.customer_id))
    if filters.state == "in":
        query = query.where(GoodsReceipt.state.in_(IN_WORKSHOP))
    elif filters.state in G.__members__:
        query = query.where(GoodsReceipt.state == G(filters.state))
    if _role(actor) is Role.technician:
        query = query.where(GoodsReceipt.technician_id == actor.id)
    elif filters.technician_id:
        query = query.where(GoodsReceipt.technician_id == filters.technician_id)
    if filters.date_from:
        query = query.where(GoodsReceipt.taken_in_at >= from_local(datetime.combine(filters.date_from,
                                                                                     datetime.min.time())))
    if filters.date_to:
        query = query.where(GoodsReceipt.taken_in_at < from_local(datetime.combine(filters.date_to + timedelta(days=1),
                                                                                    datetime.min.time())))
    if filters.overdue:
        limit = overdue_days()
        cutoff = from_local(datetime.combine(local_today() - timedelta(days=limit), datetime.min.time()))
        query = query.where(GoodsReceipt.state.in_(IN_WORKSHOP), GoodsReceipt.taken_in_at < cutoff)
    term = " ".join((filters.q or "").split()).lower()
    if term:
        serials = select(GoodsItem.receipt_id).where(func.lower(GoodsItem.serial).contains(term, autoescape=True))
        query = query.where(or_(func.lower(GoodsReceipt.number).contains(term, autoescape=True),
                                func.lower(RepairCase.number).contains(term, autoescape=True),
                                Customer.search_text.contains(term, autoescape=True),
                                GoodsReceipt.id.in_(serials)))
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    rows = db.session.scalars(query.order_by(GoodsReceipt.taken_in_at.is_(None).desc(), GoodsReceipt.taken_in_at,
                                             GoodsReceipt.id)
                              .offset((max(page, 1) - 1) * per_page).limit(per_page))
    return list(rows), total


def workshop_jobs(*, technician: Any) -> list[GoodsReceipt]:
    """The units in the workshop that the technician repairs (his "My jobs"), longest in first."""
    return list(db.session.scalars(select(GoodsReceipt).where(GoodsReceipt.technician_id == technician.id,
                                                              GoodsReceipt.state.in_(IN_WORKSHOP))
                                   .order_by(GoodsReceipt.taken_in_at, GoodsReceipt.id)))


def parts_for(goods: GoodsReceipt) -> list[dict[str, Any]]:
    """The case's requisitioned parts for the repair card: issued and, once reported, used."""
    from portal.parts.services import case_requisitions
    rows = []
    for requisition in case_requisitions(goods.case):
        if requisition.state.value == "cancelled":
            continue
        for line in requisition.lines:
            rows.append({"requisition": requisition.number, "part": f"{line.part.name} {line.part.spec}".strip(),
                         "code": line.part.code, "unit": line.part.unit,
                         "issued": line.issued_qty, "used": line.used_qty, "state": requisition.state})
    return rows


def goods_draft_submit(*, goods: GoodsReceipt, values: dict[str, Any], answers: dict[int, list[tuple[str, str]]],
                       photos: list[tuple[str, bytes]], item: ItemInput | None, action: str,
                       expected_version: int | None, actor: Any) -> GoodsReceipt:
    """The draft page's one form: save what is typed, add the chosen photos, then the button's
    own step (add or remove an item or photo, or go to the signature). All or nothing."""
    goods_save(goods=goods, values=values, answers=answers, expected_version=expected_version, actor=actor)
    if photos:
        goods_add_photos(goods=goods, files=photos, actor=actor)
    kind, _sep, ident = action.partition(":")
    if kind == "add_item" and item is not None:
        goods_add_item(goods=goods, data=item, actor=actor)
    elif kind == "remove_item" and ident.isdigit():
        goods_remove_item(goods=goods, item_id=int(ident), actor=actor)
    elif kind == "remove_photo" and ident.isdigit():
        goods_remove_photo(goods=goods, photo_id=int(ident), actor=actor)
    elif kind == "sign":
        gaps = take_in_gaps(goods)
        if gaps:
            raise ValidationFailed(_("The goods receipt is not complete. Missing: %(items)s.", items="; ".join(gaps)))
    return goods
