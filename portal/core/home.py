"""The home page is a dashboard per role, assembled from panels that each family registers
(as the case page is assembled from sections): the operator sees today's calls, the clerk what to
dispatch and to call back, the technician today's jobs, the keeper what to issue, the manager the KPIs."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from portal.core.roles import Role


@dataclass(frozen=True)
class Panel:
    name: str
    roles: frozenset[Role]
    template: str
    context: Callable[[Any], dict[str, Any]]   # called with the signed-in user; read-only queries
    order: int = 100
    wide: bool = False                         # spans the whole row (tables, charts)


PANELS: list[Panel] = []


def register(name: str, roles, template: str, context: Callable[[Any], dict[str, Any]], *, order: int = 100,
             wide: bool = False) -> None:
    if not any(panel.name == name for panel in PANELS):
        PANELS.append(Panel(name, frozenset(roles), template, context, order, wide))
        PANELS.sort(key=lambda panel: (panel.order, panel.name))


def panels_for(user: Any) -> list[tuple[Panel, dict[str, Any]]]:
    role = getattr(user, "role", None)
    return [(panel, panel.context(user)) for panel in PANELS if role in panel.roles]


def rendered_for(user: Any) -> list[tuple[Panel, Any]]:
    """Each panel's HTML: panels bring their own context, which a Jinja include cannot take."""
    from flask import render_template
    from markupsafe import Markup

    return [(panel, Markup(render_template(panel.template, **context)))  # nosec B704  # autoescaped template output
            for panel, context in panels_for(user)]
