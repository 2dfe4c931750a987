#!/usr/bin/env bash
# AutoML benchmark: Glassbox (release build) vs FLAML, same budget, same splits.
# Usage: bench/automl.sh [BUDGET_SECONDS] [DATASET ...]
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/glassbox-target}
VENV=${BENCH_VENV:-$HOME/.cache/glassbox-bench-venv}
cargo build --release -p glassbox -q
if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c "import flaml, lightgbm, ydata_profiling" 2>/dev/null; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q --disable-pip-version-check -r bench/requirements.txt
fi
GLASSBOX_BIN=$CARGO_TARGET_DIR/release/glassbox FLAML_PYTHON=$VENV/bin/python exec "$VENV/bin/python" bench/automl.py "$@"
