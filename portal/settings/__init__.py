from flask import Blueprint
from flask_babel import lazy_gettext as _l

from portal.core import nav
from portal.core.roles import Role

bp = Blueprint("settings", __name__, url_prefix="/settings")

nav.add("settings.edit", _l("Settings"), {Role.manager, Role.admin}, order=910)
nav.add("settings.printer_test", _l("Printer test"), {Role.admin}, order=920)

from portal.settings import views  # noqa: E402,F401
