"""Closed months' KPI counts, kept per process while their stamp holds (portal/reports/models.py KpiStamp).

A process asks for the stamps of the months it wants (one small query), reuses the counts it has for a
month whose token is unchanged, and recomputes the others. Counts are stored for the whole department;
a technician's view filters them. A month counts as closed a full day after its end, so a write that was
under way at midnight is in the counts before anyone keeps them.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import date
from operator import add

from flask import current_app
from sqlalchemy import select

from portal.extensions import db
from portal.reports.models import KpiStamp


@dataclass(frozen=True)
class MonthCounts:
    """One month's counts: per (local day, technician) and summed per technician for the whole month."""
    first: date
    cases: list[tuple[int, int | None, list[int]]]       # (yyyymmdd, technician, services.CASE_COUNTS)
    complaints: list[tuple[int, int | None, int]]         # (yyyymmdd, technician, service-caused complaints)
    followups: tuple[int, int]                            # (due, on time); the department's only
    case_totals: dict[int | None, list[int]] = field(default_factory=dict)
    complaint_totals: dict[int | None, int] = field(default_factory=dict)

    @classmethod
    def build(cls, first: date, cases: list, complaints: list, followups: tuple[int, int]) -> "MonthCounts":
        case_totals: dict[int | None, list[int]] = {}
        for _day, tech, values in cases:
            known = case_totals.get(tech)
            case_totals[tech] = list(values) if known is None else list(map(add, known, values))
        complaint_totals: dict[int | None, int] = {}
        for _day, tech, count in complaints:
            complaint_totals[tech] = complaint_totals.get(tech, 0) + count
        return cls(first, cases, complaints, followups, case_totals, complaint_totals)

    def only(self, technician_id: int) -> "MonthCounts":
        return MonthCounts.build(self.first, [row for row in self.cases if row[1] == technician_id],
                                 [row for row in self.complaints if row[1] == technician_id], (0, 0))


def _store() -> tuple[dict[int, tuple[int, MonthCounts]], threading.Lock]:
    extensions = current_app.extensions
    if "kpi_cache" not in extensions:
        extensions["kpi_cache"] = ({}, threading.Lock())
    return extensions["kpi_cache"]


def month_key(first: date) -> int:
    return first.year * 100 + first.month


def tokens(months: list[date]) -> dict[int, int]:
    """The current token of each month (0: never stamped). Read BEFORE the counts, so counts read
    later are at least as new as the token they are kept under."""
    keys = [month_key(m) for m in months]
    found = dict(db.session.execute(select(KpiStamp.month, KpiStamp.token).where(KpiStamp.month.in_(keys))).all())
    return {key: found.get(key, 0) for key in keys}


def get(first: date, token: int) -> MonthCounts | None:
    entries, _lock = _store()
    held = entries.get(month_key(first))
    return held[1] if held is not None and held[0] == token else None


def put(first: date, token: int, counts: MonthCounts) -> None:
    entries, lock = _store()
    with lock:
        entries[month_key(first)] = (token, counts)


def clear() -> None:
    entries, lock = _store()
    with lock:
        entries.clear()

