#!/usr/bin/env bash
# Install everything and run the whole suite: lint, types, migrations and
# OpenAPI drift checks, then the tests on SQLite and on PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")/.."

# System packages the suite needs: PostgreSQL for the second database run,
# Chromium for the browser tests. Installed when missing and we are root.
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
command -v msgfmt >/dev/null 2>&1 || missing+=(gettext)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "Please install: ${missing[*]}" >&2
    exit 1
  fi
fi

scripts/setup.sh dev
export PATH="$PWD/.venv/bin:$PATH"
export ZHENGTONG_DATA_DIR="${ZHENGTONG_DATA_DIR:-$(mktemp -d)}"
export ZHENGTONG_CHROMIUM="${ZHENGTONG_CHROMIUM:-$(command -v chromium)}"
unset DATABASE_URL

echo "== ruff"
ruff check src tests bench conftest.py
ruff format --check src tests bench conftest.py
echo "== mypy --strict"
mypy src bench tests conftest.py
echo "== migrations are complete"
zhengtong makemigrations --check --dry-run
echo "== OpenAPI document is current"
zhengtong export_openapi --check docs/api/openapi.json
echo "== translations compile"
zhengtong compilemessages --ignore=.venv >/dev/null

echo "== tests on SQLite"
python -m pytest -p no:cacheprovider -q "$@"

echo "== tests on PostgreSQL"
pgdir="$(mktemp -d)"
trap 'scripts/postgres.sh stop "$pgdir"' EXIT
eval "$(scripts/postgres.sh start "$pgdir")"
python -m pytest -p no:cacheprovider -q "$@"
