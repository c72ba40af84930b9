"""scripts/audit.sh: a known vulnerability fails, an unreachable advisory service is said plainly."""
from __future__ import annotations

import json
import os
import subprocess  # nosec B404  # the test runs the script
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FAKE = """#!/bin/sh
out=""
while [ $# -gt 0 ]; do
  if [ "$1" = "--output" ]; then out="$2"; shift; fi
  shift
done
if [ -n "$FAKE_REPORT" ]; then printf '%s' "$FAKE_REPORT" > "$out"; fi
printf '%s\\n' "$FAKE_LOG" >&2
exit "$FAKE_STATUS"
"""


def _run(tmp_path, *, report=None, log="", status=0):
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True, exist_ok=True)
    fake = venv / "bin" / "pip-audit"
    fake.write_text(FAKE)
    fake.chmod(0o755)
    python = venv / "bin" / "python"
    if not python.exists():
        python.symlink_to(sys.executable)
    env = {**os.environ, "VENV": str(venv), "FAKE_REPORT": json.dumps(report) if report is not None else "",
           "FAKE_LOG": log, "FAKE_STATUS": str(status)}
    return subprocess.run(["bash", str(ROOT / "scripts" / "audit.sh")], env=env, capture_output=True, text=True,  # nosec B603  # fixed arguments
                          timeout=60)


def test_a_known_vulnerability_fails(tmp_path):
    report = {"dependencies": [
        {"name": "flask", "version": "2.2.0", "vulns": [{"id": "GHSA-m2qf-hxjv-5gpq", "fix_versions": ["2.2.5"]}]},
        {"name": "jinja2", "version": "3.1.6", "vulns": []}], "fixes": []}
    result = _run(tmp_path, report=report, status=1)
    assert result.returncode == 1
    assert "VULNERABLE flask 2.2.0: GHSA-m2qf-hxjv-5gpq (fixed in 2.2.5)" in result.stdout


def test_a_clean_environment_passes_and_names_what_was_not_checked(tmp_path):
    report = {"dependencies": [{"name": "flask", "version": "3.1.3", "vulns": []},
                               {"name": "zxing-cpp", "version": "3.1.1",
                                "skip_reason": "Dependency not found on PyPI and could not be audited: zxing-cpp (3.1.1)"}]}
    result = _run(tmp_path, report=report)
    assert result.returncode == 0
    assert "1 packages checked, 0 with known vulnerabilities" in result.stdout and "zxing-cpp 3.1.1" in result.stdout


@pytest.mark.parametrize("report, log, status", [
    (None, "requests.exceptions.ConnectionError: Max retries exceeded with url: /pypi/flask/3.1.3/json", 1),
    ({"dependencies": [{"name": "flask", "version": "3.1.3",
                        "skip_reason": "Dependency not found on PyPI and could not be audited: flask (3.1.3)"}]}, "", 0),
])
def test_an_unreachable_service_is_said_plainly_and_does_not_fail(tmp_path, report, log, status):
    result = _run(tmp_path, report=report, log=log, status=status)
    assert result.returncode == 0 and "NOT checked for known vulnerabilities" in result.stdout


def test_pip_audit_breaking_otherwise_is_an_error(tmp_path):
    result = _run(tmp_path, log="TypeError: something else", status=1)
    assert result.returncode == 2
