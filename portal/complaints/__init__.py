"""Complaints (W6): the complaint form from receipt to the customer's opinion, on a one-week clock."""
from flask import Blueprint

bp = Blueprint("complaints", __name__, url_prefix="/complaints")
