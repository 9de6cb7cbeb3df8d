#!/usr/bin/env bash
# The main job on the embedded defaults: generate a sample registration book, then
# ingest -> clean-up -> OCR -> extraction -> export, and print a summary.
#
#   scripts/demo.sh [HOME_DIR]      # default ./demo-home
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --demo
home="${1:-demo-home}"
exec .venv/bin/dangan --home "$home" demo
