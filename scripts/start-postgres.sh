#!/usr/bin/env bash
# Starts a throwaway PostgreSQL server on 127.0.0.1 for the tests (CI and local runs take this same
# path) and prints its URL on stdout. `stop` stops it. Needs Debian's `postgresql` package.
#   export PLUGGY_LIFECYCLE_PG_URL="$(scripts/start-postgres.sh)"
set -euo pipefail

PORT="${PLUGGY_LIFECYCLE_PG_PORT:-55432}"
DIR="${PLUGGY_LIFECYCLE_PG_DIR:-${TMPDIR:-/tmp}/pluggy-lifecycle-pg-$PORT}"
DB="${PLUGGY_LIFECYCLE_PG_DB:-pluggy_lifecycle}"

BIN="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)"
if [ -z "$BIN" ] || [ ! -x "$BIN/initdb" ]; then
  echo "start-postgres: PostgreSQL is not installed (expected /usr/lib/postgresql/<version>/bin; apt-get install -y postgresql)" >&2
  exit 1
fi

# initdb and the server refuse to run as root: run them as the `postgres` user the package creates.
as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

if [ "${1:-start}" = stop ]; then
  if [ -f "$DIR/PG_VERSION" ]; then as_pg "$BIN/pg_ctl" -D "$DIR" -m fast stop >&2 || true; fi
  exit 0
fi

if [ ! -f "$DIR/PG_VERSION" ]; then
  mkdir -p "$DIR"
  if [ "$(id -u)" = 0 ]; then chown postgres: "$DIR"; fi
  chmod 700 "$DIR"
  as_pg "$BIN/initdb" -D "$DIR" -U postgres --auth=trust -E UTF8 --no-locale >/dev/null
fi

if ! as_pg "$BIN/pg_ctl" -D "$DIR" status >/dev/null 2>&1; then
  # Loopback only, no Unix socket; fsync is off because this server holds throwaway test data.
  as_pg "$BIN/pg_ctl" -D "$DIR" -l "$DIR/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $PORT -c unix_socket_directories= -c fsync=off -c full_page_writes=off -c max_connections=200" \
    start >/dev/null
fi

PSQL=("$BIN/psql" -h 127.0.0.1 -p "$PORT" -U postgres -v ON_ERROR_STOP=1 -qtA)
if [ "$(as_pg "${PSQL[@]}" -d postgres -c "SELECT 1 FROM pg_database WHERE datname = '$DB'")" != 1 ]; then
  as_pg "${PSQL[@]}" -d postgres -c "CREATE DATABASE \"$DB\"" >/dev/null
fi

echo "postgres://postgres@127.0.0.1:$PORT/$DB"
