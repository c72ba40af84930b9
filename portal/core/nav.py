"""Navigation entries by role; each family adds its own in its blueprint module."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from portal.core.roles import Role


@dataclass(frozen=True)
class NavItem:
    endpoint: str
    label: Any  # lazy gettext string
    roles: frozenset[Role]
    order: int = 100


NAV: list[NavItem] = []


def add(endpoint: str, label: Any, roles, order: int = 100) -> None:
    if not any(item.endpoint == endpoint for item in NAV):
        NAV.append(NavItem(endpoint, label, frozenset(roles), order))
        NAV.sort(key=lambda item: item.order)


def for_role(role: Role | None) -> list[NavItem]:
    return [item for item in NAV if role in item.roles]
