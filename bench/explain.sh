#!/usr/bin/env bash
# SHAP benchmark: Glassbox's TreeSHAP (release build) beside the shap package on the same
# trees, and the share of an AutoML job's time its explanations take.
# Usage: bench/explain.sh [JOB_SECONDS]   (the test venv has shap: scripts/test.sh makes it)
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/glassbox-target}
VENV=${GLASSBOX_VENV:-$HOME/.cache/glassbox-venv}
cargo build --release -p glassbox -q
GLASSBOX_BIN=$CARGO_TARGET_DIR/release/glassbox exec "$VENV/bin/python" bench/explain.py "$@"
