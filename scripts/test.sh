#!/usr/bin/env bash
# Run every Glassbox test on a fresh machine: installs what it needs first (Chromium from
# Debian, playwright-core from npm, a Python venv with pinned packages, s3s-fs), then runs the Rust
# tests, the HTTP tests against a real server, and the browser tests in real Chromium.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/glassbox-target}
VENV=${GLASSBOX_VENV:-$HOME/.cache/glassbox-venv}
log() { printf '\n==> %s\n' "$*"; }
SUDO=""
[ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null && SUDO=sudo

log "system packages"
if ! command -v chromium >/dev/null 2>&1; then
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq chromium >/dev/null
fi
chromium --version

log "node packages (tests/browser)"
(cd tests/browser && npm ci --no-audit --no-fund --loglevel=error)

log "python venv ($VENV)"
stamp="$VENV/.requirements.sha"
want=$(cat tests/requirements.txt templates/requirements.txt | sha256sum | cut -d' ' -f1)
if [ ! -x "$VENV/bin/python" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q --disable-pip-version-check -r tests/requirements.txt
  echo "$want" > "$stamp"
fi

log "s3s-fs (a real S3 server on loopback, for the SageMaker-protocol tests)"
TOOLS=${GLASSBOX_TOOLS:-$HOME/.cache/glassbox-tools}
if [ ! -x "$TOOLS/bin/s3s-fs" ]; then
  # Its own target folder: not mixed with Glassbox's builds.
  CARGO_TARGET_DIR="$TOOLS/target" cargo install --root "$TOOLS" s3s-fs --version "~0.14" \
    --features binary --locked
  rm -rf "$TOOLS/target"
fi
export S3S_FS_BIN="$TOOLS/bin/s3s-fs"
echo "$S3S_FS_BIN"

log "build"
cargo build --workspace --all-targets

results=()
status=0
run_suite() {
  local name=$1; shift
  log "$name"
  local out
  out=$(mktemp)
  set +e
  "$@" 2>&1 | tee "$out"
  local rc=${PIPESTATUS[0]}
  local passed failed  # counting lines that are absent is not an error
  case $name in
    rust)
      passed=$(grep -Eo '[0-9]+ passed' "$out" | awk '{s+=$1} END {print s+0}')
      failed=$(grep -Eo '[0-9]+ failed' "$out" | awk '{s+=$1} END {print s+0}') ;;
    http)
      passed=$(tail -n 3 "$out" | grep -Eo '[0-9]+ passed' | awk '{s+=$1} END {print s+0}')
      failed=$(tail -n 3 "$out" | grep -Eo '[0-9]+ (failed|error)' | awk '{s+=$1} END {print s+0}') ;;
    browser)
      passed=$(grep -Eo '^ℹ pass [0-9]+' "$out" | awk '{print $3}' | tail -1)
      failed=$(grep -Eo '^ℹ fail [0-9]+' "$out" | awk '{print $3}' | tail -1) ;;
  esac
  set -e
  passed=${passed:-0}; failed=${failed:-0}
  if [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi
  [ "$rc" -ne 0 ] && status=1
  results+=("$name: $passed passed, $failed failed")
  TOTAL_PASSED=$(( ${TOTAL_PASSED:-0} + passed ))
  TOTAL_FAILED=$(( ${TOTAL_FAILED:-0} + failed ))
  rm -f "$out"
}

run_suite rust cargo test --workspace -q --no-fail-fast
run_suite http "$VENV/bin/python" -m pytest -q tests/python -p no:cacheprovider
run_suite browser bash -c "cd tests/browser && node --test --test-concurrency=1 --test-reporter=spec"

log "summary"
printf '%s\n' "${results[@]}"
echo "${TOTAL_PASSED:-0} passed, ${TOTAL_FAILED:-0} failed"
exit $status
