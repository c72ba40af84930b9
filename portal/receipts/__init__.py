from flask import Blueprint

bp = Blueprint("receipts", __name__, url_prefix="/receipts")

from portal.receipts import views  # noqa: E402,F401
