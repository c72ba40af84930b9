"""KPI columns denormalised onto repair_case, and the covering indexes the KPI queries read.

The KPI page aggregates a year of cases (a third of a million rows at the department's scale) in one
grouped query. Comparing timestamps or bucketing them by local day row by row costs SQLite several
microseconds per row, so each case carries small integers derived from its own columns, and one index
holds every one of them in the order the query groups by:

  kpi_day           local day the call was received, as yyyymmdd (NULL for a cancelled case: it counts
                    nowhere, not even as a case in the complaint rate)
  kpi_ontime        on site: 1 if at or before onsite_due_at (the promised time, moved by an appointment the
                    customer agreed to), else 0; NULL while nobody has been on site
  kpi_dispatch_ok   dispatched: 1 if at or before dispatch_due_at (the dispatch limit), else 0; NULL before
  kpi_response_min  minutes from the call to arrival on site
  kpi_repair_min    minutes from arrival on site to the finished repair (receipt ready for signature)
  rating            the customer's rating on the last signed repair receipt (core.signing.RATINGS, 1…5),
                    written by receipts.services.receipt_sign

The kpi_* values are pure functions of the row's own columns: derive() computes them, the mapper
events below keep them in step on every insert and update through the ORM, migration c7c0kpi00001
back-fills them, and bench/dataset.py writes them for its bulk rows.

The columns are declared here rather than in portal/repairs/models.py because they belong to the
reports; SQLAlchemy's declarative mapping accepts attributes added to a mapped class after it is built.
"""
from __future__ import annotations

import secrets
from datetime import datetime, timezone
from typing import Any, Iterable

from sqlalchemy import BigInteger, Connection, Index, Integer, SmallInteger, event, inspect, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Mapped, mapped_column

from portal.complaints.models import Complaint
from portal.core.timeutil import as_local, utcnow
from portal.extensions import db
from portal.repairs.models import CaseState, RepairCase
from portal.visits.models import FollowUp

RepairCase.rating = mapped_column(SmallInteger, nullable=True)
RepairCase.kpi_day = mapped_column(Integer, nullable=True)
RepairCase.kpi_ontime = mapped_column(SmallInteger, nullable=True)
RepairCase.kpi_dispatch_ok = mapped_column(SmallInteger, nullable=True)
RepairCase.kpi_response_min = mapped_column(Integer, nullable=True)
RepairCase.kpi_repair_min = mapped_column(Integer, nullable=True)

_case = RepairCase.__table__.c
# Grouped by (kpi_day, technician_id) in index order: no sort, no table lookups.
KPI_INDEX = Index("ix_repair_case_kpi", _case.kpi_day, _case.technician_id, _case.kpi_ontime, _case.kpi_dispatch_ok,
                  _case.rating, _case.kpi_response_min, _case.kpi_repair_min)
_follow = FollowUp.__table__.c
# Follow-ups on time: ranges of due_at counted from the index alone.
FOLLOWUP_INDEX = Index("ix_follow_up_kpi", _follow.due_at, _follow.done_at, _follow.state)

KPI_COLUMNS = ("kpi_day", "kpi_ontime", "kpi_dispatch_ok", "kpi_response_min", "kpi_repair_min")


def _utc(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment


def _minutes(start: datetime | None, end: datetime | None) -> int | None:
    if start is None or end is None:
        return None
    return max(0, int((end - start).total_seconds() // 60))


def day_number(moment: datetime) -> int:
    day = as_local(moment).date()
    return day.year * 10000 + day.month * 100 + day.day


def derive(*, state: Any, received_at: datetime | None, dispatched_at: datetime | None,
           dispatch_due_at: datetime | None, on_site_at: datetime | None, onsite_due_at: datetime | None,
           completed_at: datetime | None) -> dict[str, int | None]:
    """The kpi_* values of one case (times aware or naive UTC)."""
    received, dispatched, on_site = _utc(received_at), _utc(dispatched_at), _utc(on_site_at)
    dispatch_due, onsite_due, completed = _utc(dispatch_due_at), _utc(onsite_due_at), _utc(completed_at)
    cancelled = state is not None and CaseState(state) is CaseState.cancelled
    return {
        "kpi_day": None if cancelled or received is None else day_number(received),
        "kpi_ontime": None if on_site is None else int(onsite_due is None or on_site <= onsite_due),
        "kpi_dispatch_ok": None if dispatched is None else int(dispatch_due is None or dispatched <= dispatch_due),
        "kpi_response_min": _minutes(received, on_site),
        "kpi_repair_min": _minutes(on_site, completed),
    }


def derive_case(case: RepairCase) -> dict[str, int | None]:
    return derive(state=case.state, received_at=case.received_at, dispatched_at=case.dispatched_at,
                  dispatch_due_at=case.dispatch_due_at, on_site_at=case.on_site_at, onsite_due_at=case.onsite_due_at,
                  completed_at=case.completed_at)


@event.listens_for(RepairCase, "before_insert")
@event.listens_for(RepairCase, "before_update")
def _keep_kpi_columns(_mapper, _connection, case: RepairCase) -> None:
    for name, value in derive_case(case).items():
        if getattr(case, name) != value:
            setattr(case, name, value)


# --- stamps of closed months ------------------------------------------------------------------------
# The KPI page and the manager's home page read twelve months; eleven of them are closed and rarely
# change (a late rating, a complaint about an old job, a follow-up called late). portal/reports/cache.py
# keeps a closed month's counts per process and reuses them while the month's stamp is unchanged.
# Every write that can change a closed month's counts gives that month a new random token here, so
# all processes (gunicorn workers, several app servers) see the change. The running month is never
# cached and never stamped: its rows change all day and a hot row would make writers wait for each other.

class KpiStamp(db.Model):
    __tablename__ = "kpi_stamp"

    month: Mapped[int] = mapped_column(Integer, primary_key=True)     # yyyymm, local
    token: Mapped[int] = mapped_column(BigInteger)                   # random; a new one on every change


def _month(moment: datetime | int | None) -> int | None:
    if moment is None:
        return None
    if isinstance(moment, int):
        return moment // 100
    return day_number(_utc(moment)) // 100


def _stamped_before() -> int:
    """Months before this one are stamped. Demo data and tests travel in time; the real clock and the
    travelled one both count, so a month either of them calls closed is never cached unstamped."""
    latest = max(utcnow(), datetime.now(timezone.utc))
    return _month(latest)


def stamp_months(connection: Connection, months: Iterable[int | None]) -> None:
    limit = _stamped_before()
    table = KpiStamp.__table__
    upsert = postgresql_insert if connection.dialect.name == "postgresql" else sqlite_insert
    for month in sorted({m for m in months if m is not None and m < limit}):
        token = secrets.randbits(62)
        connection.execute(upsert(table).values(month=month, token=token)
                           .on_conflict_do_update(index_elements=[table.c.month], set_={"token": token}))


def _old_values(target: Any, name: str) -> list[Any]:
    return list(inspect(target).attrs[name].history.deleted or ())


def _changed(target: Any, names: Iterable[str]) -> bool:
    attrs = inspect(target).attrs
    return any(attrs[name].history.has_changes() for name in names)


CASE_COUNTED = ("kpi_day", "technician_id", "kpi_ontime", "kpi_dispatch_ok", "rating", "kpi_response_min",
                "kpi_repair_min")
COMPLAINT_COUNTED = ("received_at", "caused_by_service", "responsible_user_id", "case_id")
FOLLOW_UP_COUNTED = ("due_at", "done_at", "state")


def _case_months(connection: Connection, case: RepairCase) -> list[int | None]:
    months = [_month(case.kpi_day), *(_month(day) for day in _old_values(case, "kpi_day"))]
    if _old_values(case, "technician_id"):
        # Its service-caused complaints count against the case's technician unless someone else was found
        # responsible: their months change too.
        received = connection.execute(select(Complaint.received_at).where(
            Complaint.case_id == case.id, Complaint.caused_by_service.is_(True))).scalars()
        months += [_month(moment) for moment in received]
    return months


def _complaint_months(_connection: Connection, complaint: Complaint) -> list[int | None]:
    return [_month(complaint.received_at), *(_month(m) for m in _old_values(complaint, "received_at"))]


def _follow_up_months(_connection: Connection, follow_up: FollowUp) -> list[int | None]:
    return [_month(follow_up.due_at), *(_month(m) for m in _old_values(follow_up, "due_at"))]


def _listen(model: type, counted: tuple[str, ...], months) -> None:
    def written(_mapper, connection: Connection, target: Any) -> None:
        if _changed(target, counted):
            stamp_months(connection, months(connection, target))

    def deleted(_mapper, connection: Connection, target: Any) -> None:
        stamp_months(connection, months(connection, target))

    event.listen(model, "after_insert", written)
    event.listen(model, "after_update", written)
    event.listen(model, "after_delete", deleted)


_listen(RepairCase, CASE_COUNTED, _case_months)
_listen(Complaint, COMPLAINT_COUNTED, _complaint_months)
_listen(FollowUp, FOLLOW_UP_COUNTED, _follow_up_months)
