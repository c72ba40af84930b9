from flask import Blueprint
from flask_babel import lazy_gettext as _l

from portal.core import nav
from portal.core.roles import ALL_ROLES, Role

bp = Blueprint("accounts", __name__)

nav.add("accounts.home", _l("Home"), ALL_ROLES, order=0)
nav.add("accounts.users", _l("Users"), {Role.admin}, order=900)

from portal.accounts import views  # noqa: E402,F401
