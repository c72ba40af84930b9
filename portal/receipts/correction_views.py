"""Void and amend views (the services are in portal.receipts.corrections)."""
from __future__ import annotations

from flask import url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.archive import services as archive_services
from portal.core import htmx
from portal.core.access import roles
from portal.core.roles import Role
from portal.core.web import attempt, done, form_status, get_or_404
from portal.receipts import bp, corrections, services
from portal.receipts.forms import ActionForm, VoidForm
from portal.receipts.models import RepairReceipt


def _visible(receipt_id: int) -> RepairReceipt:
    receipt = get_or_404(RepairReceipt, receipt_id)
    services.ensure_can_see(receipt, current_user)
    return receipt


@bp.post("/<int:receipt_id>/void")
@roles(Role.manager)
def void(receipt_id: int):
    receipt = _visible(receipt_id)
    form = VoidForm()
    outcome = attempt(form, lambda: corrections.void_and_correct(
        receipt=receipt, reason=form.reason.data, amend=bool(form.amend.data), actor=current_user._get_current_object(),
        verify_url=archive_services.verification_url))
    if not outcome.ok:
        return _void_page(receipt, form, status=form_status(outcome))
    after = outcome.result
    return done(url_for("receipts.show", receipt_id=after.id), _(
        "%(number)s is void. Correction %(amendment)s is a new draft for the technician.", number=receipt.number,
        amendment=after.number) if after.id != receipt.id else _("%(number)s is void.", number=receipt.number))


def _void_page(receipt: RepairReceipt, form: VoidForm, *, status: int):
    from portal.receipts.views import _context
    return htmx.render("receipts/show.html", status=status, **_context(receipt, void_form=form))


@bp.post("/<int:receipt_id>/amend")
@roles(Role.technician, Role.manager)
def amend(receipt_id: int):
    receipt = _visible(receipt_id)
    ActionForm().validate()
    amendment = corrections.receipt_amend(original=receipt, actor=current_user._get_current_object())
    return done(url_for("receipts.show", receipt_id=amendment.id),
                _("Correction %(amendment)s of %(number)s is a new draft.", amendment=amendment.number,
                  number=receipt.number))


@bp.app_context_processor
def _correction_helpers():
    return {"receipt_chain": corrections.chain, "receipt_versions": corrections.archived_versions,
            "can_void_receipt": corrections.can_void, "can_amend_receipt": corrections.can_amend,
            "new_void_form": VoidForm}
