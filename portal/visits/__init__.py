"""Visits and follow-ups (W7): visit schedules per key customer, visit records, the monthly summary;
and the follow-up calls after each signed or phone-guided case (回访记录, F10)."""
from flask import Blueprint, url_for
from flask_babel import lazy_gettext as _l

from portal.core import nav, templating
from portal.core.roles import Role
from portal.repairs.actions import Step, register_hold, register_link, register_section
from portal.repairs.models import CaseState
from portal.visits.models import FollowUpKind, FollowUpState, VisitFrequency

bp = Blueprint("visits", __name__, url_prefix="/visits")

READ = frozenset({Role.clerk, Role.manager, Role.technician})   # technicians look up what a customer said
EDIT = frozenset({Role.clerk, Role.manager})                    # the clerk keeps the visit file (内勤)

nav.add("visits.index", _l("Visits"), READ, order=40)
nav.add("visits.followups", _l("Follow-ups"), EDIT, order=8)  # the clerk calls and records (售后内勤)

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
templating.describe_actions({"visited": _l("visited"), "done": _l("done"), "unanswered": _l("call not answered")})
templating.describe_fields(
    {"attempt": _l("Follow-up no."), "due_at": _l("Due"), "done_at": _l("Call made at"),
     "reached_name": _l("Person reached"), "solved": _l("Problem solved"), "rating": _l("Satisfaction")},
    {"kind": FollowUpKind, "state": FollowUpState}, entity="follow_up")
register_section("visits/_case_section.html")


def _open_followup(case):
    from portal.visits.followups import open_followups
    found = open_followups(case)
    return found[0] if found else None


# While the follow-up call is still to be made, the case is closed by recording it (a satisfied
# answer closes it, an unsatisfied one sends it back), not by a bare "close" button.
register_hold(CaseState.closed, lambda case: _open_followup(case) is not None)
register_link(Step(CaseState.closed, _l("Record the follow-up call"), EDIT, style="button primary",
                   url=lambda case: url_for("visits.followup", followup_id=_open_followup(case).id),
                   when=lambda case: _open_followup(case) is not None))
templating.DOCUMENT_TYPES["visit"] = _l("Key-customer visit record (回访档案)")
templating.register_source("visit", lambda visit_id: url_for("visits.show", visit_id=visit_id),
                           _l("The visit record"))

from portal.visits import home, views  # noqa: E402,F401


@bp.app_context_processor
def _case_followups():
    from portal.core.forms import RATING_CHOICES
    from portal.visits.followups import MAX_UNANSWERED, case_followups, due_level
    ratings = dict(RATING_CHOICES)
    return {"case_followups": case_followups, "followup_level": due_level, "followup_max_unanswered": MAX_UNANSWERED,
            "fu_rating_label": lambda value: str(ratings.get(value, "—"))}
