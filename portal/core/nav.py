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


# Menus that gather related pages, so a manager's dozen-plus entries fit on one bar; a menu with a
# single entry for the role is shown as that plain link. The layout is the department's, so it lives
# here rather than in each family.
@dataclass(frozen=True)
class Menu:
    key: str
    label: Any
    items: tuple[NavItem, ...]

    @property
    def endpoints(self) -> tuple[str, ...]:
        return tuple(item.endpoint for item in self.items)


def _menus():
    from flask_babel import lazy_gettext as _l
    return {
        "repairs": (_l("Repairs"), ("repairs.intake", "repairs.index", "repairs.overdue", "dispatch.queue",
                                    "carryin.index", "carryin.walk_in")),
        "customers": (_l("Customer care"), ("customers.index", "visits.followups", "visits.index", "complaints.index",
                                            "customers.corrections")),
        "parts": (_l("Parts and fees"), ("parts.schedule", "parts.stock", "parts.requisitions",
                                         "receipts.collections", "receipts.my_collections")),
        "returns": (_l("Returns"), ("returns.index", "returns.ledger_page")),
        "reports": (_l("Reports"), ("reports.kpis", "archive.browse_index")),
        "admin": (_l("Administration"), ("accounts.users", "settings.edit", "settings.printer_test")),
    }


def layout_for(role: Role | None) -> list[NavItem | Menu]:
    items = for_role(role)
    menus = _menus()
    group_of = {endpoint: key for key, (_label, endpoints) in menus.items() for endpoint in endpoints}
    entries: list[NavItem | Menu] = []
    placed: set[str] = set()
    for item in items:
        key = group_of.get(item.endpoint)
        members = [i for i in items if key and group_of.get(i.endpoint) == key]
        if len(members) < 2:
            entries.append(item)
        elif key not in placed:
            placed.add(key)
            order = {endpoint: n for n, endpoint in enumerate(menus[key][1])}
            entries.append(Menu(key, menus[key][0], tuple(sorted(members, key=lambda i: order[i.endpoint]))))
    return entries
