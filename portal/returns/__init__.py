"""Product returns (W5): the return slip from request to resolution, and the returns ledger."""
from flask import Blueprint, url_for
from flask_babel import lazy_gettext as _l

from portal.archive import kiosks
from portal.core import nav, templating
from portal.core.roles import Role
from portal.returns.models import Resolution, Responsibility, ReturnOutcome, ReturnReason, ReturnState

bp = Blueprint("returns", __name__, url_prefix="/returns")

READ = frozenset({Role.operator, Role.clerk, Role.warehouse, Role.technician, Role.manager})
REQUEST = frozenset({Role.operator, Role.clerk, Role.manager})
REVIEW = frozenset({Role.manager})
RECEIVE = frozenset({Role.warehouse, Role.manager})
INSPECT = frozenset({Role.technician, Role.manager})
OFFICE = frozenset({Role.clerk, Role.manager})

nav.add("returns.index", _l("Returns"), READ, order=40)
nav.add("returns.ledger_page", _l("Returns ledger"), OFFICE, order=41)

templating.DOCUMENT_TYPES["return_slip"] = _l("Return slip (售后服务信息反馈表 / 退货单)")
templating.register_source("return_slip", lambda slip_id: url_for("returns.show", slip_id=slip_id),
                           _l("The return slip"))
templating.describe_fields(
    {"equipment_id": _l("Registered unit"), "product_type_id": _l("Product type"), "model": _l("Model"),
     "serial": _l("Serial number"), "sale_reference": _l("Sale reference"), "sale_date": _l("Sale date"),
     "quantity_sold": _l("Quantity sold"), "quantity": _l("Quantity returned"), "reason": _l("Reason"),
     "description": _l("Description"), "outcome": _l("Requested outcome")},
    {"reason": ReturnReason, "outcome": ReturnOutcome, "responsibility": Responsibility, "resolution": Resolution})
templating.describe_fields({}, {"state": ReturnState}, entity="return_slip")
templating.describe_actions({"photo_added": _l("photo added"), "photo_removed": _l("photo removed")})


def _kiosk_adapter() -> kiosks.Signable:
    from portal.returns import services
    from portal.returns.forms import ReturnSignForm

    def sign(document, **kwargs):
        return services.slip_sign(slip=document, **kwargs)

    return kiosks.Signable(label=_l("Return slip"), load=services.get_slip, form=ReturnSignForm,
                           signable=lambda slip: slip.state is ReturnState.resolved,
                           template="returns/_kiosk_document.html", sign=sign,
                           intro=_l("Please check how your return was handled, then sign to confirm that you "
                                    "received it."),
                           pdf_url=lambda slip: url_for("returns.pdf", slip_id=slip.id),
                           page_url=lambda slip: url_for("returns.show", slip_id=slip.id))


kiosks.ADAPTERS["return_slip"] = _kiosk_adapter

from portal.returns import views  # noqa: E402,F401
from portal.returns import handover  # noqa: E402,F401  (the clerk's tablet handed to the customer)
