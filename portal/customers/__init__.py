from flask import Blueprint
from flask_babel import lazy_gettext as _l

from portal.core import nav
from portal.core.roles import Role

bp = Blueprint("customers", __name__, url_prefix="/customers")

READ = frozenset({Role.operator, Role.clerk, Role.technician, Role.manager})
EDIT = frozenset({Role.operator, Role.clerk, Role.manager})
OFFICE = frozenset({Role.clerk, Role.manager})

nav.add("customers.index", _l("Customers"), READ, order=10)
nav.add("customers.corrections", _l("Corrections"), OFFICE, order=80)

from portal.customers import views  # noqa: E402,F401
