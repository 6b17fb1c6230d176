#!/usr/bin/env bash
# Set up everything the tests need on a fresh machine, run the checks (build_scripts/check.sh),
# then the whole suite; any finding of a checker fails the run before pytest starts.
#   ./build_scripts/test.sh [pytest args...]
#   VITRINE_SKIP_CHECKS=1 ./build_scripts/test.sh ...   while iterating on a test locally
set -euo pipefail
cd "$(dirname "$0")/.."
source build_scripts/_setup.sh
ensure_venv test
if [ "${VITRINE_SKIP_CHECKS:-}" = 1 ]; then
  echo "==> checks skipped (VITRINE_SKIP_CHECKS=1)"
else
  run_checks
fi
# chromium: browser tests; libzbar0: the barcode decoder; postgresql: the hub's PG tests;
# tesseract-ocr(-rus): reading the browser tests' screenshots back (tests/e2e/test_rendering.py).
ensure_system_packages chromium libzbar0 postgresql tesseract-ocr tesseract-ocr-rus
exec "$VENV/bin/python" -m pytest -q "$@"
