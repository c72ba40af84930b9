from flask import Blueprint

bp = Blueprint("archive", __name__)

from portal.archive import views  # noqa: E402,F401
