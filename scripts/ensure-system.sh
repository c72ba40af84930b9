#!/usr/bin/env bash
# Make sure the Debian packages the portal needs are installed.
#
#   scripts/ensure-system.sh run    fonts, HarfBuzz subsetting, Pango (WeasyPrint), python3-venv
#   scripts/ensure-system.sh serve  as run; with DATABASE_URL on PostgreSQL also postgresql-client
#                                   (pg_dump and pg_restore for `flask backup`)
#   scripts/ensure-system.sh test   the above, plus poppler-utils, chromium and postgresql
#
# Silent when everything is present. As root, missing packages are installed with apt-get;
# otherwise the sudo command to run is printed and the script exits 1.
set -euo pipefail

usage() { echo "usage: $0 run|serve|test" >&2; exit 2; }
[ $# -eq 1 ] || usage
mode=$1

root_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

wanted=(fonts-noto-cjk fonts-dejavu-core libharfbuzz-subset0 libpango-1.0-0 libpangoft2-1.0-0)
case "$mode" in
    run) ;;
    serve) case "${DATABASE_URL:-}" in postgres*) wanted+=(postgresql-client) ;; esac ;;
    test) wanted+=(poppler-utils chromium postgresql) ;;
    *) usage ;;
esac

# python3-venv: only needed to create .venv, and only when the interpreter cannot do it.
# On Debian `python3 -m venv --help` works without python3-venv (the venv module is in the
# standard library package) but creating a venv then fails for want of ensurepip, so check both.
if [ ! -x "$root_dir/.venv/bin/python" ]; then
    python=$(command -v python3.11 || command -v python3 || true)
    if [ -z "$python" ]; then
        wanted+=(python3 python3-venv)
    elif ! { "$python" -m venv --help && "$python" -c 'import ensurepip'; } >/dev/null 2>&1; then
        wanted+=(python3-venv)
    fi
fi

is_installed() {
    local status
    status=$(dpkg-query -W -f='${Status}\n' "$1" 2>/dev/null) || return 1
    case "$status" in
        *" ok installed"*) return 0 ;;
        *) return 1 ;;
    esac
}

missing=()
for package in "${wanted[@]}"; do
    is_installed "$package" || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
    echo "Missing system packages (${mode}): ${missing[*]}" >&2
    echo "Install them with:" >&2
    echo "  sudo apt-get install -y ${missing[*]}" >&2
    exit 1
fi

echo "Installing system packages (${mode}): ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y --no-install-recommends "${missing[@]}" </dev/null

still=()
for package in "${missing[@]}"; do
    is_installed "$package" || still+=("$package")
done
if [ ${#still[@]} -ne 0 ]; then
    echo "Still missing after apt-get install: ${still[*]}" >&2
    exit 1
fi
