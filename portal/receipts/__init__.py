from flask import Blueprint, url_for
from flask_babel import lazy_gettext as _l

from portal.core import nav, templating
from portal.core.roles import Role
from portal.receipts.models import ChargeCategory, ReceiptState
from portal.repairs.actions import Step, register_link, register_section
from portal.repairs.models import CaseState

bp = Blueprint("receipts", __name__, url_prefix="/receipts")

READ = frozenset({Role.technician, Role.clerk, Role.manager})
OFFICE = frozenset({Role.clerk, Role.manager})

nav.add("receipts.my_collections", _l("My collections"), {Role.technician}, order=30)
nav.add("receipts.collections", _l("Collections"), OFFICE, order=31)

register_link(Step(target=CaseState.awaiting_signature, label=_l("Fill in the repair receipt"),
                   roles=frozenset({Role.technician}), own_job_only=True, style="button primary", method="post",
                   url=lambda case: url_for("receipts.case_receipt", case_id=case.id)))
register_section("receipts/_case_section.html")


def _sign_url(case) -> str:
    from portal.receipts.services import open_receipt_for
    receipt = open_receipt_for(case)
    return url_for("receipts.sign", receipt_id=receipt.id) if receipt else url_for("repairs.show", case_id=case.id)


register_link(Step(target=CaseState.signed, label=_l("Customer signs the receipt"), style="button primary",
                   roles=frozenset({Role.technician, Role.clerk, Role.manager}), url=_sign_url))

templating.describe_fields(
    {"arrived_at": _l("Arrival / take-in time"), "finished_at": _l("Work finished"), "fault_cause": _l("Fault cause"),
     "solution": _l("Solution"), "test_run_shown": _l("Test run shown"), "instructions_given": _l("Instructions given"),
     "category": _l("Charge category"), "category_reason": _l("Why this category"), "misuse": _l("Damaged by misuse"),
     "misuse_reason": _l("How it was misused"), "contract_id": _l("Contract"), "bill_agent_id": _l("Agent billed"),
     "customer_consented": _l("Customer agreed to the charges"), "total": _l("Total (¥)"),
     "collected": _l("Collected on site (¥)"), "collect_later": _l("To collect later"), "amount": _l("Amount (¥)"),
     "due_on": _l("Due on")},
    {"category": ChargeCategory})
templating.describe_fields({}, {"state": ReceiptState}, entity="repair_receipt")
templating.register_source("repair_receipt", lambda receipt_id: url_for("receipts.show", receipt_id=receipt_id),
                           _l("The receipt"))

from portal.receipts import home, views  # noqa: E402,F401
from portal.receipts import correction_views  # noqa: E402,F401  (void and amend)
from portal.receipts import handover  # noqa: E402,F401  (hand-over mode: the tablet locked to signing)


@bp.app_context_processor
def _case_receipts():
    from portal.receipts.services import receipts_for_case
    return {"case_receipts": receipts_for_case}
