"""Complaints (W6): the complaint form from receipt to the customer's opinion, on a one-week clock."""
from flask import Blueprint, url_for
from flask_babel import lazy_gettext as _l

from portal.complaints.models import ComplaintState, ResponsibleKind
from portal.core import nav, templating
from portal.core.roles import Role
from portal.repairs.actions import register_section

bp = Blueprint("complaints", __name__, url_prefix="/complaints")

REGISTER = frozenset({Role.operator, Role.clerk, Role.manager})   # whoever takes the call or letter
WORK = frozenset({Role.clerk, Role.manager})                      # investigate, propose, record the opinion
CLOSE = frozenset({Role.manager})

nav.add("complaints.index", _l("Complaints"), REGISTER, order=41)

templating.describe_fields(
    {"customer_id": _l("Customer"), "complainant": _l("Complainant"), "content": _l("Complaint"), "received_at": _l("Received"),
     "case_id": _l("Related case"), "responsible_kind": _l("Responsible party"),
     "responsible_party": _l("Responsible party (name)"), "responsible_user_id": _l("Responsible staff member"),
     "investigation_notes": _l("Investigation"), "solution": _l("Proposed solution"),
     "customer_satisfied": _l("Customer satisfied"), "customer_opinion": _l("Customer's opinion"),
     "caused_by_service": _l("Caused by service"), "compensation_note": _l("Compensation"),
     "compensation_amount": _l("Compensation amount (¥)"), "closing_note": _l("Closing note"),
     "staff": _l("Staff concerned")},
    {"responsible_kind": ResponsibleKind})
templating.describe_fields({}, {"state": ComplaintState}, entity="complaint")
templating.describe_actions({"staff_changed": _l("staff concerned changed")})
templating.DOCUMENT_TYPES["complaint"] = _l("Complaint form (投诉单)")
templating.register_source("complaint", lambda complaint_id: url_for("complaints.show", complaint_id=complaint_id),
                           _l("The complaint"))
register_section("complaints/_case_section.html")

from portal.complaints import home, views  # noqa: E402,F401


@bp.app_context_processor
def _case_complaints():
    from portal.complaints.services import complaint_clock, complaints_for_case
    return {"case_complaints": complaints_for_case, "complaint_clock": complaint_clock}
