#!/usr/bin/env bash
# A real, throw-away Elasticsearch 9 for tests and benchmarks.
#
#   eval "$(scripts/elasticsearch.sh start)"   # prints: export DANGAN_TEST_ES_URL=http://127.0.0.1:PORT
#   scripts/elasticsearch.sh url
#   scripts/elasticsearch.sh stop
#
# Why this shape: only package registries are reachable, so the server comes from
# Maven Central (the integ-test-zip distribution, fetched with mvn), runs on the
# Temurin 25 JDK, single-node, security off, loopback only, small heap, data in a
# temp dir.  Elasticsearch refuses to run as root, so under root it runs as the
# unprivileged user `dangan-es` (created if missing).
set -euo pipefail

ES_VERSION="${DANGAN_ES_VERSION:-9.2.0}"
CACHE="${DANGAN_CACHE:-$HOME/.cache/dangan}"
JAVA_HOME_ES="${DANGAN_ES_JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
HEAP="${DANGAN_ES_HEAP:-1g}"
ES_USER="dangan-es"
STATE_DIR="$CACHE/es-run"
ZIP="$CACHE/dl/elasticsearch-$ES_VERSION.zip"
HOME_DIR="$CACHE/elasticsearch-$ES_VERSION"

log() { echo "elasticsearch.sh: $*" >&2; }

fetch() {
    if [[ ! -f "$ZIP" ]]; then
        log "fetching elasticsearch $ES_VERSION from Maven Central"
        mkdir -p "$CACHE/dl"
        (cd "$CACHE/dl" && mvn -q dependency:copy \
            "-Dartifact=org.elasticsearch.distribution.integ-test-zip:elasticsearch:$ES_VERSION:zip" \
            "-DoutputDirectory=$CACHE/dl" >&2)
    fi
    if [[ ! -x "$HOME_DIR/bin/elasticsearch" ]]; then
        local tmp
        tmp="$(mktemp -d "$CACHE/unpack.XXXXXX")"
        unzip -q "$ZIP" -d "$tmp"
        rm -rf "$HOME_DIR"
        mv "$tmp/elasticsearch-$ES_VERSION" "$HOME_DIR"
        rm -rf "$tmp"
    fi
}

free_port() {
    python3 - "$1" <<'EOF'
import socket, sys
want = int(sys.argv[1])
for port in [want, 0]:
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", port))
    except OSError:
        s.close()
        continue
    print(s.getsockname()[1])
    s.close()
    break
EOF
}

healthy() {
    curl -fsS -m 5 "$1/_cluster/health?wait_for_status=yellow&timeout=2s" >/dev/null 2>&1
}

run_as_es() {
    if [[ "$(id -u)" == "0" ]]; then
        runuser -u "$ES_USER" -- "$@"
    else
        "$@"
    fi
}

start() {
    if [[ -f "$STATE_DIR/url" ]] && healthy "$(cat "$STATE_DIR/url")"; then
        echo "export DANGAN_TEST_ES_URL=$(cat "$STATE_DIR/url")"
        return 0
    fi
    fetch
    mkdir -p "$STATE_DIR"
    local run_dir port url
    run_dir="$(mktemp -d /tmp/dangan-es.XXXXXX)"
    mkdir -p "$run_dir/data" "$run_dir/logs" "$run_dir/tmp"
    cp -r "$HOME_DIR/config" "$run_dir/config"
    if [[ "$(id -u)" == "0" ]]; then
        id "$ES_USER" >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin "$ES_USER"
        chown -R "$ES_USER" "$run_dir"
        chmod 755 "$run_dir"
        # The unpacked distribution only needs to be readable; its parents traversable.
        chmod -R a+rX "$HOME_DIR"
        local d="$CACHE"
        while [[ "$d" != "/" ]]; do chmod a+x "$d" 2>/dev/null || true; d="$(dirname "$d")"; done
    fi
    port="$(free_port "${DANGAN_ES_PORT:-9200}")"
    url="http://127.0.0.1:$port"
    run_as_es env ES_JAVA_HOME="$JAVA_HOME_ES" ES_PATH_CONF="$run_dir/config" \
        ES_TMPDIR="$run_dir/tmp" ES_JAVA_OPTS="-Xms512m -Xmx$HEAP" \
        "$HOME_DIR/bin/elasticsearch" -d -p "$run_dir/es.pid" \
        -E discovery.type=single-node -E xpack.security.enabled=false \
        -E network.host=127.0.0.1 -E http.port="$port" -E transport.port=0 \
        -E path.data="$run_dir/data" -E path.logs="$run_dir/logs" \
        -E cluster.routing.allocation.disk.threshold_enabled=false \
        -E action.destructive_requires_name=false >"$run_dir/logs/console.out" 2>&1 || {
        log "elasticsearch failed to start; logs in $run_dir/logs"; exit 1; }
    echo "$run_dir" >"$STATE_DIR/run_dir"
    echo "$url" >"$STATE_DIR/url"
    local deadline=$((SECONDS + ${DANGAN_ES_TIMEOUT:-120}))
    until healthy "$url"; do
        if ((SECONDS > deadline)); then
            log "not healthy after ${DANGAN_ES_TIMEOUT:-120}s; logs in $run_dir/logs"
            tail -n 30 "$run_dir"/logs/*.log >&2 || true
            stop
            exit 1
        fi
        sleep 1
    done
    log "healthy at $url"
    echo "export DANGAN_TEST_ES_URL=$url"
}

stop() {
    [[ -f "$STATE_DIR/run_dir" ]] || { log "not running"; return 0; }
    local run_dir pid
    run_dir="$(cat "$STATE_DIR/run_dir")"
    if [[ -f "$run_dir/es.pid" ]]; then
        pid="$(cat "$run_dir/es.pid")"
        kill "$pid" 2>/dev/null || true
        for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
        kill -9 "$pid" 2>/dev/null || true
    fi
    rm -rf "$run_dir" "$STATE_DIR/run_dir" "$STATE_DIR/url"
    log "stopped"
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    url) [[ -f "$STATE_DIR/url" ]] && echo "$(cat "$STATE_DIR/url")" || exit 1 ;;
    *) echo "usage: $0 {start|stop|url}" >&2; exit 2 ;;
esac
