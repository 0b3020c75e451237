#!/usr/bin/env bash
# Start a throwaway PostgreSQL 15 cluster for the test suite and print its DATABASE_URL.
# Usage: eval "$(scripts/postgres.sh start DIR)"; ...; scripts/postgres.sh stop DIR
set -euo pipefail
action="$1"
dir="$2"
port="${ZHENGTONG_TEST_PG_PORT:-54329}"
bindir="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
[ -n "$bindir" ] || { echo "PostgreSQL server binaries not found" >&2; exit 1; }

# PostgreSQL refuses to run as root; run it as the postgres user then.
as_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# The test suite trades durability for speed; ZHENGTONG_PG_DURABLE=1 keeps
# PostgreSQL's production defaults (fsync, synchronous commit) for benchmarks.
fast="-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
[ "${ZHENGTONG_PG_DURABLE:-0}" = 1 ] && fast=""

case "$action" in
  start)
    mkdir -p "$dir"
    [ "$(id -u)" = 0 ] && chown postgres:postgres "$dir"
    if [ ! -f "$dir/data/PG_VERSION" ]; then
      as_owner "$bindir/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 \
        --locale=C.UTF-8 >"$dir/initdb.log"
    fi
    as_owner "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w \
      -o "-p $port -k $dir -c listen_addresses=127.0.0.1 $fast" \
      start >/dev/null
    echo "export DATABASE_URL=postgres://postgres@127.0.0.1:$port/zhengtong"
    ;;
  stop)
    as_owner "$bindir/pg_ctl" -D "$dir/data" -m fast stop >/dev/null || true
    ;;
  *)
    echo "usage: $0 start|stop DIR" >&2
    exit 2
    ;;
esac
