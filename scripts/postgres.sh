#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for tests: `scripts/postgres.sh start` prints its URL,
# `scripts/postgres.sh stop` removes it. Uses the machine's PostgreSQL (installed with apt if
# missing). initdb refuses root, so the server runs as the `postgres` system user.
set -euo pipefail

PGPORT="${SOPORTE_PG_PORT:-54329}"
PGDATA="${SOPORTE_PG_DIR:-/tmp/soporte-pg}"
PGBIN="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)"

as_postgres() { runuser -u postgres -- "$@"; }

ensure_installed() {
  if [ -z "$PGBIN" ] || [ ! -x "$PGBIN/initdb" ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
    PGBIN="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)"
  fi
}

start() {
  ensure_installed
  if [ -f "$PGDATA/postmaster.pid" ] && as_postgres "$PGBIN/pg_ctl" -D "$PGDATA" status >/dev/null 2>&1; then
    echo "postgres://postgres@127.0.0.1:$PGPORT/soporte_test"
    return
  fi
  rm -rf "$PGDATA"
  mkdir -p "$PGDATA" && chown postgres: "$PGDATA"
  as_postgres "$PGBIN/initdb" -D "$PGDATA" --no-sync -A trust -U postgres -E UTF8 >/dev/null
  as_postgres "$PGBIN/pg_ctl" -D "$PGDATA" -l "$PGDATA/server.log" -w \
    -o "-h 127.0.0.1 -p $PGPORT -k /tmp -F -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" \
    start >/dev/null
  as_postgres "$PGBIN/psql" -h 127.0.0.1 -p "$PGPORT" -U postgres -q -c "CREATE DATABASE soporte_test" >/dev/null
  as_postgres "$PGBIN/psql" -h 127.0.0.1 -p "$PGPORT" -U postgres -d soporte_test -q -c "CREATE EXTENSION IF NOT EXISTS unaccent" >/dev/null
  echo "postgres://postgres@127.0.0.1:$PGPORT/soporte_test"
}

stop() {
  if [ -n "$PGBIN" ] && [ -d "$PGDATA" ]; then
    as_postgres "$PGBIN/pg_ctl" -D "$PGDATA" -m immediate stop >/dev/null 2>&1 || true
  fi
  rm -rf "$PGDATA"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
