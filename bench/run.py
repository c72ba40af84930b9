"""Benchmarks: `make bench` runs `.venv/bin/python bench/run.py` from the project root.

Prints `name: value` lines, then a small table, and saves both to bench/results/customers-<date>.txt
under a header line that describes the machine.

The SQLite figures come from a fresh database in a temporary directory. The PostgreSQL figures
(prefixed pg_) come from
  * PORTAL_BENCH_DATABASE_URL when set: a THROWAWAY database, its public schema is dropped;
  * otherwise a throwaway cluster started by scripts/with-postgres.sh (this script re-runs itself
    under it with BENCH_PG_CHILD=1 and only the PostgreSQL part);
  * BENCH_SKIP_PG=1 skips them.

Then the PDF bench (bench/pdf.py) prints its own lines and saves them to bench/results/pdf-<date>.txt;
BENCH_ONLY=pdf runs only that section. Last the load bench (bench/load.py, gunicorn under 50 users)
saves bench/results/load-<date>.txt; BENCH_ONLY=load runs only that one. Before it, the KPI bench
(bench/kpi.py on bench/dataset.py's 1 000 000 cases) saves bench/results/kpi-<date>.txt; BENCH_ONLY=kpi.
"""
from __future__ import annotations

import os
import platform
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import common  # noqa: E402
from bench.common import Report, quiet_upgrade  # noqa: E402

TARGET_P95_MS = 50.0
KINDS = ("phone", "name", "serial")


def bench_app(url: str):
    from portal import create_app

    from bench import customers

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "TESTING": True,
                      "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"})
    holder = customers.add_bare_route(app)  # before the first request
    return app, holder


def run_search(report: Report, prefix: str, loaded, terms) -> None:
    from bench import customers

    figures = customers.measure_search(terms)
    for kind in KINDS:
        report.emit(f"{prefix}search_{kind}_p50_ms", figures[kind]["p50"])
        report.emit(f"{prefix}search_{kind}_p95_ms", figures[kind]["p95"])
    for kind in KINDS:
        report.emit(f"{prefix}search_{kind}_matches_avg", f"{figures[kind]['matches']:.1f}")
    # Every term exists in the data: a search that finds nothing means the load or the index is
    # wrong, and its (fast) timing is meaningless.
    empty = {kind: int(figures[kind]["zero"]) for kind in KINDS if figures[kind]["zero"]}
    if empty:
        report.failed = True
        report.emit(f"{prefix}search_results_check", "FAILED, searches for existing data found nothing: "
                    + ", ".join(f"{kind} {count}x" for kind, count in empty.items()))
    else:
        report.emit(f"{prefix}search_results_check", "ok (every search found its customer)")


def run_sqlite(report: Report) -> None:
    from portal.accounts import services as accounts
    from portal.core.roles import Role
    from portal.extensions import db

    from bench import customers

    with tempfile.TemporaryDirectory(prefix="portal-bench-") as tmp:
        app, holder = bench_app(f"sqlite:///{tmp}/bench.sqlite3")
        with app.app_context():
            quiet_upgrade()
            loaded = customers.load()
            report.emit("customers_loaded", loaded.customers)
            report.emit("contacts_loaded", loaded.contacts)
            report.emit("units_loaded", loaded.units)
            report.emit("load_seconds", loaded.seconds)
            report.emit("search_index", loaded.search_index)
            report.emit("search_name_terms", " ".join(f"{k}={v}" for k, v in loaded.name_share.items()))
            run_search(report, "", loaded, customers.search_terms(loaded))
            clerk = accounts.user_create(username="benchclerk", display_name="李内勤", role=Role.clerk,
                                         password="bench-pass-1")
            db.session.commit()
            clerk_id = clerk.id
            db.session.remove()
        page = customers.measure_list_page(app, user_id=clerk_id, holder=holder)
        report.emit("customer_list_p50_ms", page["list_p50"])
        report.emit("customer_list_p95_ms", page["list_p95"])
        report.emit("bare_route_p50_ms", page["bare_p50"])
        report.emit("bare_route_p95_ms", page["bare_p95"])
        report.emit("customer_list_vs_bare_ratio", page["list_p50"] / page["bare_p50"])
        report.emit("customer_list_bytes", page["bytes"])
        with app.app_context():
            db.engine.dispose()


def run_postgres_child(url: str) -> None:
    """Only the PostgreSQL search figures, printed with the pg_ prefix."""
    from sqlalchemy import text

    from portal.extensions import db

    from bench import customers

    report = Report()
    app, _holder = bench_app(url)
    with app.app_context():
        with db.engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        report.emit("pg_server_version", db.session.scalar(text("SHOW server_version")))
        db.session.remove()
        quiet_upgrade()
        loaded = customers.load()
        report.emit("pg_load_seconds", loaded.seconds)
        report.emit("pg_search_index", loaded.search_index)
        run_search(report, "pg_", loaded, customers.search_terms(loaded))
        db.engine.dispose()


def run_postgres(report: Report) -> None:
    if os.environ.get("BENCH_SKIP_PG"):
        report.emit("pg_skipped", "BENCH_SKIP_PG is set")
        return
    env = dict(os.environ, BENCH_PG_CHILD="1")
    command = [sys.executable, str(Path(__file__).resolve())]
    if not os.environ.get("PORTAL_BENCH_DATABASE_URL"):
        command = ["bash", str(ROOT / "scripts" / "with-postgres.sh")] + command
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    for line in process.stdout:
        report.take(line.rstrip("\n"))
    if any(line.startswith("pg_search_results_check: FAILED") for line in report.lines):
        report.failed = True
    if process.wait() != 0:
        report.emit("pg_skipped", f"PostgreSQL part failed (exit {process.returncode}), see above")


def code_version() -> str:
    return common.code_version("portal", "migrations")


def machine_header(report: Report) -> str:
    pg = report.values.get("pg_server_version", "not measured")
    return common.header("customers", [f"nproc={os.cpu_count()}", f"{platform.system()} {platform.machine()}",
                                       f"python {platform.python_version()}", f"sqlite {sqlite3.sqlite_version}",
                                       f"postgresql {pg}"])


def table(report: Report) -> list[str]:
    v = report.values

    def cell(prefix: str, kind: str) -> str:
        p50, p95 = v.get(f"{prefix}search_{kind}_p50_ms"), v.get(f"{prefix}search_{kind}_p95_ms")
        if p50 is None:
            return "-"
        mark = "ok" if float(p95) <= TARGET_P95_MS else "MISSED"
        return f"{float(p50):7.1f} / {float(p95):7.1f}  {mark}"

    rows = [f"{'search (ms, p50 / p95)':<24}{'SQLite':<26}{'PostgreSQL':<26}",
            f"{'-' * 24}{'-' * 26}{'-' * 26}"]
    labels = {"phone": "phone fragment (7 dig.)", "name": "two-char name", "serial": "serial"}
    for kind in KINDS:
        rows.append(f"{labels[kind]:<24}{cell('', kind):<26}{cell('pg_', kind):<26}")
    rows.append(f"target: p95 <= {TARGET_P95_MS:.0f} ms on SQLite, 100 000 customers / 200 000 units; "
                f"search index: {v.get('search_index', '?')}")
    if report.failed:
        rows.append("INVALID: some searches for existing data found nothing (see *_search_results_check)")
    if "customer_list_p50_ms" in v:
        rows.append(f"GET /customers/?q=张: p50 {float(v['customer_list_p50_ms']):.1f} ms, "
                    f"p95 {float(v['customer_list_p95_ms']):.1f} ms; bare route of the same size "
                    f"p50 {float(v['bare_route_p50_ms']):.1f} ms, p95 {float(v['bare_route_p95_ms']):.1f} ms; "
                    f"ratio {float(v['customer_list_vs_bare_ratio']):.1f}x")
    return rows


def run_pdf() -> bool:
    """Second section: receipt PDF against headless Chromium, archived PDF download (bench/pdf.py)."""
    from bench import pdf

    return common.run_section("pdf", pdf)


def run_kpi() -> bool:
    """KPI section: the KPI page for 12 months over 1 000 000 cases (bench/kpi.py, bench/dataset.py)."""
    from bench import kpi

    return common.run_section("kpi", kpi)


def run_load() -> bool:
    """Load section: gunicorn on the large data set under 50 users, against a bare route (bench/load.py)."""
    from bench import load

    return common.run_section("load", load)


def main() -> int:
    if os.environ.get("BENCH_ONLY") == "pdf" and not os.environ.get("BENCH_PG_CHILD"):
        return 0 if run_pdf() else 1
    if os.environ.get("BENCH_ONLY") == "kpi" and not os.environ.get("BENCH_PG_CHILD"):
        return 0 if run_kpi() else 1
    if os.environ.get("BENCH_ONLY") == "load" and not os.environ.get("BENCH_PG_CHILD"):
        return 0 if run_load() else 1
    if os.environ.get("BENCH_PG_CHILD"):
        url = os.environ.get("PORTAL_BENCH_DATABASE_URL") or os.environ.get("PORTAL_TEST_DATABASE_URL")
        if not url:
            print("pg_skipped: no PostgreSQL URL", flush=True)
            return 1
        run_postgres_child(url)
        return 0

    started = time.perf_counter()
    report = Report()
    report.emit("code_version", code_version())
    run_sqlite(report)
    run_postgres(report)
    report.emit("bench_seconds", time.perf_counter() - started)
    summary = table(report)
    print()
    print("\n".join(summary))

    path = common.save("customers", machine_header(report), report.lines, summary)
    print(f"\nsaved to {common.shown(path)}")
    if report.failed:
        print("bench: some searches found nothing; the figures above are not valid", file=sys.stderr)
    pdf_valid = run_pdf()
    kpi_valid = run_kpi()
    load_valid = run_load()
    return 1 if report.failed or not pdf_valid or not kpi_valid or not load_valid else 0


if __name__ == "__main__":
    sys.exit(main())
