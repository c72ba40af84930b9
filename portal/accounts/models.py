from __future__ import annotations

import hashlib
import hmac

from flask import current_app
from flask_login import UserMixin
from sqlalchemy import Boolean, Enum, String
from sqlalchemy.orm import Mapped, mapped_column

from portal.core.models import TimestampMixin, VersionedMixin
from portal.core.roles import Role
from portal.extensions import db

USERNAME_MAX = 40
DISPLAY_NAME_MAX = 60


class User(UserMixin, TimestampMixin, VersionedMixin, db.Model):
    __tablename__ = "user"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(USERNAME_MAX), unique=True)
    display_name: Mapped[str] = mapped_column(String(DISPLAY_NAME_MAX))
    role: Mapped[Role] = mapped_column(Enum(Role, native_enum=False, length=20))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    preferred_language: Mapped[str | None] = mapped_column(String(8))
    password_hash: Mapped[str] = mapped_column(String(255))

    @property
    def is_active(self) -> bool:
        return self.active

    def get_id(self) -> str:
        # What the session stores: the id and a fingerprint of the password hash, so a new password
        # ends the user's other sessions (portal.accounts.services.load_user compares it).
        return f"{self.id}.{password_fingerprint(self.password_hash)}"

    def __repr__(self) -> str:
        return f"<User {self.username} {self.role}>"


def password_fingerprint(password_hash: str) -> str:
    """Keyed, so the session cookie (signed, not encrypted) tells nothing about the hash."""
    key = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(key, (password_hash or "").encode(), hashlib.sha256).hexdigest()[:20]
