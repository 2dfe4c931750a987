#!/usr/bin/env bash
# Endpoint and batch-transform benchmark: the first two GBDTs trained on adult (depth 5 at rate
# 0.2, depth 6 at rate 0.05) are deployed; wrk measures
# single-row invocations beside /healthz in the same run (latency with 1 connection,
# throughput with 50), and a batch transform scores adult × 10 (488,420 rows).
# Usage: bench/endpoints.sh [SECONDS_PER_RUN]
# GLASSBOX_BIN=… uses that binary instead of building a release one.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/glassbox-target}
VENV=${GLASSBOX_VENV:-$HOME/.cache/glassbox-venv}
if ! command -v wrk >/dev/null; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
  $SUDO apt-get install -y -qq wrk >/dev/null
fi
if [ -z "${GLASSBOX_BIN:-}" ]; then
  cargo build --release -p glassbox -q
  GLASSBOX_BIN=$CARGO_TARGET_DIR/release/glassbox
fi
GLASSBOX_BIN=$GLASSBOX_BIN exec "$VENV/bin/python" bench/endpoints.py "$@"
