#!/usr/bin/env bash
# Run the whole suite on SQLite and on a throwaway PostgreSQL at the same time.
#
#   scripts/test-both.sh PYTHON [PYTEST ARGS...]
#
# Each pass is a single Python process that mostly waits on itself, so on a two-core machine the two
# together take little longer than the PostgreSQL pass alone (CI has 20 minutes). Each writes its own
# log and its own test-artifacts/<database>/ folder; the logs are printed whole, one after the other,
# once both are done. Exits non-zero when either pass failed.
set -uo pipefail

if [ $# -eq 0 ]; then
    echo "usage: $0 PYTHON [PYTEST ARGS...]" >&2
    exit 2
fi
python=$1
shift
root_dir=$(cd "$(dirname "$0")/.." && pwd)
logs=$root_dir/test-artifacts
mkdir -p "$logs"
sqlite_log=$logs/pytest-sqlite.log
postgres_log=$logs/pytest-postgresql.log

started=$(date +%s)
echo "== suite on SQLite and on PostgreSQL, side by side (logs: test-artifacts/pytest-*.log) =="
env -u PORTAL_TEST_DATABASE_URL PORTAL_TEST_ARTIFACTS="$logs/sqlite" \
    "$python" -m pytest -q "$@" >"$sqlite_log" 2>&1 &
sqlite_pid=$!
PORTAL_TEST_ARTIFACTS="$logs/postgresql" \
    bash "$root_dir/scripts/with-postgres.sh" "$python" -m pytest -q "$@" >"$postgres_log" 2>&1 &
postgres_pid=$!

# Never leave a pass running behind an interrupted make.
trap 'kill "$sqlite_pid" "$postgres_pid" 2>/dev/null; wait; exit 130' INT TERM

wait "$sqlite_pid"
sqlite_status=$?
sqlite_done=$(( $(date +%s) - started ))
wait "$postgres_pid"
postgres_status=$?
postgres_done=$(( $(date +%s) - started ))

echo "== suite on SQLite (exit $sqlite_status, ${sqlite_done}s) =="
cat "$sqlite_log"
echo "== suite on PostgreSQL (exit $postgres_status, ${postgres_done}s) =="
cat "$postgres_log"
if [ "$sqlite_status" -ne 0 ] || [ "$postgres_status" -ne 0 ]; then
    echo "test: FAILED (SQLite exit $sqlite_status, PostgreSQL exit $postgres_status)" >&2
    exit 1
fi
echo "test: both passes green in $(( $(date +%s) - started ))s"
