#!/usr/bin/env bash
# AutoML benchmark: Glassbox (release build) vs FLAML vs AutoGluon-Tabular, same budget, same
# splits. Usage: bench/automl.sh [BUDGET_SECONDS] [DATASET ...]
# GLASSBOX_BIN=path skips the build (to measure a binary kept aside).
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/glassbox-target}
VENV=${BENCH_VENV:-$HOME/.cache/glassbox-bench-venv}
AG_VENV=${AUTOGLUON_VENV:-$HOME/.cache/glassbox-autogluon-venv}
if [ -z "${GLASSBOX_BIN:-}" ]; then
  cargo build --release -p glassbox -q
  GLASSBOX_BIN=$CARGO_TARGET_DIR/release/glassbox
fi
if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c "import flaml, lightgbm, ydata_profiling" 2>/dev/null; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q --disable-pip-version-check -r bench/requirements.txt
fi
# AutoGluon in its own venv: its pins (numpy, scikit-learn, lightgbm) differ from FLAML's.
if [ ! -x "$AG_VENV/bin/python" ] || ! "$AG_VENV/bin/python" -c "import autogluon.tabular" 2>/dev/null; then
  python3 -m venv "$AG_VENV"
  "$AG_VENV/bin/pip" install -q --disable-pip-version-check -r bench/requirements-autogluon.txt
fi
GLASSBOX_BIN=$GLASSBOX_BIN FLAML_PYTHON=$VENV/bin/python AUTOGLUON_PYTHON=$AG_VENV/bin/python \
  exec "$VENV/bin/python" bench/automl.py "$@"
