"""Deny by default: every endpoint declares who may use it, or it answers 403 to everyone.

A view is marked with @roles(...) or @public; the before_request hook reads the mark.
tests/test_access.py walks the URL map so an unmarked endpoint fails the suite.
"""
from __future__ import annotations

from typing import Callable, Iterable, TypeVar

from flask import abort, current_app, redirect, request, url_for
from flask_login import current_user, logout_user

from portal.core import htmx
from portal.core.roles import ALL_ROLES, Role

F = TypeVar("F", bound=Callable)
PUBLIC = "public"
ACCESS_ATTR = "portal_access"


def roles(*allowed: Role | Iterable[Role]) -> Callable[[F], F]:
    flat: set[Role] = set()
    for item in allowed:
        flat.update(item if not isinstance(item, Role) else (item,))

    def mark(view: F) -> F:
        setattr(view, ACCESS_ATTR, frozenset(flat))
        return view
    return mark


def staff(view: F) -> F:
    return roles(ALL_ROLES)(view)


def public(view: F) -> F:
    setattr(view, ACCESS_ATTR, PUBLIC)
    return view


def declared_access(endpoint: str) -> frozenset[Role] | str | None:
    if endpoint == "static":
        return PUBLIC
    view = current_app.view_functions.get(endpoint)
    return getattr(view, ACCESS_ATTR, None)


def enforce_access():
    if request.endpoint is None:
        return None  # routing failed; the 404/405 handler answers
    access = declared_access(request.endpoint)
    if access == PUBLIC:
        return None
    if access is None:
        current_app.logger.error("endpoint %s declares no roles; refused", request.endpoint)
        abort(403)
    if not current_user.is_authenticated:
        target = url_for("accounts.login", next=request.full_path.rstrip("?") if request.method == "GET" else None)
        return htmx.redirect(target) if htmx.is_htmx() else redirect(target)
    if not current_user.active:
        logout_user()
        return redirect(url_for("accounts.login"))
    if current_user.role not in access:
        abort(403)
    return None
