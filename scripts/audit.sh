#!/usr/bin/env bash
# Check the installed Python packages (.venv) against the advisory database with pip-audit.
#
#   scripts/audit.sh [extra pip-audit arguments, e.g. --ignore-vuln GHSA-xxxx or -s osv]
#
# Exit 0: nothing installed is known to be vulnerable. Exit 1: something is; each finding is listed
# with the version that fixes it. When the advisory service cannot be reached or answers for no
# package (an offline server; a package mirror without PyPI's per-release JSON), the script says so
# plainly and exits 0: being offline is not a finding, but it is no all-clear either. Packages
# the service does not know are listed as not checked. The portal itself (editable) is skipped.
# VENV overrides the environment (default .venv).
set -uo pipefail

cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
if [ ! -x "$VENV/bin/pip-audit" ]; then
    echo "audit: $VENV/bin/pip-audit is missing (make venv installs it with the test extras)" >&2
    exit 2
fi

report=$(mktemp)
log=$(mktemp)
trap 'rm -f "$report" "$log"' EXIT

"$VENV/bin/pip-audit" --skip-editable --progress-spinner off --format json --output "$report" "$@" >"$log" 2>&1
status=$?

"$VENV/bin/python" - "$report" "$log" "$status" <<'PY'
import json
import sys

report_path, log_path, status = sys.argv[1], sys.argv[2], int(sys.argv[3])
log = open(log_path, encoding="utf-8", errors="replace").read().strip()
try:
    report = json.load(open(report_path, encoding="utf-8"))
except ValueError:
    report = None
if report is None:
    # pip-audit stopped before writing a report: a network failure is "not checked", anything
    # else is an error of the check itself.
    print(log)
    offline = any(word in log.lower() for word in ("connection", "timed out", "temporary failure",
                                                     "max retries", "name or service not known", "resolve"))
    if offline:
        print("audit: the advisory service is unreachable from here; NOT checked for known vulnerabilities.")
        sys.exit(0)
    print("audit: pip-audit failed (see above).")
    sys.exit(2)

dependencies = report.get("dependencies", [])
audited = [d for d in dependencies if "skip_reason" not in d]
unknown = [d for d in dependencies if "not found on PyPI" in d.get("skip_reason", "")]
vulnerable = [d for d in audited if d.get("vulns")]
if not audited:
    print(f"audit: the advisory service answered for none of the {len(dependencies)} installed packages "
          "(unreachable, or a mirror without advisory data); NOT checked for known vulnerabilities.")
    sys.exit(0)
for dependency in vulnerable:
    for vuln in dependency["vulns"]:
        fixed = ", ".join(vuln.get("fix_versions") or []) or "no fixed release yet"
        print(f"VULNERABLE {dependency['name']} {dependency['version']}: {vuln['id']} (fixed in {fixed})")
if unknown:
    print("audit: not checked (unknown to the advisory service): "
          + ", ".join(f"{d['name']} {d.get('version', '')}".strip() for d in unknown))
print(f"audit: {len(audited)} packages checked, {len(vulnerable)} with known vulnerabilities.")
sys.exit(1 if vulnerable else 0)
PY
