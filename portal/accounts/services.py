"""Account verbs: each checks, mutates, flushes and writes the audit entry; the view commits."""
from __future__ import annotations

import hmac
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select
from werkzeug.security import check_password_hash, generate_password_hash

from portal.accounts.models import User, password_fingerprint
from portal.core import audit
from portal.core.conflicts import apply_update
from portal.core.errors import DomainError, ValidationFailed
from portal.core.i18n import LANGUAGE_NAMES
from portal.core.roles import Role
from portal.extensions import db

_DUMMY_HASH: str | None = None


def load_user(user_id: str) -> User | None:
    """The session's user: `<id>.<password fingerprint>` (User.get_id) stops working once the
    password changes. A bare id (sessions from before fingerprints) is still accepted."""
    ident, _sep, fingerprint = user_id.partition(".")
    user = db.session.get(User, int(ident)) if ident.isdigit() else None
    if user is None or not user.active:
        return None
    if fingerprint and not hmac.compare_digest(fingerprint, password_fingerprint(user.password_hash)):
        return None
    return user


def find_by_username(username: str) -> User | None:
    return db.session.scalar(select(User).where(func.lower(User.username) == username.strip().lower()))


def hash_password(password: str) -> str:
    return generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])


def authenticate(*, username: str, password: str) -> tuple[User | None, bool]:
    """Return (user, password_ok). Unknown users still pay for one hash check, so the answer
    time does not tell an attacker which usernames exist."""
    global _DUMMY_HASH
    user = find_by_username(username)
    if user is None:
        _DUMMY_HASH = _DUMMY_HASH or hash_password("not a real password")
        check_password_hash(_DUMMY_HASH, password)
        return None, False
    return user, check_password_hash(user.password_hash, password)


def _check_username_free(username: str, *, exclude: User | None = None) -> None:
    existing = find_by_username(username)
    if existing is not None and existing is not exclude:
        raise ValidationFailed(_("This username is taken."),
                               errors={"username": [_("This username is taken.")]})


def _language(value: str | None) -> str | None:
    if value and value not in LANGUAGE_NAMES:
        raise ValidationFailed(_("Unknown language."), errors={"preferred_language": [_("Unknown language.")]})
    return value or None


def user_create(*, username: str, display_name: str, role: Role, password: str,
                preferred_language: str | None = None, actor: Any = None) -> User:
    _check_username_free(username)
    user = User(username=username.strip(), display_name=display_name.strip(), role=Role(role),
                active=True, preferred_language=_language(preferred_language),
                password_hash=hash_password(password))
    db.session.add(user)
    db.session.flush()
    audit.record_created(user, actor=actor,
                         fields=("username", "display_name", "role", "preferred_language"))
    return user


def user_update(*, user: User, username: str, display_name: str, role: Role,
                preferred_language: str | None, expected_version: int | None, actor: Any) -> dict:
    _check_username_free(username, exclude=user)
    if user.id == getattr(actor, "id", None) and Role(role) != user.role:
        raise DomainError(_("You cannot change your own role."))
    values = {"username": username.strip(), "display_name": display_name.strip(), "role": Role(role),
              "preferred_language": _language(preferred_language)}
    return apply_update(user, values, expected_version=expected_version, actor=actor)


def user_set_active(*, user: User, active: bool, actor: Any) -> None:
    if user.id == getattr(actor, "id", None) and not active:
        raise DomainError(_("You cannot deactivate your own account."))
    if user.active == active:
        return
    user.active = active
    audit.record("user.activated" if active else "user.deactivated", user, actor=actor,
                 changes={"active": [not active, active]})
    db.session.flush()


def user_reset_password(*, user: User, password: str, actor: Any) -> None:
    """The administrator sets a password; the user's sessions elsewhere end (see load_user)."""
    user.password_hash = hash_password(password)
    audit.record("user.password_reset", user, actor=actor)
    db.session.flush()


def user_change_password(*, user: User, current: str, password: str) -> None:
    """The user changes their own password, proving the current one; their other sessions end.
    The strength rules are the form's (accounts.forms.password_problem)."""
    if not check_password_hash(user.password_hash, current or ""):
        message = _("This is not your current password.")
        raise ValidationFailed(message, errors={"current": [message]})
    if check_password_hash(user.password_hash, password):
        message = _("Choose a password different from the current one.")
        raise ValidationFailed(message, errors={"password": [message]})
    user.password_hash = hash_password(password)
    audit.record("user.password_changed", user, actor=user)
    db.session.flush()


def user_set_language(*, user: User, language: str, actor: Any) -> None:
    user.preferred_language = _language(language)
    audit.record_updated(user, actor=actor)
    db.session.flush()


def login_recorded(*, user: User) -> None:
    audit.record("user.login", user, actor=user)
    db.session.flush()


def users_list(*, q: str = "", role: str = "", status: str = "") -> list[User]:
    query = select(User).order_by(User.active.desc(), User.role, User.username)
    if q:
        like = f"%{q.strip()}%"
        query = query.where(User.username.ilike(like) | User.display_name.ilike(like))
    if role in Role.__members__:
        query = query.where(User.role == Role(role))
    if status in ("active", "inactive"):
        query = query.where(User.active.is_(status == "active"))
    return list(db.session.scalars(query))
