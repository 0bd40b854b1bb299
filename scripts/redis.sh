#!/usr/bin/env bash
# A throwaway Redis for tests: `scripts/redis.sh start` prints its URL, `scripts/redis.sh stop`
# stops it (by the PID it wrote). Uses Debian's redis-server (installed with apt if missing),
# on 127.0.0.1 and a private port, with persistence off.
set -euo pipefail

PORT="${SOPORTE_REDIS_PORT:-63799}"
DIR="${SOPORTE_REDIS_DIR:-/tmp/soporte-redis}"
PIDFILE="$DIR/redis.pid"

ensure_installed() {
  if ! command -v redis-server >/dev/null; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null
  fi
}

running() { [ -f "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; }

start() {
  ensure_installed
  if ! running; then
    rm -rf "$DIR" && mkdir -p "$DIR"
    redis-server --bind 127.0.0.1 --port "$PORT" --save '' --appendonly no \
      --dir "$DIR" --daemonize yes --pidfile "$PIDFILE" --logfile "$DIR/redis.log"
    for _ in $(seq 50); do
      redis-cli -h 127.0.0.1 -p "$PORT" ping >/dev/null 2>&1 && break
      sleep 0.1
    done
    redis-cli -h 127.0.0.1 -p "$PORT" ping >/dev/null
  fi
  echo "redis://127.0.0.1:$PORT/0"
}

stop() {
  if running; then
    pid="$(cat "$PIDFILE")"
    kill "$pid"
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  fi
  rm -rf "$DIR"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
