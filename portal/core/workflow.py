"""States: each model declares its transitions in one StateMachine; `transition` is the only way
to move a record, and it checks, sets the state and its timestamp, and writes the audit entry."""
from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, Mapping, TypeVar

from flask_babel import gettext as _

from portal.core import audit
from portal.core.errors import InvalidTransition
from portal.core.timeutil import utcnow
from portal.extensions import db

S = TypeVar("S", bound=enum.Enum)


class StateMachine(Generic[S]):
    def __init__(self, transitions: Mapping[S, set[S] | frozenset[S]], *,
                 timestamps: Mapping[S, str] | None = None):
        self.transitions = {state: frozenset(targets) for state, targets in transitions.items()}
        self.timestamps = dict(timestamps or {})

    def allowed(self, current: S) -> list[S]:
        members = list(type(current))
        return sorted(self.transitions.get(current, frozenset()), key=members.index)

    def can(self, current: S, target: S) -> bool:
        return target in self.transitions.get(current, frozenset())

    def pairs(self) -> list[tuple[S, S]]:
        return [(a, b) for a, targets in self.transitions.items() for b in targets]


@dataclass(frozen=True)
class StateChange:
    old: Any
    new: Any
    at: datetime


def state_label(state: enum.Enum) -> str:
    return str(getattr(state, "label", state.value))


def transition(obj: Any, target: S, *, actor: Any, note: str | None = None) -> StateChange:
    """Move obj to `target` if its model's workflow allows it from the current state.

    Sets obj.state, obj.state_changed_at and the per-state timestamp column when declared,
    flushes, and writes `<table>.<target>` to the audit trail. Raises InvalidTransition.
    """
    machine: StateMachine = type(obj).workflow
    current = obj.state
    if not machine.can(current, target):
        allowed = machine.allowed(current)
        names = "、".join(state_label(s) for s in allowed) or _("none")
        raise InvalidTransition(
            _("Cannot go from “%(current)s” to “%(target)s”. Allowed from here: %(allowed)s.",
              current=state_label(current), target=state_label(target), allowed=names),
            obj=obj, current=current, target=target, allowed=allowed)
    now = utcnow()
    obj.state = target
    obj.state_changed_at = now
    if target in machine.timestamps:
        setattr(obj, machine.timestamps[target], now)
    db.session.flush()
    audit.record(f"{type(obj).__tablename__}.{target.value}", obj, actor=actor,
                 changes={"state": [current.value, target.value]}, note=note)
    return StateChange(current, target, now)
