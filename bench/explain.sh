#!/usr/bin/env bash
# SHAP benchmark: Glassbox's TreeSHAP beside the shap package on the same trees, and the
# share of an AutoML job's time its explanations take.
# Usage: bench/explain.sh [JOB_SECONDS]   (the test venv has shap: scripts/test.sh makes it)
# GLASSBOX_BIN=… uses that binary instead of building a release one (the dev profile builds
# the engine at opt-level 2 too).
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/glassbox-target}
VENV=${GLASSBOX_VENV:-$HOME/.cache/glassbox-venv}
if [ -z "${GLASSBOX_BIN:-}" ]; then
  cargo build --release -p glassbox -q
  GLASSBOX_BIN=$CARGO_TARGET_DIR/release/glassbox
fi
GLASSBOX_BIN=$GLASSBOX_BIN exec "$VENV/bin/python" bench/explain.py "$@"
