"""Carry-in workshop repairs (W2): goods receipt, in/out register, repair card, inspection and hand-back."""
from flask import Blueprint

bp = Blueprint("carryin", __name__, url_prefix="/carryin")
