"""Hand-over mode (portal/core/handover.py) for the return slip: the clerk's own tablet, locked to
the customer's signature at the hand-over of the replacement, the refund or the repaired goods."""
from __future__ import annotations

from typing import Any

from flask import url_for
from flask_babel import lazy_gettext as _l

from portal.core import handover
from portal.core.access import roles
from portal.core.web import get_or_404
from portal.returns import OFFICE, bp, services
from portal.returns.models import ReturnSlip, ReturnState

DOCUMENT_TYPE = "return_slip"


def _check(slip: ReturnSlip, _actor: Any) -> None:
    services.ensure_signable(slip)


def _staff_url(slip: ReturnSlip) -> str:
    return url_for("returns.signed" if slip.state is ReturnState.closed else "returns.show", slip_id=slip.id)


handover.register(DOCUMENT_TYPE, handover.Kind(
    name=_l("Return slip"), id_arg="slip_id", load=services.get_slip, check=_check, sign_endpoint="returns.sign",
    is_signed=lambda slip: slip.state is ReturnState.closed, signature=services.signature_for,
    staff_url=_staff_url))


@bp.post("/<int:slip_id>/handover")
@roles(OFFICE)
def handover_start(slip_id: int):
    return handover.start(DOCUMENT_TYPE, get_or_404(ReturnSlip, slip_id))
