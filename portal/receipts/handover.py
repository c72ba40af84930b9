"""Hand-over mode for the repair service receipt (交给客户签字): the "Hand over to the customer"
buttons on the receipt and the case page. The mode itself (the lock, the unlock, the thank-you
screen) is portal/core/handover.py; its shared screens are mounted here, under /receipts/handover.
"""
from __future__ import annotations

from typing import Any

from flask import url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from portal.core import handover as core
from portal.core import htmx
from portal.core.access import roles
from portal.core.roles import Role
from portal.core.web import get_or_404
from portal.receipts import bp, services
from portal.receipts.models import ReceiptState, RepairReceipt
from portal.repairs.actions import Step, register_link
from portal.repairs.models import CaseState, RepairCase
from portal.repairs.services import ensure_can_work_on

SIGNERS = core.SIGNERS
DOCUMENT_TYPE = "repair_receipt"


def _check(receipt: RepairReceipt, actor: Any) -> None:
    services.ensure_can_see(receipt, actor)
    services.ensure_signable(receipt)


def _staff_url(receipt: RepairReceipt) -> str:
    signed = receipt.state is ReceiptState.signed
    return url_for("receipts.signed" if signed else "receipts.show", receipt_id=receipt.id)


core.register(DOCUMENT_TYPE, core.Kind(
    name=_l("Repair service receipt"), id_arg="receipt_id", load=services.get_receipt, check=_check,
    sign_endpoint="receipts.sign", is_signed=lambda receipt: receipt.state is ReceiptState.signed,
    signature=services.signature_for, staff_url=_staff_url, after_signing=frozenset({"receipts.signed"})))
core.mount(bp)

# Kept for the callers that know the receipts' hand-over only.
signing_device = core.signing_device
active_handover = core.active_handover


# --- on the case page, next to "Customer signs the receipt" ---------------------------------------

def _case_url(case) -> str:
    return url_for("receipts.handover_case", case_id=case.id)


register_link(Step(target=CaseState.signed, label=_l("Hand over to the customer"), roles=frozenset({Role.technician}),
                   own_job_only=True, method="post", url=_case_url))
register_link(Step(target=CaseState.signed, label=_l("Hand over to the customer"),
                   roles=frozenset({Role.clerk, Role.manager}), method="post", url=_case_url))


# --- views ----------------------------------------------------------------------------------------

@bp.post("/<int:receipt_id>/handover")
@roles(SIGNERS)
def handover(receipt_id: int):
    return core.start(DOCUMENT_TYPE, get_or_404(RepairReceipt, receipt_id))


@bp.post("/case/<int:case_id>/handover")
@roles(SIGNERS)
def handover_case(case_id: int):
    case = get_or_404(RepairCase, case_id)
    ensure_can_work_on(case, current_user)
    receipt = services.open_receipt_for(case)
    if receipt is None:
        return htmx.redirect(url_for("repairs.show", case_id=case.id))
    return core.start(DOCUMENT_TYPE, receipt)
