"""KPI page benchmark (issue 7 point 6): GET /reports/ for a 12-month range over 1 000 000 cases.

`make bench` runs it from bench/run.py; BENCH_ONLY=kpi runs only this section, and
`.venv/bin/python bench/kpi.py` runs it alone. Prints `name: value` lines and saves them with the
machine's description to bench/results/kpi-<date>.txt.

The data: bench/dataset.py's cached SQLite file (built on first use; its generation time is printed).
Through the Flask test client, signed in as the data set's manager, on one app:

  kpi_page_12m_ms / _p95_ms   GET /reports/?start=…&end=… for the twelve months up to the data set's last
                              month (its last month partly filled, as on a real day): N timed requests after
                              WARMUP untimed ones; the body is checked to carry every figure and chart
  kpi_page_12m_cpu_ms         the same requests' median CPU time (what other processes cannot inflate)
  kpi_summary_12m_ms          services.kpi_summary() alone for that range (the queries and the sums)
  kpi_page_month_ms           GET /reports/?month=… (one month and its 12-month trend: the default view)
  kpi_drill_ms                GET of the satisfaction drill-down for the range (count + first page)
  bare_route_ms               a bare route answering a body of the same size (the baseline)
  kpi_vs_bare_ratio           kpi_page_12m_ms / bare_route_ms
  bare_count_ms               SELECT count(*) over the range's cases through the same index, the floor
                              any page over this data has to pay
"""
from __future__ import annotations

import os
import platform
import re
import sqlite3
import statistics
import sys
import time
from datetime import date, datetime
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import common  # noqa: E402
from bench.common import Emit, percentile  # noqa: E402

N, WARMUP = 30, 3
TARGET_MS = 300.0
INVALID = "the KPI page did not show every figure; the kpi figures above are not valid"


def timed(call: Callable[[], Any], *, n: int = N, warmup: int = WARMUP) -> tuple[list[float], list[float]]:
    """Wall and CPU milliseconds of n calls after `warmup` untimed ones."""
    wall, cpu = [], []
    for i in range(warmup + n):
        started, started_cpu = time.perf_counter(), time.process_time()
        call()
        if i >= warmup:
            wall.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - started_cpu) * 1000)
    return wall, cpu


def period(end: date) -> tuple[date, date]:
    """Twelve calendar months up to and including end's month."""
    from portal.reports.services import add_months, month_last

    last = end.replace(day=1)
    return add_months(last, -11), month_last(last)


def run(emit: Emit) -> bool:
    from portal.accounts import services as accounts
    from portal.core.timeutil import as_local
    from portal.extensions import db
    from portal.reports import services
    from portal.repairs.models import RepairCase
    from sqlalchemy import func, select

    from bench import customers
    from bench.dataset import ensure_dataset, info, make_app

    emit("load_average", common.load_average())
    built = time.perf_counter()
    path = ensure_dataset()
    meta = info(path)
    fresh = time.perf_counter() - built > 30
    emit("dataset", f"{path.relative_to(ROOT)} ({path.stat().st_size / 1e9:.2f} GB)")
    emit("dataset_cases", meta.get("cases"))
    emit("dataset_counts", ", ".join(f"{k} {meta[k]}" for k in ("customers", "units", "slips", "receipts",
                                                                 "signatures", "follow_ups", "complaints")
                                     if k in meta))
    emit("dataset_generation_s", f"{meta.get('seconds', '?')}" + ("" if fresh else " (cached, built earlier)"))

    app = make_app(path)
    holder = customers.add_bare_route(app)
    end_of_data = as_local(datetime.fromisoformat(meta["end"])).date()
    start, end = period(end_of_data)
    url = f"/reports/?start={start.isoformat()}&end={end.isoformat()}"
    emit("kpi_range", f"{start.isoformat()} … {end.isoformat()} ({url})")
    with app.app_context():
        manager_id = accounts.find_by_username("dataset_manager").id
        lo, hi = services.day_number(start), services.day_number(end)
        in_range = db.session.scalar(select(func.count()).where(RepairCase.kpi_day.between(lo, hi)))
        emit("kpi_range_cases", in_range)
        db.session.remove()

    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = str(manager_id)
        session["_fresh"] = True
    first = client.get(url, headers={"Accept-Language": "en"})
    body = first.get_data(as_text=True)
    ok = (first.status_code == 200 and body.count('class="kpi-tile ') == 7 and body.count("<svg") >= 10
          and "—" not in re.sub(r"<[^>]+>", "", body.split('class="kpi-tiles"')[1].split("</div>")[0]))
    emit("kpi_page_check", "ok (7 tiles with figures, charts)" if ok else
         f"FAILED: status {first.status_code}, {body.count('kpi-tile ')} tiles")
    emit("kpi_page_bytes", len(first.data))

    def get(target: str) -> Callable[[], None]:
        def call() -> None:
            response = client.get(target, headers={"Accept-Language": "en"})
            response.get_data()
            if response.status_code != 200:
                raise AssertionError(f"{target} answered {response.status_code}")
        return call

    wall, cpu = timed(get(url))
    emit("kpi_page_12m_ms", f"{percentile(wall, 50):.1f}")
    emit("kpi_page_12m_p95_ms", f"{percentile(wall, 95):.1f}")
    emit("kpi_page_12m_cpu_ms", f"{statistics.median(cpu):.1f}")

    with app.test_request_context("/"):
        summary_wall, _cpu = timed(lambda: services.kpi_summary(start=start, end=end), n=10, warmup=1)
        db.session.remove()
    emit("kpi_summary_12m_ms", f"{percentile(summary_wall, 50):.1f}")
    month_wall, _cpu = timed(get(f"/reports/?month={end_of_data:%Y-%m}"), n=10, warmup=1)
    emit("kpi_page_month_ms", f"{percentile(month_wall, 50):.1f}")
    drill_wall, _cpu = timed(get(f"/reports/cases?metric=satisfaction&start={start}&end={end}"), n=10, warmup=1)
    emit("kpi_drill_ms", f"{percentile(drill_wall, 50):.1f}")

    holder[0] = b"x" * len(first.data)
    bare, _cpu = timed(get("/bench-bare"))
    emit("bare_route_ms", f"{percentile(bare, 50):.1f}")
    emit("kpi_vs_bare_ratio", f"{percentile(wall, 50) / percentile(bare, 50):.1f}")
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        count_sql = "SELECT count(*) FROM repair_case WHERE kpi_day BETWEEN ? AND ?"
        count_wall, _cpu = timed(lambda: connection.execute(count_sql, (lo, hi)).fetchone(), n=10, warmup=1)
    finally:
        connection.close()
    emit("bare_count_ms", f"{percentile(count_wall, 50):.1f}")
    with app.app_context():
        db.engine.dispose()
    return ok


def summary(values: dict[str, str]) -> list[str]:
    lines = []
    if "kpi_page_12m_ms" in values:
        p50 = float(values["kpi_page_12m_ms"])
        lines.append(f"KPI page, 12 months over {values.get('dataset_cases')} cases ({values.get('kpi_range_cases')} "
                     f"in the range): p50 {p50:.1f} ms, p95 {values['kpi_page_12m_p95_ms']} ms, CPU "
                     f"{values['kpi_page_12m_cpu_ms']} ms (target <= {TARGET_MS:.0f} ms on SQLite): "
                     f"{'ok' if p50 <= TARGET_MS else 'MISSED'}; load average at start {values.get('load_average')}")
        lines.append(f"of which kpi_summary() {values.get('kpi_summary_12m_ms')} ms; a bare count over the range "
                     f"{values.get('bare_count_ms')} ms; bare route of the same size {values.get('bare_route_ms')} ms "
                     f"(ratio {values.get('kpi_vs_bare_ratio')}x); one month {values.get('kpi_page_month_ms')} ms; "
                     f"drill-down {values.get('kpi_drill_ms')} ms")
    return lines


def code_version() -> str:
    return common.code_version("portal/reports", "portal/repairs", "migrations", "templates/reports",
                               "bench/dataset.py", "bench/kpi.py")


def machine_header() -> str:
    return common.header("kpi", [common.cpu_model(), f"nproc={os.cpu_count()}",
                                 f"{platform.system()} {platform.machine()}", f"python {platform.python_version()}",
                                 f"sqlite {sqlite3.sqlite_version}"])


def main() -> int:
    return 0 if common.run_section("kpi", sys.modules[__name__], banner=False) else 1


if __name__ == "__main__":
    sys.exit(main())
