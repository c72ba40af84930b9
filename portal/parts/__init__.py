from flask import Blueprint
from flask_babel import lazy_gettext as _l

from portal.core import nav, templating
from portal.core.roles import ALL_ROLES, Role
from portal.parts.models import MovementKind, RequisitionState
from portal.repairs.actions import register_section

bp = Blueprint("parts", __name__, url_prefix="/parts")

SCHEDULE_READ = ALL_ROLES                                   # technicians show it, operators quote it
SCHEDULE_EDIT = frozenset({Role.manager})
KEEPERS = frozenset({Role.warehouse, Role.manager})         # stock and the keeper's side of requisitions
REQUISITION_LIST = frozenset({Role.technician, Role.warehouse, Role.manager})
REQUISITION_READ = frozenset({Role.operator, Role.clerk, Role.technician, Role.warehouse, Role.manager})

nav.add("parts.schedule", _l("Fee schedule"), SCHEDULE_READ, order=20)
nav.add("parts.stock", _l("Stock"), KEEPERS, order=21)
nav.add("parts.requisitions", _l("Requisitions"), KEEPERS, order=22)

templating.describe_fields(
    {"code": _l("Code"), "spec": _l("Specification"), "unit": _l("Unit of measure"),
     "unit_price": _l("Unit price (¥)"),
     "stock_qty": _l("On hand"), "reorder_level": _l("Reorder level"), "is_visit_fee": _l("Visit fee"),
     "lines": _l("Parts"), "note": _l("Note")})
templating.describe_fields({}, {"state": RequisitionState}, entity="requisition")
templating.describe_fields({}, {"kind": MovementKind}, entity="stock_movement")
register_section("parts/_case_section.html")

from portal.parts import home, views  # noqa: E402,F401


@bp.app_context_processor
def _parts_page_helpers():
    from portal.parts.services import case_requisitions, can_request_parts
    return {"case_requisitions": case_requisitions, "can_request_parts": can_request_parts}


@bp.app_template_filter("yuan")
def _yuan(value) -> str:
    from portal.parts.services import money
    return money(value)
