from flask import Blueprint
from flask_babel import lazy_gettext as _l

from portal.core import nav, templating
from portal.core.roles import Role
from portal.repairs.models import CaseState, Channel, Urgency

bp = Blueprint("repairs", __name__, url_prefix="/cases")

READ = frozenset({Role.operator, Role.clerk, Role.technician, Role.manager, Role.warehouse})
INTAKE = frozenset({Role.operator, Role.clerk, Role.manager})
OFFICE = frozenset({Role.clerk, Role.manager})

nav.add("repairs.index", _l("Repair cases"), {Role.operator, Role.clerk, Role.manager}, order=5)
nav.add("repairs.intake", _l("New repair call"), INTAKE, order=4)
nav.add("repairs.overdue", _l("Overdue board"), OFFICE, order=6)

templating.describe_fields(
    {"channel": _l("Channel"), "caller_name": _l("Caller"), "caller_phone": _l("Caller's phone"),
     "symptom": _l("Fault symptom"), "probable_cause": _l("Probable cause"), "parts_to_prepare": _l("Parts to prepare"),
     "urgency": _l("Urgency"), "state": _l("State"), "guidance_notes": _l("Guidance given")},
    {"channel": Channel, "urgency": Urgency})
templating.describe_fields({}, {"state": CaseState}, entity="repair_case")

from portal.repairs import home, views  # noqa: E402,F401


@bp.app_context_processor
def _case_page_helpers():
    from portal.repairs.actions import case_sections
    return {"case_sections": case_sections}
