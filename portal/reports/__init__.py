"""Department KPIs (W6 §3.7/§3.8): on-time, satisfaction and complaint rates against the targets,
charts, drill-down to the cases behind each figure, the monthly report and the fine-table events."""
from flask import Blueprint
from flask_babel import lazy_gettext as _l

from portal.core import nav
from portal.core.roles import Role

bp = Blueprint("reports", __name__, url_prefix="/reports")

READ = frozenset({Role.manager, Role.clerk})

nav.add("reports.kpis", _l("KPIs"), {Role.manager}, order=45)

from portal.reports import models  # noqa: E402,F401  (the kpi columns must be mapped before any flush)
from portal.reports.display import TEMPLATE_GLOBALS  # noqa: E402

for _name, _function in TEMPLATE_GLOBALS.items():
    bp.add_app_template_global(_function, _name)

from portal.reports import home, views  # noqa: E402,F401
