from __future__ import annotations

import enum

from flask_babel import lazy_gettext as _l


class Role(enum.StrEnum):
    operator = "operator"
    clerk = "clerk"
    technician = "technician"
    warehouse = "warehouse"
    manager = "manager"
    admin = "admin"

    @property
    def label(self) -> str:
        return str(ROLE_LABELS[self])


ROLE_LABELS = {
    Role.operator: _l("Hotline operator"),
    Role.clerk: _l("Office clerk"),
    Role.technician: _l("Technician"),
    Role.warehouse: _l("Warehouse keeper"),
    Role.manager: _l("Department manager"),
    Role.admin: _l("Administrator"),
}

ALL_ROLES: frozenset[Role] = frozenset(Role)
OFFICE_ROLES: frozenset[Role] = frozenset({Role.operator, Role.clerk, Role.manager, Role.admin})
