from flask import Blueprint
from flask_babel import lazy_gettext as _l

from portal.core import nav, templating
from portal.core.roles import ALL_ROLES, Role

bp = Blueprint("accounts", __name__)

nav.add("accounts.home", _l("Home"), ALL_ROLES, order=0)
nav.add("accounts.users", _l("Users"), {Role.admin}, order=900)
templating.describe_fields(
    {"username": _l("Username"), "display_name": _l("Display name"), "role": _l("Role"),
     "preferred_language": _l("Language"), "active": _l("Active"), "password_hash": _l("Password")},
    {"role": Role})
templating.describe_actions({"password_changed": _l("password changed")})

from portal.accounts import views  # noqa: E402,F401
