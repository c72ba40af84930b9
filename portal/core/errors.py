"""Domain errors raised by services; the web layer maps each to a status and a message."""
from __future__ import annotations

from typing import Any


class DomainError(Exception):
    status = 409

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class InvalidTransition(DomainError):
    def __init__(self, message: str, *, obj: Any, current: Any, target: Any, allowed: list[Any]):
        super().__init__(message)
        self.obj, self.current, self.target, self.allowed = obj, current, target, allowed


class FrozenRecord(DomainError):
    """The record is signed or archived; no edit path may change it."""


class EditConflict(DomainError):
    """Someone saved the record after this form was loaded; nothing was written."""

    def __init__(self, message: str, *, obj: Any, theirs: dict[str, Any], submitted_version: int):
        super().__init__(message)
        self.obj, self.theirs, self.submitted_version = obj, theirs, submitted_version


class ValidationFailed(DomainError):
    """A rule that needs the database (uniqueness, stock) failed; errors are keyed by field."""
    status = 422

    def __init__(self, message: str, *, errors: dict[str, list[str]] | None = None):
        super().__init__(message)
        self.errors = errors or {}
