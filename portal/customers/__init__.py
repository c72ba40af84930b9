from flask import Blueprint
from flask_babel import lazy_gettext as _l

from portal.core import nav, templating
from portal.core.roles import Role
from portal.customers.models import CustomerKind, LabourTerms, PartsTerms

bp = Blueprint("customers", __name__, url_prefix="/customers")

READ = frozenset({Role.operator, Role.clerk, Role.technician, Role.manager})
EDIT = frozenset({Role.operator, Role.clerk, Role.manager})
OFFICE = frozenset({Role.clerk, Role.manager})

nav.add("customers.index", _l("Customers"), READ, order=10)
nav.add("customers.corrections", _l("Corrections"), OFFICE, order=80)

templating.describe_fields(
    {"number": _l("No."), "name": _l("Name"), "is_organisation": _l("Company or unit"), "kind": _l("Kind"),
     "province": _l("Province"), "city": _l("City"), "district": _l("District"), "street": _l("Street and number"),
     "region": _l("Region"), "key_customer": _l("Key customer"), "notes": _l("Notes"), "contacts": _l("Contacts"),
     "status": _l("Status"), "product_type_id": _l("Product type"), "model": _l("Model"), "serial": _l("Serial number"),
     "purchase_date": _l("Purchase or installation date"), "warranty_months": _l("Warranty months"),
     "warranty_ends_on": _l("Warranty ends"), "agent_id": _l("Sold by agent"), "start_date": _l("Start date"),
     "end_date": _l("End date"), "parts_terms": _l("Parts"), "parts_discount_pct": _l("Parts discount (%)"),
     "labour_terms": _l("Labour and visit fee"), "labour_fee": _l("Fixed fee per visit (¥)"),
     "equipment": _l("Units"), "default_warranty_months": _l("Default warranty (months)"), "active": _l("Active")},
    {"kind": CustomerKind, "parts_terms": PartsTerms, "labour_terms": LabourTerms})

from portal.customers import views  # noqa: E402,F401
from portal.customers import views_io  # noqa: E402,F401
