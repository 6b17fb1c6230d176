# Shared set-up for the build scripts (sourced, not run): the venv and system packages.
# Safe to run again: it only installs what is missing or changed.

PY=${PYTHON:-python3}
VENV=.venv

ensure_venv() {  # ensure_venv [extra]
  local extra=${1:-}
  if [ ! -x "$VENV/bin/python" ]; then
    echo "==> creating $VENV"
    "$PY" -m venv "$VENV"
    "$VENV/bin/python" -m pip install -q --upgrade pip
  fi
  local spec="."
  [ -n "$extra" ] && spec=".[$extra]"
  local stamp="$VENV/.installed-${extra:-base}"
  local want
  want=$(sha256sum pyproject.toml | cut -d' ' -f1)
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    echo "==> installing the project ($spec) into $VENV"
    "$VENV/bin/python" -m pip install -q -e "$spec"
    echo "$want" > "$stamp"
  fi
}

# ensure_system_packages PKG...: Debian packages the tests or the app need.
ensure_system_packages() {
  local missing=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "==> installing system packages: ${missing[*]}"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "!! missing system packages: ${missing[*]}"
    echo "!! install them (Debian/Ubuntu: sudo apt-get install ${missing[*]}); tests that need them will be skipped or fail"
  fi
}

# run_checks: the linters, the formatter, the type checker and the import contracts
# (configured in pyproject.toml). Runs every one, then fails if any had a finding.
run_checks() {
  local failed=()
  local bin="$VENV/bin"
  echo "==> ruff check";           "$bin/ruff" check app sync tests          || failed+=("ruff check")
  echo "==> ruff format --check";  "$bin/ruff" format --check app sync tests || failed+=("ruff format")
  echo "==> mypy";                 "$bin/mypy"                              || failed+=("mypy")
  echo "==> lint-imports";         "$bin/lint-imports" --no-logo            || failed+=("lint-imports")
  echo "==> import cycles";        "$bin/python" build_scripts/check_cycles.py || failed+=("import cycles")
  if [ ${#failed[@]} -gt 0 ]; then
    echo "!! checks failed: ${failed[*]}"
    return 1
  fi
  echo "==> all checks passed"
}
