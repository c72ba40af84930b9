"""Demo data for the visits family, made through the family's own services."""
from __future__ import annotations


def load_visits_demo() -> None:
    return None
