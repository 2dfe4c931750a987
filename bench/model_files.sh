#!/usr/bin/env bash
# Model file sizes and Python load times: a job's model.json files packed and as JSON lists,
# against the issue's targets, and its forests beside scikit-learn's pickles.
# Usage: bench/model_files.sh [JOB_SECONDS] [SET]   (the test venv has scikit-learn)
# GLASSBOX_BIN=… uses that binary instead of building a release one.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/glassbox-target}
VENV=${GLASSBOX_VENV:-$HOME/.cache/glassbox-venv}
if [ -z "${GLASSBOX_BIN:-}" ]; then
  cargo build --release -p glassbox -q
  GLASSBOX_BIN=$CARGO_TARGET_DIR/release/glassbox
fi
GLASSBOX_BIN=$GLASSBOX_BIN exec "$VENV/bin/python" bench/model_files.py "$@"
