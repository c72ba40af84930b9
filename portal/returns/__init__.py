"""Product returns (W5): the return slip from request to resolution, and the returns ledger."""
from flask import Blueprint

bp = Blueprint("returns", __name__, url_prefix="/returns")
