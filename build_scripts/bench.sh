#!/usr/bin/env bash
# Run one benchmark: ./build_scripts/bench.sh NAME [args]   (NAME: one of tests/bench/bench_NAME.py)
# Each prints its figures and ends with one JSON line.
set -euo pipefail
cd "$(dirname "$0")/.."
source build_scripts/_setup.sh
ensure_venv test  # the benchmarks use the test helpers, the hub and psutil
name=${1:-}
if [ -z "$name" ] || [ ! -f "tests/bench/bench_$name.py" ]; then
  echo "usage: $0 NAME  — one of: $(ls tests/bench/bench_*.py 2>/dev/null | sed 's#.*/bench_##; s#\.py##' | tr '\n' ' ')"
  exit 2
fi
shift
[ "$name" = scan ] && ensure_system_packages libzbar0
[ "$name" = hub ] && ensure_system_packages postgresql
exec "$VENV/bin/python" "tests/bench/bench_$name.py" "$@"
