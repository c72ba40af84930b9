"""Key-customer visits (W7): visit schedules per key customer, visit records, the monthly summary."""
from flask import Blueprint
from flask_babel import lazy_gettext as _l

from portal.core import nav, templating
from portal.core.roles import Role
from portal.visits.models import VisitFrequency

bp = Blueprint("visits", __name__, url_prefix="/visits")

READ = frozenset({Role.clerk, Role.manager, Role.technician})   # technicians look up what a customer said
EDIT = frozenset({Role.clerk, Role.manager})                    # the clerk keeps the visit file (内勤)

nav.add("visits.index", _l("Visits"), READ, order=40)

templating.describe_fields(
    {"frequency": _l("Visit frequency"), "interval_days": _l("Every how many days"),
     "starts_on": _l("First visit due on"), "responsible_id": _l("Responsible staff"), "active": _l("In use"),
     "last_visit_on": _l("Last visit"), "next_due_on": _l("Next visit due"), "notes": _l("Notes"),
     "visited_on": _l("Visit date"), "region": _l("Region"), "other_visitors": _l("Other visitors"),
     "people_met": _l("People met"), "equipment_usage": _l("Equipment usage"),
     "design_opinion": _l("Opinion on design"), "assembly_opinion": _l("Opinion on assembly"),
     "process_opinion": _l("Opinion on process"), "other_feedback": _l("Other feedback"),
     "followup_needed": _l("Follow-up needed")},
    {"frequency": VisitFrequency})
templating.describe_actions({"visited": _l("visited"), "done": _l("done")})
templating.DOCUMENT_TYPES["visit"] = _l("Key-customer visit record (回访档案)")

from portal.visits import views  # noqa: E402,F401
