"""Key-customer visits (W7): visit schedules per key customer, visit records, the monthly summary."""
from flask import Blueprint

bp = Blueprint("visits", __name__, url_prefix="/visits")
