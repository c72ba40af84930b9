"""The large data set the benchmarks run on (issue 7 point 6, issue 8): 100 000 customers, 200 000 units,
1 000 000 repair cases over three years with their dispatch slips, receipts, signatures (ratings),
follow-ups and complaints, ~20 technicians. A SQLite file under bench/.data/, cached between runs.

    from bench.dataset import ensure_dataset
    path = ensure_dataset()          # builds it the first time (minutes), then returns the cached file

The file is built from the real migrations and loaded with SQLAlchemy Core executemany in chunks (the
services are far too slow for millions of rows), writing exactly the derived columns the services and
events write: document numbers and the number_sequence rows, SLA clocks, the state timestamps, the KPI
columns (portal.reports.models.derive) and the case's rating. Customers, contacts and units come from
bench/customers.py (with its search index).

It is rebuilt only when GENERATOR_VERSION (or the size asked for) changes; when the portal's migrations
have moved on since, the cached file is upgraded in place. bench/.data/dataset-v<N>.json describes it
(counts, generation time, the period covered). `.venv/bin/python bench/dataset.py` builds it alone.

Users: dataset_manager, dataset_clerk1…4, dataset_operator1…3, dataset_tech01…20 (password
"<username>-bench"). The period: three years up to the moment of generation (stored as "end").
"""
from __future__ import annotations

import json
import random
import sqlite3
import sys
import time
from bisect import bisect
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.common import quiet_upgrade  # noqa: E402  (after the path above)

GENERATOR_VERSION = 1
DATA_DIR = ROOT / "bench" / ".data"
CUSTOMERS, UNITS, CASES = 100_000, 200_000, 1_000_000
TECHNICIANS, CLERKS, OPERATORS = 20, 4, 3
YEARS = 3
CHUNK = 20_000
SEED = 7
PNG_1PX = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000"
                        "1f15c4890000000d49444154789c63f8ffff3f0005fe02fea7d6a4c20000000049454e44ae426082")
RATINGS, RATING_WEIGHTS = (5, 4, 3, 2, 1), (55, 31, 9, 3.5, 1.5)
SURNAMES = "张王李刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"

Log = Callable[[str], None]


def _stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def dataset_path(cases: int = CASES) -> Path:
    suffix = "" if cases == CASES else f"-{cases}"
    return DATA_DIR / f"dataset-v{GENERATOR_VERSION}{suffix}.sqlite3"


def info(path: Path | None = None) -> dict[str, Any]:
    """What bench/.data/…json says about the cached file (counts, end of the period, build time)."""
    path = path or dataset_path()
    meta = path.with_suffix(".json")
    return json.loads(meta.read_text(encoding="utf-8")) if meta.exists() else {}


def make_app(path: Path):
    from portal import create_app

    return create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}", "SECRET_KEY": "bench", "TESTING": True,
                       "WTF_CSRF_ENABLED": False, "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
                       "ARCHIVE_DIR": str(path.parent / "archive")})


def ensure_dataset(path: Path | None = None, *, cases: int = CASES, customers: int = CUSTOMERS, units: int = UNITS,
                   log: Log = _stderr) -> Path:
    """The cached data set, built when missing or made by another generator version; upgraded in place
    when newer migrations exist. Returns the SQLite file's path."""
    path = Path(path) if path else dataset_path(cases)
    meta = info(path)
    wanted = {"generator": GENERATOR_VERSION, "cases": cases, "customers": customers, "units": units}
    if path.exists() and all(meta.get(k) == v for k, v in wanted.items()) and _upgrade_if_needed(path, log):
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    building = path.with_name(path.name + ".building")
    for leftover in (building, Path(f"{building}-wal"), Path(f"{building}-shm"), path.with_suffix(".json")):
        leftover.unlink(missing_ok=True)
    log(f"dataset: building {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path} "
        f"({cases:,} cases, {customers:,} customers, {units:,} units); this takes a few minutes")
    started = time.perf_counter()
    counts = build(building, cases=cases, customers=customers, units=units, log=log)
    for stale in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        stale.unlink(missing_ok=True)
    building.rename(path)
    counts["seconds"] = round(time.perf_counter() - started, 1)
    path.with_suffix(".json").write_text(json.dumps({**wanted, **counts}, ensure_ascii=False, indent=1),
                                         encoding="utf-8")
    log(f"dataset: built in {counts['seconds']:.0f} s")
    return path


def _upgrade_if_needed(path: Path, log: Log) -> bool:
    """Bring the cached file to the newest migration; False when it was made at a revision this
    checkout no longer has (a migration renamed or removed), so the caller rebuilds it."""
    from alembic.script import ScriptDirectory
    from alembic.util import CommandError
    from sqlalchemy import text

    from portal.extensions import db, migrate

    app = make_app(path)
    with app.app_context():
        current = db.session.scalar(text("SELECT version_num FROM alembic_version"))
        script = ScriptDirectory.from_config(migrate.get_config())
        head = script.get_current_head()
        try:
            known = current is not None and script.get_revision(current) is not None
        except CommandError:
            known = False
        # Release this session's connection first: Alembic upgrades through a connection of its own,
        # and SQLite would otherwise report the database as locked.
        db.session.remove()
        if known and current != head:
            log(f"dataset: upgrading the cached file from {current} to {head}")
            quiet_upgrade()
        elif not known:
            log(f"dataset: the cached file is at revision {current}, unknown here; rebuilding it")
        db.engine.dispose()
    return known


# --- generation -----------------------------------------------------------------------------------

def build(path: Path, *, cases: int, customers: int, units: int, seed: int = SEED, log: Log = _stderr) -> dict:
    from bench import customers as customer_bench
    from portal.extensions import db

    from sqlalchemy import event

    app = make_app(path)
    with app.app_context():
        quiet_upgrade()
        # A file being built needs no crash safety: skip the fsyncs (after the portal's own pragmas).
        db.engine.dispose()
        event.listen(db.engine, "connect", lambda connection, _record: connection.execute("PRAGMA synchronous=OFF"))
        step = time.perf_counter()
        loaded = customer_bench.load(customers=customers, units=units, verify=0)
        log(f"dataset: {loaded.customers:,} customers, {loaded.units:,} units in {time.perf_counter() - step:.0f} s")
        staff = _staff()
        step = time.perf_counter()
        counts = _Cases(seed=seed, cases=cases, staff=staff, log=log).load()
        log(f"dataset: {counts['cases']:,} cases and their documents in {time.perf_counter() - step:.0f} s")
        db.session.remove()
        db.engine.dispose()
    connection = sqlite3.connect(path)
    try:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        connection.close()
    return {"customers": loaded.customers, "units": loaded.units, **counts}


def _staff() -> dict[str, list[int]]:
    from portal.accounts import services as accounts
    from portal.core.roles import Role
    from portal.extensions import db
    from portal.settings import services as settings

    def user(username: str, name: str, role: Role) -> int:
        return accounts.user_create(username=username, display_name=name, role=role,
                                    password=f"{username}-bench").id

    settings.settings_update(values={}, expected_version=None, actor=None)
    staff = {
        "manager": [user("dataset_manager", "王经理", Role.manager)],
        "clerk": [user(f"dataset_clerk{i}", f"{SURNAMES[i]}内勤", Role.clerk) for i in range(1, CLERKS + 1)],
        "operator": [user(f"dataset_operator{i}", f"{SURNAMES[i + 5]}接线", Role.operator)
                     for i in range(1, OPERATORS + 1)],
        "technician": [user(f"dataset_tech{i:02d}", f"{SURNAMES[i - 1]}{'师傅' if i <= len(SURNAMES) else i}",
                            Role.technician) for i in range(1, TECHNICIANS + 1)],
    }
    db.session.commit()
    return staff


def _defaults(table, now: datetime) -> dict[str, Any]:
    """Every column's default as the ORM would fill it (timestamps: now), to start each row from."""
    row: dict[str, Any] = {}
    for column in table.columns:
        default = column.default
        if column.primary_key:
            continue
        if default is None:
            row[column.key] = None  # executemany needs every row to name the same columns
        elif default.is_scalar:
            row[column.key] = default.arg
        elif default.is_callable:
            row[column.key] = now
    return row


class _Numbers:
    """Document numbers per (prefix, year) as core.numbering gives them; the sequences are saved at the end."""

    def __init__(self) -> None:
        self.last: dict[tuple[str, int], int] = {}

    def next(self, prefix: str, year: int) -> str:
        from portal.core.numbering import format_number

        value = self.last.get((prefix, year), 0) + 1
        self.last[(prefix, year)] = value
        return format_number(prefix, year, value)

    def rows(self) -> list[dict[str, Any]]:
        return [{"prefix": p, "year": y, "last_value": v} for (p, y), v in sorted(self.last.items())]


class _Cases:
    """Cases in the order they came in, each with its story's rows, inserted CHUNK cases at a time."""

    def __init__(self, *, seed: int, cases: int, staff: dict[str, list[int]], log: Log) -> None:
        from portal.repairs.demo import CAUSES, SOLUTIONS, SYMPTOMS

        self.rng = random.Random(seed)
        self.total = cases
        self.staff = staff
        self.log = log
        self.numbers = _Numbers()
        self.symptoms, self.causes, self.solutions = SYMPTOMS, CAUSES, SOLUTIONS
        self.now = datetime.now(timezone.utc).replace(microsecond=0)
        self.start = self.now - timedelta(days=365 * YEARS)
        techs = staff["technician"]
        # Some technicians take far more jobs than others; a few are often late or rated lower.
        self.tech_weights = [0.5 + self.rng.random() for _ in techs]
        self.tech_late = {t: 0.03 + 0.12 * self.rng.random() for t in techs}
        self.tech_mood = {t: self.rng.uniform(-0.06, 0.04) for t in techs}
        self.cum_weights = []
        running = 0.0
        for w in self.tech_weights:
            running += w
            self.cum_weights.append(running)

    def _technician(self) -> int:
        return self.staff["technician"][bisect(self.cum_weights, self.rng.random() * self.cum_weights[-1])]

    def _arrivals(self) -> list[datetime]:
        """Call times over the period: office hours mostly, fewer on Sundays, more in winter."""
        rng, span = self.rng, (self.now - self.start).total_seconds()
        hours = [0.2, 0.1, 0.1, 0.1, 0.1, 0.2, 0.5, 1.5, 4, 6, 6, 5, 3.5, 4.5, 5.5, 5.5, 5, 4, 3, 2, 1.5, 1, 0.6, 0.3]
        cum_hours, running = [], 0.0
        for h in hours:
            running += h
            cum_hours.append(running)
        times = []
        while len(times) < self.total:
            day = self.start + timedelta(seconds=rng.random() * span)
            local = day + timedelta(hours=8)
            if local.weekday() == 6 and rng.random() < 0.35:
                continue
            if local.month in (4, 5, 6, 7, 8, 9) and rng.random() < 0.2:
                continue
            hour = bisect(cum_hours, rng.random() * running)
            moment = datetime(local.year, local.month, local.day, hour, rng.randrange(60), rng.randrange(60),
                              tzinfo=timezone.utc) - timedelta(hours=8)
            if self.start <= moment < self.now - timedelta(minutes=2):
                times.append(moment)
        times.sort()
        return times

    def load(self) -> dict[str, int]:
        from sqlalchemy import func, insert, select

        from portal.complaints.models import Complaint
        from portal.core.models import NumberSequence, Signature
        from portal.customers.models import Contact, Equipment
        from portal.dispatch.models import DispatchSlip
        from portal.extensions import db
        from portal.receipts.models import RepairReceipt
        from portal.repairs.models import RepairCase
        from portal.visits.models import FollowUp

        contacts: dict[int, tuple[str, str]] = {}
        first_contacts = select(Contact.customer_id, Contact.name, Contact.phone).order_by(Contact.customer_id,
                                                                                            Contact.position)
        for customer_id, name, phone in db.session.execute(first_contacts):
            contacts.setdefault(customer_id, (name, phone))
        units: dict[int, list[int]] = {}
        for unit_id, customer_id in db.session.execute(select(Equipment.id, Equipment.customer_id)):
            units.setdefault(customer_id, []).append(unit_id)
        self.customer_ids = sorted(contacts)
        self.contacts, self.units = contacts, units
        existing = {(p, y): v for p, y, v in db.session.execute(
            select(NumberSequence.prefix, NumberSequence.year, NumberSequence.last_value))}
        db.session.remove()

        tables = {"case": RepairCase.__table__, "slip": DispatchSlip.__table__, "receipt": RepairReceipt.__table__,
                  "signature": Signature.__table__, "follow_up": FollowUp.__table__, "complaint": Complaint.__table__}
        self.base = {name: _defaults(table, self.now) for name, table in tables.items()}
        self.ids = {name: 0 for name in tables}
        counts = {name: 0 for name in tables}
        arrivals = self._arrivals()
        rows: dict[str, list[dict[str, Any]]] = {name: [] for name in tables}
        started = time.perf_counter()
        for index, received in enumerate(arrivals, start=1):
            self._story(received, rows)
            if index % CHUNK == 0 or index == len(arrivals):
                with db.engine.begin() as conn:
                    for name in ("case", "slip", "receipt", "signature", "follow_up", "complaint"):
                        if rows[name]:
                            conn.execute(insert(tables[name]), rows[name])
                            counts[name] += len(rows[name])
                            rows[name].clear()
                if index % (CHUNK * 10) == 0:
                    self.log(f"dataset: {index:,} cases ({time.perf_counter() - started:.0f} s)")
        with db.engine.begin() as conn:
            sequences = [r for r in self.numbers.rows() if (r["prefix"], r["year"]) not in existing]
            if sequences:
                conn.execute(insert(NumberSequence.__table__), sequences)
        with db.engine.connect() as conn:
            counts["rated"] = conn.scalar(select(func.count()).where(RepairCase.rating.is_not(None)))
        return {"cases": counts["case"], "slips": counts["slip"], "receipts": counts["receipt"],
                "signatures": counts["signature"], "follow_ups": counts["follow_up"], "complaints": counts["complaint"],
                "rated": counts["rated"], "technicians": len(self.staff["technician"]),
                "start": self.start.isoformat(), "end": self.now.isoformat()}

    def _id(self, name: str) -> int:
        self.ids[name] += 1
        return self.ids[name]

    def _story(self, received: datetime, rows: dict[str, list[dict[str, Any]]]) -> None:
        """One call and everything that follows it, as far as the present allows."""
        from portal.reports.models import derive

        rng, now = self.rng, self.now
        year = (received + timedelta(hours=8)).year
        customer_id = self.customer_ids[rng.randrange(len(self.customer_ids))]
        caller, phone = self.contacts[customer_id]
        symptom, cause, parts = self.symptoms[rng.randrange(len(self.symptoms))]
        case_id = self._id("case")
        case = dict(self.base["case"])
        case.update(id=case_id, number=self.numbers.next("BX", year), customer_id=customer_id,
                    equipment_id=rng.choice(self.units[customer_id]) if rng.random() < 0.93 else None,
                    channel="call" if rng.random() < 0.9 else ("visit" if rng.random() < 0.7 else "letter"),
                    caller_name=caller, caller_phone=phone, symptom=symptom, probable_cause=cause,
                    parts_to_prepare=parts, urgency="urgent" if rng.random() < 0.1 else "normal",
                    registered_by_id=rng.choice(self.staff["operator"]), received_at=received, registered_at=received,
                    answer_due_at=received + timedelta(minutes=10), dispatch_due_at=received + timedelta(minutes=10),
                    onsite_due_at=received + timedelta(hours=3), created_at=received, updated_at=received)
        handed = received + timedelta(seconds=rng.randint(40, 200))
        kind = rng.random()
        state, last = "registered", received
        if handed > now:
            pass
        elif kind < 0.03:
            state, last = "cancelled", handed + timedelta(minutes=rng.randint(3, 90))
            if last > now:
                state, last = "waiting_dispatch", handed
            else:
                case.update(cancelled_at=last, cancel_reason=rng.choice(["客户自行修好", "重复报修", "客户改期后取消报修"]))
            case["handed_over_at"] = handed
        elif kind < 0.11:
            state, last = self._guided(case, handed, rows)
        else:
            state, last = self._on_site_job(case, handed, rows)
        case.update(state=state, state_changed_at=last, updated_at=last)
        case.update(derive(state=state, received_at=received, dispatched_at=case.get("dispatched_at"),
                           dispatch_due_at=case["dispatch_due_at"], on_site_at=case.get("on_site_at"),
                           onsite_due_at=case["onsite_due_at"], completed_at=case.get("completed_at")))
        rows["case"].append(case)

    def _guided(self, case: dict, handed: datetime, rows) -> tuple[str, datetime]:
        case.update(handed_over_at=handed, guidance_notes="指导客户清理喷嘴、检查气阀后恢复使用",
                    followup_due_at=handed + timedelta(hours=3))
        done = self._follow_up(case, "guidance", handed, handed + timedelta(hours=3), None, rows)
        if done is None:
            return "phone_guided", handed
        case["closed_at"] = done
        return "closed", done

    def _on_site_job(self, case: dict, handed: datetime, rows) -> tuple[str, datetime]:
        rng, now = self.rng, self.now
        case["handed_over_at"] = handed
        wait = rng.uniform(1, 7.5) if rng.random() < 0.82 else rng.uniform(8, 45)
        dispatched = handed + timedelta(minutes=wait)
        if dispatched > now:
            return "waiting_dispatch", handed
        tech = self._technician()
        late_agreed = rng.random() < 0.05
        appointment = dispatched + timedelta(minutes=rng.choice((40, 60, 90, 120, 150)) + (240 if late_agreed else 0))
        if late_agreed:
            case["onsite_due_at"] = max(case["onsite_due_at"], appointment)
        case.update(technician_id=tech, dispatched_at=dispatched, appointment_at=appointment)
        slip = dict(self.base["slip"])
        slip.update(id=self._id("slip"), number=self.numbers.next("PG", (dispatched + timedelta(hours=8)).year),
                    case_id=case["id"], technician_id=tech, appointment_at=appointment,
                    late_reason="客户要求下午上门" if late_agreed else "", customer_agreed=late_agreed,
                    instructions="带好收费标准卡和回执单", dispatched_by_id=rng.choice(self.staff["clerk"]),
                    dispatched_at=dispatched, created_at=dispatched, updated_at=dispatched)
        rows["slip"].append(slip)
        confirmed = dispatched + timedelta(minutes=rng.uniform(3, 25))
        if confirmed > now:
            return "dispatched", dispatched
        case["confirmed_at"] = confirmed
        if rng.random() < self.tech_late[tech]:
            on_site = case["onsite_due_at"] + timedelta(minutes=rng.uniform(5, 120))
        else:
            on_site = min(appointment + timedelta(minutes=rng.uniform(-20, 15)), case["onsite_due_at"])
        on_site = max(on_site, confirmed + timedelta(minutes=10))
        if on_site > now:
            return "appointment_confirmed", confirmed
        case["on_site_at"] = on_site
        completed = on_site + timedelta(minutes=rng.uniform(25, 150))
        if rng.random() < 0.01:
            completed += timedelta(hours=rng.uniform(24, 72))  # the receipt filled in days later
        if completed > now:
            return "on_site", on_site
        case["completed_at"] = completed
        receipt = dict(self.base["receipt"])
        receipt_id = self._id("receipt")
        total = rng.choice((0, 0, 50, 80, 120, 180, 260, 350))
        receipt.update(id=receipt_id, number=self.numbers.next("HZ", (completed + timedelta(hours=8)).year),
                       case_id=case["id"], technician_id=tech, arrived_at=on_site, finished_at=completed,
                       fault_cause=rng.choice(self.causes), solution=rng.choice(self.solutions), test_run_shown=True,
                       instructions_given=True, category="A" if total else "C", customer_consented=True,
                       total=total, collected=total, state="ready", state_changed_at=completed, ready_at=completed,
                       created_at=on_site, updated_at=completed)
        rows["receipt"].append(receipt)
        signed = completed + timedelta(minutes=rng.uniform(2, 12))
        if signed > now:
            return "awaiting_signature", completed
        rating = rng.choices(RATINGS, weights=RATING_WEIGHTS)[0]
        if rng.random() < abs(self.tech_mood[tech]) * 3:
            rating = max(1, min(5, rating + (1 if self.tech_mood[tech] > 0 else -1)))
        receipt.update(state="signed", state_changed_at=signed, signed_at=signed, updated_at=signed)
        signature = dict(self.base["signature"])
        signature.update(id=self._id("signature"), document_type="repair_receipt", document_id=receipt_id,
                         signer_name=case["caller_name"], rating=rating, comment="", image=PNG_1PX,
                         signed_at=signed, address="192.168.1.23", device="staff tablet", staff_id=tech)
        rows["signature"].append(signature)
        case.update(signed_at=signed, rating=rating, followup_due_at=signed + timedelta(hours=24))
        if rng.random() < 0.013:
            self._complaint(case, signed, tech, rating, rows)
        archived = signed + timedelta(minutes=rng.uniform(1, 30))
        if archived > now:
            return "signed", signed
        case["archived_at"] = archived
        done = self._follow_up(case, "service", signed, signed + timedelta(hours=24), tech, rows)
        if done is None:
            return "followup_due", archived
        case["closed_at"] = done
        return "closed", done

    def _follow_up(self, case: dict, kind: str, ended: datetime, due: datetime, tech: int | None,
                   rows) -> datetime | None:
        """The follow-up call; returns when the case could close (None while it is still open)."""
        rng, now = self.rng, self.now
        roll = rng.random()
        if roll < 0.9:
            done, state = ended + (due - ended) * rng.uniform(0.15, 0.98), "done"
        elif roll < 0.97:
            done, state = due + timedelta(hours=rng.uniform(0.5, 30)), "done"
        else:
            done, state = ended + (due - ended) * rng.uniform(0.5, 1.4), "unreachable"
        item = dict(self.base["follow_up"])
        item.update(id=self._id("follow_up"), number=self.numbers.next("HJ", (ended + timedelta(hours=8)).year),
                    case_id=case["id"], kind=kind, attempt=1, service_ended_at=ended, due_at=due,
                    served_by_id=tech, created_at=ended, updated_at=ended)
        if done > now:
            rows["follow_up"].append(item)
            return None
        satisfied = state == "done" and rng.random() < 0.96
        item.update(done_at=done, state=state, staff_id=rng.choice(self.staff["clerk"]), updated_at=done,
                    reached_name=case["caller_name"] if state == "done" else "", solved=satisfied if state == "done"
                    else None, rating=rng.choice((4, 5)) if satisfied else (3 if state == "done" else None),
                    notes="客户表示设备使用正常" if satisfied else "")
        rows["follow_up"].append(item)
        return done

    def _complaint(self, case: dict, signed: datetime, tech: int, rating: int, rows) -> None:
        rng = self.rng
        received = signed + timedelta(hours=rng.uniform(4, 120))
        if received > self.now:
            return
        by_service = rng.random() < (0.7 if rating <= 2 else 0.35)
        item = dict(self.base["complaint"])
        closed = received + timedelta(days=rng.uniform(1, 6))
        finished = closed <= self.now
        item.update(id=self._id("complaint"), number=self.numbers.next("TS", (received + timedelta(hours=8)).year),
                    channel="call", customer_id=case["customer_id"], case_id=case["id"],
                    complainant=case["caller_name"],
                    content="维修后又出现同样的问题，师傅态度也不好" if by_service else "配件价格偏高",
                    received_at=received, registered_by_id=rng.choice(self.staff["operator"]),
                    state="closed" if finished else "investigating", state_changed_at=closed if finished else received,
                    investigating_at=received + timedelta(hours=2), closed_at=closed if finished else None,
                    responsible_kind="person" if by_service else "department",
                    responsible_user_id=tech if by_service else None, caused_by_service=by_service,
                    created_at=received, updated_at=closed if finished else received)
        rows["complaint"].append(item)


def main() -> int:
    import argparse

    parser = argparse.ArgumentParser(description="Build (or reuse) the benchmark data set.")
    parser.add_argument("--cases", type=int, default=CASES)
    parser.add_argument("--customers", type=int, default=CUSTOMERS)
    parser.add_argument("--units", type=int, default=UNITS)
    parser.add_argument("--path", type=Path)
    args = parser.parse_args()
    path = ensure_dataset(args.path, cases=args.cases, customers=args.customers, units=args.units)
    print(path)
    print(json.dumps(info(path), ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
