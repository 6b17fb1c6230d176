#!/usr/bin/env bash
# Run the checks alone: ruff (lint + format), mypy, import-linter contracts, import cycles.
#   ./build_scripts/check.sh
# ./build_scripts/test.sh runs them too, before the tests.
set -euo pipefail
cd "$(dirname "$0")/.."
source build_scripts/_setup.sh
ensure_venv test
run_checks
