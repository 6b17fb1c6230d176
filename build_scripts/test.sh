#!/usr/bin/env bash
# Set up everything the tests need on a fresh machine, then run the whole suite.
#   ./build_scripts/test.sh [pytest args...]
set -euo pipefail
cd "$(dirname "$0")/.."
source build_scripts/_setup.sh
ensure_venv test
# chromium: browser tests; libzbar0: the barcode decoder; postgresql: the hub's PG tests.
ensure_system_packages chromium libzbar0 postgresql
exec "$VENV/bin/python" -m pytest -q "$@"
