from flask import Blueprint

bp = Blueprint("dispatch", __name__, url_prefix="/dispatch")

from portal.dispatch import views  # noqa: E402,F401
