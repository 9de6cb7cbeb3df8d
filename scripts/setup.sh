#!/usr/bin/env bash
# Set up a fresh machine: Debian packages (fonts, poppler, servers, browser) and the
# project's virtualenv. Idempotent: installs only what is missing.
#
#   scripts/setup.sh          # everything (tests, services, browser)
#   scripts/setup.sh --demo   # only what the demo needs (fonts, venv)
set -euo pipefail
cd "$(dirname "$0")/.."

DEMO_PKGS=(fonts-noto-cjk fonts-wqy-zenhei fonts-wqy-microhei fonts-arphic-ukai fonts-arphic-uming)
TEST_PKGS=(poppler-utils redis-server postgresql chromium maven unzip curl qpdf)
PYTHON="${PYTHON:-python3}"

pkgs=("${DEMO_PKGS[@]}")
[[ "${1:-}" == "--demo" ]] || pkgs+=("${TEST_PKGS[@]}")

missing=()
for p in "${pkgs[@]}"; do
    dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if ((${#missing[@]})); then
    echo "setup: installing Debian packages: ${missing[*]}" >&2
    SUDO=""; [[ "$(id -u)" == "0" ]] || SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [[ ! -x .venv/bin/python ]]; then
    echo "setup: creating .venv" >&2
    "$PYTHON" -m venv .venv
fi
stamp=.venv/.installed-$(sha1sum pyproject.toml | cut -c1-12)
if [[ ! -f "$stamp" ]]; then
    echo "setup: installing Python packages" >&2
    .venv/bin/pip install -q --upgrade pip
    .venv/bin/pip install -q -e '.[dev]'
    rm -f .venv/.installed-*; touch "$stamp"
fi
