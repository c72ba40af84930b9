#!/usr/bin/env bash
# Run a command against a throwaway PostgreSQL cluster.
#
#   scripts/with-postgres.sh CMD [ARGS...]
#
# Creates a cluster in a fresh temporary directory (as root: owned by and run as the postgres
# user; otherwise as the current user), listening on 127.0.0.1 on a free port only, with its
# unix socket in the temporary directory, durability switched off for speed and trust
# authentication. Creates the database portal_test, exports
#   PORTAL_TEST_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:PORT/portal_test
# runs CMD, then always stops the server and removes the directory. Exits with CMD's status.
# PG_BINDIR overrides where initdb/pg_ctl/createdb are looked for.
set -euo pipefail

if [ $# -eq 0 ]; then
    echo "usage: $0 CMD [ARGS...]" >&2
    exit 2
fi

find_bindir() {
    local dir
    if [ -n "${PG_BINDIR:-}" ]; then
        echo "$PG_BINDIR"
        return
    fi
    if command -v pg_config >/dev/null 2>&1; then
        dir=$(pg_config --bindir 2>/dev/null || true)
        if [ -n "$dir" ] && [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ]; then
            echo "$dir"
            return
        fi
    fi
    # Debian keeps the server binaries out of PATH; take the newest installed major version.
    dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
    if [ -n "$dir" ] && [ -x "$dir/initdb" ]; then
        echo "$dir"
        return
    fi
    dir=$(command -v initdb 2>/dev/null || true)
    if [ -n "$dir" ]; then
        dirname "$dir"
        return
    fi
    echo "with-postgres: no PostgreSQL server binaries found (install the postgresql package)" >&2
    return 1
}

free_port() {
    local python
    for python in python3.11 python3 "$root_dir/.venv/bin/python"; do
        if command -v "$python" >/dev/null 2>&1; then
            "$python" -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()'
            return
        fi
    done
    echo "with-postgres: python is needed to pick a free port" >&2
    return 1
}

root_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bindir=$(find_bindir)

workdir=$(mktemp -d "${TMPDIR:-/tmp}/portal-pg.XXXXXX")
datadir="$workdir/data"
logfile="$workdir/postgres.log"

if [ "$(id -u)" -eq 0 ]; then
    # initdb refuses to run as root.
    chown postgres:postgres "$workdir"
    as_owner() { (cd "$workdir" && runuser -u postgres -- "$@"); }
else
    as_owner() { (cd "$workdir" && "$@"); }
fi

cleanup() {
    local status=$?
    trap - EXIT INT TERM HUP
    if [ -f "$datadir/postmaster.pid" ]; then
        as_owner "$bindir/pg_ctl" -D "$datadir" -m immediate -w -t 30 stop >/dev/null 2>&1 ||
            { echo "with-postgres: pg_ctl stop failed" >&2; tail -n 20 "$logfile" >&2 || true; }
    fi
    rm -rf "$workdir"
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

as_owner "$bindir/initdb" -D "$datadir" -U postgres -A trust -E UTF8 --locale=C.UTF-8 \
    --no-sync >"$workdir/initdb.log" 2>&1 || {
    cat "$workdir/initdb.log" >&2
    echo "with-postgres: initdb failed" >&2
    exit 1
}

# Another process may take the port between picking and binding it: try a few ports.
for attempt in 1 2 3; do
    port=$(free_port)
    if as_owner "$bindir/pg_ctl" -D "$datadir" -l "$logfile" -w -t 60 -s \
        -o "-h 127.0.0.1 -p $port -k '$workdir' -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
        start; then
        break
    fi
    if [ "$attempt" -eq 3 ]; then
        cat "$logfile" >&2 || true
        echo "with-postgres: the server did not start" >&2
        exit 1
    fi
done

"$bindir/createdb" -h 127.0.0.1 -p "$port" -U postgres portal_test

export PORTAL_TEST_DATABASE_URL="postgresql+psycopg://postgres@127.0.0.1:$port/portal_test"

set +e
"$@"
status=$?
set -e
exit "$status"
