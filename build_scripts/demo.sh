#!/usr/bin/env bash
# Run the hub with demo data and the app logged in as the demo consultant.
#   ./build_scripts/demo.sh            desktop window (browser mode where there is no display)
#   ./build_scripts/demo.sh --web 8550 serve the app at http://127.0.0.1:8550
set -euo pipefail
cd "$(dirname "$0")/.."
source build_scripts/_setup.sh
ensure_venv hub  # the demo runs the hub next to the app

WEB_ARGS=()
while [ $# -gt 0 ]; do
  case "$1" in
    --web)
      if [[ "${2:-}" =~ ^[0-9]+$ ]]; then WEB_ARGS=(--web "$2"); shift; else WEB_ARGS=(--web 8550); fi ;;
    *) echo "unknown argument: $1 (use --web [PORT])"; exit 2 ;;
  esac
  shift
done
if [ ${#WEB_ARGS[@]} -eq 0 ] && [ "$(uname)" = Linux ] && [ -z "${DISPLAY:-}" ]; then
  echo "==> no display here: serving the app for a browser instead"
  WEB_ARGS=(--web 8550)
fi

HUB_PORT=${VITRINE_HUB_PORT:-8700}
mkdir -p var
if [ ! -f var/demo-hub.sqlite ]; then
  echo "==> seeding the demo hub (two brands, 4 stores, 14 consultants, 5,100 clients)"
  "$VENV/bin/python" -m sync.hub seed --demo --db var/demo-hub.sqlite
fi

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; echo "==> stopped"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

"$VENV/bin/python" -m sync.hub serve --db var/demo-hub.sqlite --host 127.0.0.1 --port "$HUB_PORT" &
pids+=($!)
for _ in $(seq 1 100); do
  "$VENV/bin/python" -c "import httpx,sys; httpx.get('http://127.0.0.1:$HUB_PORT/healthz').raise_for_status()" 2>/dev/null && break
  sleep 0.2
done
echo "==> hub: http://127.0.0.1:$HUB_PORT  (API docs: http://127.0.0.1:$HUB_PORT/docs)"
echo "==> demo consultant: login 'demo', password 'vitrine-demo'"
echo "==> at the first login the app asks for a PIN (4-6 digits, not 1234); it asks for it again after 5 idle minutes"
# --secrets-file: a demo machine may have no keyring; the cache key then lies in var/demo-device.
# --single-session: the demo is one tablet; every browser tab shows that tablet.
VITRINE_PASSWORD=vitrine-demo "$VENV/bin/python" -m app --hub "http://127.0.0.1:$HUB_PORT" --data var/demo-device \
  --secrets-file --single-session --login demo "${WEB_ARGS[@]}" &
pids+=($!)
echo "==> Ctrl-C stops both"
wait "${pids[-1]}"
