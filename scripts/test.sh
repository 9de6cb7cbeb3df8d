#!/usr/bin/env bash
# The test command: sets up the machine, starts real services (Elasticsearch, Redis,
# PostgreSQL) on loopback, runs lint, type checks and every test, stops the services.
#
#   scripts/test.sh                 # everything
#   scripts/test.sh tests/unit -x   # arguments go to pytest
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export PATH="$PWD/.venv/bin:$PATH"

cleanup() {
    scripts/elasticsearch.sh stop >/dev/null 2>&1 || true
    scripts/services.sh stop >/dev/null 2>&1 || true
}
trap cleanup EXIT
eval "$(scripts/services.sh start)"
eval "$(scripts/elasticsearch.sh start)"
export DANGAN_REQUIRE_SERVICES=1
export DANGAN_CHROMIUM="${DANGAN_CHROMIUM:-/usr/bin/chromium}"

echo "== ruff"; ruff check .
echo "== mypy"; mypy .
if [[ $# -eq 0 ]]; then
    echo "== paddleocr engine (own environment)"; scripts/test_paddle.sh
fi
echo "== pytest"
pytest -q -ra "$@"
