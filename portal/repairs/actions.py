"""What the case page offers as next steps. Simple transitions are buttons handled here; steps that
need their own form (dispatching, contact attempts, the receipt) are links that the owning family
registers, so the case page never hard-codes the state graph."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from flask_babel import lazy_gettext as _l

from portal.core.roles import Role
from portal.repairs.models import REOPENS, CaseState, RepairCase

S = CaseState
INTAKE = frozenset({Role.operator, Role.clerk, Role.manager})
OFFICE = frozenset({Role.clerk, Role.manager})


@dataclass(frozen=True)
class Step:
    target: CaseState
    label: Any
    roles: frozenset[Role]
    needs_reason: bool = False
    url: Callable[[RepairCase], str] | None = None  # a form elsewhere; None: a button posting here
    own_job_only: bool = False
    style: str = "button"
    from_states: frozenset[CaseState] | None = None  # only offered from these states
    method: str = "get"  # "post" when following the step creates something
    when: Callable[[RepairCase], bool] | None = None  # offered only while this holds for the case


# Buttons handled by repairs.views.transition
BUTTONS: dict[CaseState, Step] = {
    S.waiting_dispatch: Step(S.waiting_dispatch, _l("Hand over for dispatch"), INTAKE),
    S.closed: Step(S.closed, _l("Close the case"), OFFICE),
    S.cancelled: Step(S.cancelled, _l("Cancel the case"), INTAKE, needs_reason=True, style="button danger"),
    S.on_site: Step(S.on_site, _l("I have arrived on site"), frozenset({Role.technician}), own_job_only=True,
                    style="button primary"),
}
REOPEN_LABEL = _l("Reopen for a new dispatch")
LINKS: dict[CaseState, list[Step]] = {}
# A family may hold back a plain button while its own form must be used instead (e.g. a case with a
# follow-up call still to record is closed through that call, not by hand).
HOLDS: dict[CaseState, list[Callable[[RepairCase], bool]]] = {}


def register_hold(target: CaseState, holds: Callable[[RepairCase], bool]) -> None:
    HOLDS.setdefault(target, []).append(holds)


def register_link(step: Step) -> None:
    """A family offers a form for reaching `step.target` (e.g. dispatch registers the slip form)."""
    LINKS.setdefault(step.target, []).append(step)


def steps_for(case: RepairCase, user: Any) -> list[Step]:
    role = getattr(user, "role", None)
    steps: list[Step] = []
    for target in RepairCase.workflow.allowed(case.state):
        candidates = LINKS.get(target, []) + ([BUTTONS[target]] if target in BUTTONS else [])
        for step in candidates:
            if role not in step.roles or (step.from_states is not None and case.state not in step.from_states):
                continue
            if step.own_job_only and case.technician_id != getattr(user, "id", None):
                continue
            if step.when is not None and not step.when(case):
                continue
            if step.url is None and any(holds(case) for holds in HOLDS.get(target, [])):
                continue
            if (case.state, target) in REOPENS and step.url is None:
                step = Step(target, REOPEN_LABEL, OFFICE, needs_reason=True)
                if role not in step.roles:
                    continue
            steps.append(step)
    return steps


def button_for(case: RepairCase, target: CaseState, user: Any) -> Step | None:
    return next((s for s in steps_for(case, user) if s.target is target and s.url is None), None)


# Sections other families add to the case page (their dispatch slip, requisitions, receipt).
SECTIONS: list[str] = []


def register_section(template: str) -> None:
    if template not in SECTIONS:
        SECTIONS.append(template)


def case_sections(_case: RepairCase) -> list[str]:
    return list(SECTIONS)
