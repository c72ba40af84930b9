from flask import Blueprint

bp = Blueprint("parts", __name__, url_prefix="/parts")

from portal.parts import views  # noqa: E402,F401
