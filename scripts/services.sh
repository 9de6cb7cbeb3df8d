#!/usr/bin/env bash
# Real Redis and PostgreSQL (Debian's packages) on loopback, for tests and benchmarks.
#
#   eval "$(scripts/services.sh start)"   # exports DANGAN_TEST_REDIS_URL, DANGAN_TEST_DATABASE_URL
#   scripts/services.sh stop
#
# Throw-away servers: data in a temp dir, free ports, stopped by `stop`. PostgreSQL
# refuses to run as root, so under root it runs as the `postgres` user.
set -euo pipefail

STATE="${DANGAN_SERVICES_DIR:-/tmp/dangan-services}"
PG_BIN="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1)"

log() { echo "services.sh: $*" >&2; }

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

as_pg() {
    if [[ "$(id -u)" == "0" ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

start_redis() {
    if [[ -f "$STATE/redis.url" ]] && redis-cli -u "$(cat "$STATE/redis.url")" ping >/dev/null 2>&1; then
        return
    fi
    local port; port=$(free_port)
    mkdir -p "$STATE/redis"
    redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no \
        --daemonize yes --pidfile "$STATE/redis/redis.pid" --dir "$STATE/redis" \
        --logfile "$STATE/redis/redis.log"
    for _ in $(seq 50); do
        redis-cli -p "$port" ping >/dev/null 2>&1 && break
        sleep 0.1
    done
    echo "redis://127.0.0.1:$port/0" > "$STATE/redis.url"
    echo "$port" > "$STATE/redis.port"
}

start_postgres() {
    if [[ -f "$STATE/pg.url" ]] && as_pg "$PG_BIN/pg_ctl" -D "$STATE/pg/data" status >/dev/null 2>&1; then
        return
    fi
    [[ -n "$PG_BIN" ]] || { log "PostgreSQL is not installed: apt-get install postgresql"; exit 1; }
    local port; port=$(free_port)
    rm -rf "$STATE/pg"; mkdir -p "$STATE/pg"
    [[ "$(id -u)" == "0" ]] && chown postgres "$STATE/pg"
    as_pg "$PG_BIN/initdb" -D "$STATE/pg/data" -U dangan --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
    as_pg "$PG_BIN/pg_ctl" -D "$STATE/pg/data" -l "$STATE/pg/log" -w \
        -o "-p $port -k /tmp -c listen_addresses=127.0.0.1 -c fsync=off" start >/dev/null
    as_pg "$PG_BIN/createdb" -h 127.0.0.1 -p "$port" -U dangan dangan_test
    echo "postgresql://dangan@127.0.0.1:$port/dangan_test" > "$STATE/pg.url"
    echo "$port" > "$STATE/pg.port"
}

case "${1:-}" in
start)
    mkdir -p "$STATE"; chmod 755 "$STATE"
    start_redis
    start_postgres
    echo "export DANGAN_TEST_REDIS_URL=$(cat "$STATE/redis.url")"
    echo "export DANGAN_TEST_DATABASE_URL=$(cat "$STATE/pg.url")"
    echo "export DANGAN_TEST_REDIS_PORT=$(cat "$STATE/redis.port")"
    ;;
stop)
    if [[ -f "$STATE/redis/redis.pid" ]]; then kill "$(cat "$STATE/redis/redis.pid")" 2>/dev/null || true; fi
    if [[ -d "$STATE/pg/data" ]]; then as_pg "$PG_BIN/pg_ctl" -D "$STATE/pg/data" -m fast stop >/dev/null 2>&1 || true; fi
    rm -rf "$STATE"
    ;;
*)
    echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
