#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the tests and benchmarks: initdb in a new
# temporary folder, a free port on 127.0.0.1 and a unix socket in that folder,
# no service left behind. PostgreSQL refuses to run as root, so as root the
# cluster runs as the unprivileged user `nobody`.
#   scripts/pg.sh start    prints `export EARMARK_TEST_PG=postgresql://...` and
#                          `export EARMARK_PG_DIR=...` lines for `eval`
#   scripts/pg.sh stop DIR stops the cluster of DIR and removes DIR
# EARMARK_PG_DURABLE=1 keeps PostgreSQL's defaults (fsync and synchronous commit on):
# commits then wait for the disk, as on a real server (bench/bench_team.py --durable).
set -euo pipefail
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -n "$bin" ] || { echo "pg.sh: PostgreSQL is not installed (scripts/setup.sh --dev installs it)" >&2; exit 1; }

as_owner() {  # run a command as the cluster's owner
  if [ "$(id -u)" = 0 ]; then su nobody -s /bin/sh -c "$*"; else sh -c "$*"; fi
}

case "${1:-}" in
  start)
    dir=$(mktemp -d /tmp/earmark-pg.XXXXXX)
    chmod 755 "$dir"
    [ "$(id -u)" = 0 ] && chown nobody "$dir"
    port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    as_owner "'$bin/initdb' -D '$dir/data' -U earmark -A trust -E UTF8 --no-locale >'$dir/initdb.log' 2>&1" \
      || { cat "$dir/initdb.log" >&2; exit 1; }
    # fsync off: a throwaway cluster need not survive a power cut, and tests commit a lot
    durability="-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    [ "${EARMARK_PG_DURABLE:-}" = 1 ] && durability=""
    as_owner "'$bin/pg_ctl' -D '$dir/data' -l '$dir/server.log' -w -o \"-k '$dir' -p $port -h 127.0.0.1 $durability -c max_connections=300\" start >/dev/null" \
      || { cat "$dir/server.log" >&2; exit 1; }
    as_owner "'$bin/createdb' -h '$dir' -p $port -U earmark earmark_test"
    echo "export EARMARK_TEST_PG=postgresql://earmark@127.0.0.1:$port/earmark_test"
    echo "export EARMARK_PG_DIR=$dir"
    ;;
  stop)
    dir=${2:?usage: pg.sh stop DIR}
    [ -d "$dir/data" ] && as_owner "'$bin/pg_ctl' -D '$dir/data' -m immediate -w stop >/dev/null 2>&1" || true
    rm -rf "$dir"
    ;;
  *)
    echo "usage: scripts/pg.sh start | stop DIR" >&2; exit 2 ;;
esac
