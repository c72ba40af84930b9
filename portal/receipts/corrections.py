"""Void and amend: a signed receipt is never edited (forms catalogue §3.9, "any correction creates
a new version; the original signature is never edited").

- Void (manager, with a reason): the receipt goes signed → void; a new archived version of the
  same number is rendered with the 作废 / VOID stamp and the original signature; every archived
  version of that number reads "void" on the verification page; the signed file stays untouched.
- Amend (manager, or the technician of the job): a void receipt gets one corrected draft under a
  new number, linked by amends_id, with the original's times, texts, lines (at the prices charged)
  and charging. It goes draft → ready → signed like any receipt, while its case stays signed or
  archived. Once the amendment is signed, the original's archived versions read "superseded".

Each verb checks, mutates, flushes and audits; the view commits once.
"""
from __future__ import annotations

from decimal import Decimal
from typing import Any, Callable

from flask import abort
from flask_babel import gettext as _
from sqlalchemy import select

from portal.archive import services as archive
from portal.archive.models import ArchivedDocument, ArchiveStatus
from portal.core import audit
from portal.core.errors import DomainError, ValidationFailed
from portal.core.numbering import next_number
from portal.core.roles import Role
from portal.core.timeutil import utcnow
from portal.core.workflow import transition
from portal.extensions import db
from portal.receipts.charging import ZERO, money
from portal.receipts.models import Collection, ReceiptLine, ReceiptState, RepairReceipt

RS = ReceiptState
DOCUMENT_TYPE = "repair_receipt"
MAX_REASON = 500
COPIED_FIELDS = ("arrived_at", "finished_at", "fault_cause", "solution", "test_run_shown", "instructions_given",
                 "category", "category_reason", "misuse", "misuse_reason", "contract_id", "bill_agent_id",
                 "customer_consented", "total", "collected", "collect_later")
LINE_FIELDS = ("position", "kind", "part_id", "fee_item_id", "description", "unit", "quantity", "list_price",
               "unit_price", "amount")


# --- reads -----------------------------------------------------------------------------------------

def _role(user: Any) -> Role | None:
    return getattr(user, "role", None)


def amendment_of(receipt: RepairReceipt) -> RepairReceipt | None:
    return db.session.scalar(select(RepairReceipt).where(RepairReceipt.amends_id == receipt.id)
                             .order_by(RepairReceipt.id).limit(1))


def chain(receipt: RepairReceipt) -> list[RepairReceipt]:
    """The original and every amendment after it, oldest first (a receipt alone: just itself)."""
    root, seen = receipt, {receipt.id}
    while root.amends_id is not None and root.amends_id not in seen:
        root = db.session.get(RepairReceipt, root.amends_id)
        seen.add(root.id)
    found, current = [root], amendment_of(root)
    while current is not None and current.id not in {r.id for r in found}:
        found.append(current)
        current = amendment_of(current)
    return found


def archived_versions(receipt: RepairReceipt) -> list[ArchivedDocument]:
    return list(db.session.scalars(select(ArchivedDocument).where(ArchivedDocument.document_type == DOCUMENT_TYPE,
                                                                  ArchivedDocument.document_id == receipt.id)
                                   .order_by(ArchivedDocument.version)))


def can_void(receipt: RepairReceipt, user: Any) -> bool:
    return _role(user) is Role.manager and receipt.state is RS.signed


def may_amend(receipt: RepairReceipt, user: Any) -> bool:
    """Who may start a correction: a manager, or the technician whose job it was."""
    return _role(user) is Role.manager or (_role(user) is Role.technician and receipt.technician_id == user.id)


def can_amend(receipt: RepairReceipt, user: Any) -> bool:
    return may_amend(receipt, user) and receipt.state is RS.void and amendment_of(receipt) is None


def collected_on_originals(receipt: RepairReceipt) -> Decimal:
    """Money collected later (to-dos marked collected) on the receipts this one corrects."""
    total, current = ZERO, receipt
    while current.amends_id is not None:
        current = db.session.get(RepairReceipt, current.amends_id)
        rows = db.session.scalars(select(Collection).where(Collection.receipt_id == current.id,
                                                           Collection.collected_at.is_not(None)))
        total += sum((row.amount for row in rows), ZERO)
    return money(total)


# --- void ------------------------------------------------------------------------------------------

def _void_reason(reason: str | None) -> str:
    reason = (reason or "").strip()
    if not reason:
        message = _("Give the reason for voiding: it is printed on the void copy and kept in the history.")
        raise ValidationFailed(message, errors={"reason": [message]})
    if len(reason) > MAX_REASON:
        message = _("Keep the reason under %(max)s characters.", max=MAX_REASON)
        raise ValidationFailed(message, errors={"reason": [message]})
    return reason


def receipt_void(*, receipt: RepairReceipt, reason: str, actor: Any,
                 verify_url: Callable[[str, str], str]) -> ArchivedDocument:
    """Signed → void by a manager, with a reason. Archives a new version stamped 作废 / VOID (with
    the original signature) and marks every archived version of the number void. The signed file
    is not touched; the case does not move."""
    from portal.core.pdf import render_pdf
    from portal.receipts.printing import receipt_print_context
    from portal.receipts.services import signature_for

    if _role(actor) is not Role.manager:
        abort(403)
    db.session.refresh(receipt, with_for_update=True)
    if receipt.state is RS.void:
        raise DomainError(_("Receipt %(number)s is void already.", number=receipt.number))
    if receipt.state is not RS.signed:
        raise DomainError(_("Only a signed receipt is voided; receipt %(number)s is “%(state)s”.",
                            number=receipt.number, state=receipt.state.label))
    reason = _void_reason(reason)
    versions = archived_versions(receipt)
    if not versions:
        raise DomainError(_("Receipt %(number)s has no archived copy to void.", number=receipt.number))
    receipt.void_reason = reason
    transition(receipt, RS.void, actor=actor, note=reason)
    _withdraw_open_collections(receipt, actor)
    code = archive.new_code()
    url = verify_url(receipt.number, code)
    verification = {"code": code, "url": url, "url_short": url.split("?")[0], "qr": archive.qr_svg_data_url(url)}
    signature = signature_for(receipt)
    data = render_pdf("print/repair_receipt.html",
                      **receipt_print_context(receipt, signature=signature, verification=verification))
    for version in versions:
        if version.status is not ArchiveStatus.void:
            audit.record("archived_document.voided", version, actor=actor,
                         changes={"status": [version.status.value, ArchiveStatus.void.value]}, note=reason)
            version.status = ArchiveStatus.void
    document = archive.store(data=data, document_type=DOCUMENT_TYPE, document_id=receipt.id, number=receipt.number,
                             code=code, customer=receipt.case.customer, technician_id=receipt.technician_id,
                             signed_at=receipt.signed_at, supersedes=versions[-1], note=f"作废：{reason}")
    document.status = ArchiveStatus.void
    db.session.flush()
    audit.record("repair_receipt.archived", receipt, actor=actor,
                 note=f"v{document.version} 作废 sha256 {document.sha256[:16]}…")
    return document


def _withdraw_open_collections(receipt: RepairReceipt, actor: Any) -> None:
    """Money still to collect on a void receipt is no longer owed on it; a correction asks again."""
    for item in db.session.scalars(select(Collection).where(Collection.receipt_id == receipt.id,
                                                            Collection.collected_at.is_(None))):
        audit.record("collection.withdrawn", item, actor=actor, note=_("receipt %(number)s void", number=receipt.number))
        db.session.delete(item)
    db.session.flush()


# --- amend -----------------------------------------------------------------------------------------

def receipt_amend(*, original: RepairReceipt, actor: Any) -> RepairReceipt:
    """A new draft (new HZ number) correcting a void receipt, a copy of what was signed."""
    if not may_amend(original, actor):
        abort(403)
    db.session.refresh(original, with_for_update=True)
    if original.state is not RS.void:
        raise DomainError(_("Void receipt %(number)s first (with the reason); then the correction is a new draft.",
                            number=original.number))
    existing = amendment_of(original)
    if existing is not None:
        raise DomainError(_("Receipt %(number)s is corrected already by %(amendment)s.",
                            number=original.number, amendment=existing.number))
    amendment = RepairReceipt(number=next_number("HZ"), case_id=original.case_id,
                              technician_id=original.technician_id, amends_id=original.id, state=RS.draft,
                              state_changed_at=utcnow(), void_reason="",
                              **{name: getattr(original, name) for name in COPIED_FIELDS})
    amendment.lines = [ReceiptLine(**{name: getattr(line, name) for name in LINE_FIELDS}) for line in original.lines]
    db.session.add(amendment)
    db.session.flush()
    audit.record_created(amendment, actor=actor, fields=("number", "category", "total"),
                         note=_("corrects %(number)s", number=original.number))
    audit.record("repair_receipt.amended", original, actor=actor,
                 note=_("corrected by %(number)s", number=amendment.number))
    return amendment


def void_and_correct(*, receipt: RepairReceipt, reason: str, amend: bool, actor: Any,
                     verify_url: Callable[[str, str], str]) -> RepairReceipt:
    """The manager's one step: void, and with `amend` start the correction too (all or nothing).
    Returns the receipt to go on with: the new draft, or the void receipt."""
    receipt_void(receipt=receipt, reason=reason, actor=actor, verify_url=verify_url)
    return receipt_amend(original=receipt, actor=actor) if amend else receipt


def amendment_signed(*, amendment: RepairReceipt, document: ArchivedDocument, actor: Any) -> None:
    """Called by receipt_sign: the signed correction supersedes every archived version of the original."""
    original = db.session.get(RepairReceipt, amendment.amends_id)
    versions = archived_versions(original)
    for version in versions:
        if version.status is not ArchiveStatus.superseded:
            audit.record("archived_document.superseded", version, actor=actor,
                         changes={"status": [version.status.value, ArchiveStatus.superseded.value]},
                         note=amendment.number)
            version.status = ArchiveStatus.superseded
    if versions and document.supersedes_id is None:
        document.supersedes_id = versions[-1].id
    db.session.flush()
