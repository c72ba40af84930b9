"""Demo data for the complaints family, made through the family's own services."""
from __future__ import annotations


def load_complaints_demo() -> None:
    return None
