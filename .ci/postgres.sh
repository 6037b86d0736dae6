#!/usr/bin/env bash
# Start a throwaway PostgreSQL server on loopback for the tests, and print the URL they read.
#   eval "$(.ci/postgres.sh start)"   # sets VEIL_TEST_POSTGRES_URL
#   .ci/postgres.sh stop
# Installs Debian's postgresql package when no server is on the machine.
set -euo pipefail
PGDATA_DIR="${VEIL_PGDATA:-/tmp/veil-pgdata}"
PORT="${VEIL_PGPORT:-54329}"
PASSWORD="${VEIL_PGPASSWORD:-veil-test-secret}"

bindir() {
  local found
  found="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)"
  if [ -z "$found" ] && command -v initdb >/dev/null 2>&1; then found="$(dirname "$(readlink -f "$(command -v initdb)")")"; fi
  echo "$found"
}

as_postgres() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case "${1:-start}" in
  start)
    BIN="$(bindir)"
    if [ -z "$BIN" ]; then
      echo "installing PostgreSQL (Debian package)" >&2
      export DEBIAN_FRONTEND=noninteractive
      (apt-get update -qq && apt-get install -y -qq postgresql) >&2
      BIN="$(bindir)"
    fi
    if [ -z "$BIN" ]; then echo "no PostgreSQL server could be installed" >&2; exit 1; fi
    if [ "$(id -u)" = 0 ] && ! id postgres >/dev/null 2>&1; then useradd --system --home /tmp postgres; fi
    if [ ! -s "$PGDATA_DIR/PG_VERSION" ]; then
      rm -rf "$PGDATA_DIR"; mkdir -p "$PGDATA_DIR"
      [ "$(id -u)" = 0 ] && chown postgres "$PGDATA_DIR"
      printf '%s\n' "$PASSWORD" > "$PGDATA_DIR.pw"
      [ "$(id -u)" = 0 ] && chown postgres "$PGDATA_DIR.pw"
      as_postgres "$BIN/initdb" -D "$PGDATA_DIR" -U veil --pwfile="$PGDATA_DIR.pw" -A scram-sha-256 -E UTF8 >/dev/null
      rm -f "$PGDATA_DIR.pw"
    fi
    if ! as_postgres "$BIN/pg_ctl" -D "$PGDATA_DIR" status >/dev/null 2>&1; then
      as_postgres "$BIN/pg_ctl" -D "$PGDATA_DIR" -l "$PGDATA_DIR/server.log" -w \
        -o "-h 127.0.0.1 -p $PORT -k /tmp -c fsync=off -c synchronous_commit=off -c full_page_writes=off" start >/dev/null
    fi
    PGPASSWORD="$PASSWORD" "$BIN/psql" -h 127.0.0.1 -p "$PORT" -U veil -d postgres -tAc \
      "SELECT 1 FROM pg_database WHERE datname = 'veil'" | grep -q 1 || \
      PGPASSWORD="$PASSWORD" "$BIN/createdb" -h 127.0.0.1 -p "$PORT" -U veil veil
    echo "export VEIL_TEST_POSTGRES_URL=postgresql://veil:$PASSWORD@127.0.0.1:$PORT/veil"
    ;;
  stop)
    BIN="$(bindir)"
    as_postgres "$BIN/pg_ctl" -D "$PGDATA_DIR" -m fast stop >/dev/null 2>&1 || true
    ;;
esac
