#!/usr/bin/env bash
# A throwaway PostgreSQL server for the PostgreSQL tests (test/store/postgres.test.ts, test/cli/db.test.ts).
#
#   eval "$(test/helpers/start_postgres.sh)"     # installs PostgreSQL if missing, starts it, exports
#                                                # IDP_TEST_DATABASE_URL and TEST_POSTGRES_DIR
#   node_modules/.bin/bun test test/store/postgres.test.ts
#   test/helpers/start_postgres.sh stop "$TEST_POSTGRES_DIR"
#
# The server lives in a fresh temporary directory, listens on 127.0.0.1 only (port 55432, or the next
# free one; TEST_POSTGRES_PORT picks another), and has a role `idp` with a random password that may
# create databases (each test file makes its own). Progress goes to stderr; stdout is only the exports.
# Run it as root (it installs packages and runs the server as the `postgres` user) or as a normal user
# who can run initdb.
set -euo pipefail

log() { echo "start_postgres: $*" >&2; }

# initdb and pg_ctl are not on PATH on Debian (they live in /usr/lib/postgresql/N/bin).
find_bin() {
  local name=$1 candidate
  if command -v "$name" >/dev/null 2>&1; then command -v "$name"; return 0; fi
  for candidate in /usr/local/bin/"$name" /usr/lib/postgresql/*/bin/"$name"; do
    if [ -x "$candidate" ]; then echo "$candidate"; return 0; fi
  done
  return 1
}

# Runs a command as the server's owner: postgres refuses to run as root.
as_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

stop_server() {
  local dir=${1:?usage: start_postgres.sh stop DATA_DIR}
  local pg_ctl
  pg_ctl=$(find_bin pg_ctl) || { log "pg_ctl not found"; return 1; }
  if [ -f "$dir/data/postmaster.pid" ]; then as_owner "$pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true; fi
  rm -rf "$dir"
}

port_free() {
  ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

start_server() {
  local initdb pg_ctl psql
  if ! initdb=$(find_bin initdb) || ! pg_ctl=$(find_bin pg_ctl) || ! psql=$(find_bin psql); then
    [ "$(id -u)" = 0 ] || { log "PostgreSQL is not installed: apt-get install postgresql"; return 1; }
    log "installing PostgreSQL from Debian packages"
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
    initdb=$(find_bin initdb) && pg_ctl=$(find_bin pg_ctl) && psql=$(find_bin psql) || { log "initdb not found after install"; return 1; }
  fi
  if [ "$(id -u)" = 0 ] && ! id postgres >/dev/null 2>&1; then
    useradd --system --home-dir /var/lib/postgresql --shell /usr/sbin/nologin postgres
  fi

  local port=${TEST_POSTGRES_PORT:-55432} tries=0
  until port_free "$port"; do
    tries=$((tries + 1))
    [ "$tries" -lt 50 ] || { log "no free port from ${TEST_POSTGRES_PORT:-55432}"; return 1; }
    port=$((port + 1))
  done

  local dir password
  dir=$(mktemp -d -t idp-pg.XXXXXX)
  chmod 700 "$dir"
  password=$(head -c 18 /dev/urandom | od -An -tx1 | tr -d ' \n')
  [ "$(id -u)" = 0 ] && chown postgres: "$dir"
  # Trust over the unix socket in the private directory only; TCP asks for the password.
  as_owner "$initdb" -D "$dir/data" -U postgres --auth-local=trust --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 >/dev/null
  # Durability is irrelevant for a test server; this makes it much faster.
  as_owner "$pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 start \
    -o "-k $dir -h 127.0.0.1 -p $port -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" >/dev/null \
    || { log "the server did not start:"; cat "$dir/server.log" >&2; return 1; }
  as_owner "$psql" -h "$dir" -p "$port" -U postgres -d postgres -v ON_ERROR_STOP=1 -q \
    -c "CREATE ROLE idp LOGIN CREATEDB PASSWORD '$password'" \
    -c "CREATE DATABASE idp_test OWNER idp" >/dev/null
  log "PostgreSQL is running on 127.0.0.1:$port (data in $dir)"
  echo "export IDP_TEST_DATABASE_URL='postgres://idp:$password@127.0.0.1:$port/idp_test'"
  echo "export TEST_POSTGRES_DIR='$dir'"
}

case "${1:-start}" in
  start) start_server ;;
  stop) stop_server "${2:-}" ;;
  *) log "usage: start_postgres.sh [start | stop DATA_DIR]"; exit 2 ;;
esac
