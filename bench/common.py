"""What the benches share: the `name: value` lines (printed as they come and kept for the results
file), bench/results/<name>-<date>.txt under a line describing the machine, the commit measured,
and the plumbing of a section (bench/pdf.py, bench/kpi.py, bench/load.py) run by bench/run.py or
by its own `__main__`.

A section module provides run(emit) -> bool (False: the figures are not valid), summary(values),
code_version(), machine_header() and INVALID (said on stderr when run() returns False).
"""
from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from typing import Any, Callable, Protocol, Sequence

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"

Emit = Callable[[str, Any], None]


class Report:
    """The `name: value` lines of one bench, in the order they were emitted."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.values: dict[str, str] = {}
        self.failed = False

    def emit(self, name: str, value: Any) -> None:
        if isinstance(value, float):
            value = f"{value:.2f}"
        line = f"{name}: {value}"
        print(line, flush=True)
        self.lines.append(line)
        self.values[name] = str(value)

    def take(self, line: str) -> None:
        """A `name: value` line printed by a child process (bench/run.py's PostgreSQL part)."""
        print(line, flush=True)
        if ": " in line and not line.startswith(" "):
            name, value = line.split(": ", 1)
            self.lines.append(line)
            self.values[name] = value


class Section(Protocol):
    INVALID: str

    def run(self, emit: Emit) -> bool: ...

    def summary(self, values: dict[str, str]) -> list[str]: ...

    def code_version(self) -> str: ...

    def machine_header(self) -> str: ...


def run_section(name: str, section: Section, *, banner: bool = True, folder: Path | None = None) -> bool:
    """Run one section: its lines, then its summary, saved to <folder>/<name>-<date>.txt."""
    if banner:
        print(f"\n# {name} bench", flush=True)
    report = Report()
    report.emit("code_version", section.code_version())
    valid = section.run(report.emit)
    summary = section.summary(report.values)
    print("\n" + "\n".join(summary))
    path = save(name, section.machine_header(), report.lines, summary, folder=folder)
    print(f"\nsaved to {shown(path)}")
    if not valid:
        print(f"bench: {section.INVALID}", file=sys.stderr)
    return valid


def save(name: str, header: str, lines: Sequence[str], summary: Sequence[str], *, folder: Path | None = None) -> Path:
    folder = folder or RESULTS
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}-{datetime.now().astimezone():%Y-%m-%d}.txt"
    path.write_text("\n".join([header, *lines, "", *summary]) + "\n", encoding="utf-8")
    return path


def shown(path: Path) -> Path:
    return path.relative_to(ROOT) if path.is_relative_to(ROOT) else path


def header(name: str, facts: Sequence[str]) -> str:
    """The first line of a results file: which bench, when, and the machine facts that shape its figures."""
    return f"# {name} bench {datetime.now().astimezone():%Y-%m-%d %H:%M %z}; " + ", ".join(facts)


def cpu_model(default: str = "?") -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return default


def load_average() -> str:
    """Printed first by the timing benches: other processes on the machine inflate wall times."""
    return " ".join(f"{v:.2f}" for v in os.getloadavg()) + f" (nproc {os.cpu_count()})"


def code_version(*paths: str, count: bool = False) -> str:
    """The commit measured, and the files under `paths` that differ from it (others edit the tree
    while a bench runs): named, or only counted."""
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                              check=True).stdout.strip()
        changed = subprocess.run(["git", "status", "--porcelain", "--", *paths], cwd=ROOT, capture_output=True,
                                 text=True, check=True).stdout.split("\n")
    except (OSError, subprocess.CalledProcessError):
        return "unknown (no git)"
    changed = [line[3:] for line in changed if line.strip()]
    if not changed:
        return head
    if count:
        return f"{head} + {len(changed)} uncommitted files"
    return f"{head} + uncommitted changes in {', '.join(changed)}"


def quiet_upgrade() -> None:
    """flask_migrate.upgrade() without alembic's INFO lines (shown if it fails)."""
    from flask_migrate import upgrade

    captured = io.StringIO()
    try:
        with contextlib.redirect_stderr(captured):
            upgrade()
    except BaseException:
        sys.stderr.write(captured.getvalue())
        raise


def percentile(values: Sequence[float], p: float) -> float:
    """The p-th percentile, interpolated between the closest ranks; NaN when there are no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = (len(ordered) - 1) * p / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)
