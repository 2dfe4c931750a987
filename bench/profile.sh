#!/usr/bin/env bash
# Profiling benchmark: glassbox profile (release build) vs ydata-profiling (minimal mode)
# on the same file in the same run. Prints wall seconds and peak resident memory.
# Usage: bench/profile.sh [FILE] [TARGET]   (default: diabetic_data.csv readmitted)
set -euo pipefail
cd "$(dirname "$0")/.."
FILE=${1:-../shared/datasets/diabetic_data.csv}
TARGET=${2:-readmitted}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/glassbox-target}
VENV=${BENCH_VENV:-$HOME/.cache/glassbox-bench-venv}
RUNS=${RUNS:-3}

[ -f "$FILE" ] || { echo "error: $FILE not found" >&2; exit 1; }
cargo build --release -p glassbox -q
BIN=$CARGO_TARGET_DIR/release/glassbox
if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c "import ydata_profiling" 2>/dev/null; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q --disable-pip-version-check -r bench/requirements.txt
fi

out=$(mktemp -d)
measure() { # prints "seconds peak_kib"
  /usr/bin/env python3 - "$@" <<'PY'
import resource, subprocess, sys, time
t = time.perf_counter()
subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
wall = time.perf_counter() - t
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(f"{wall:.3f} {peak}")
PY
}

best_g=""; peak_g=0
for _ in $(seq "$RUNS"); do
  read -r s k < <(measure "$BIN" profile "$FILE" --target "$TARGET" --out "$out/glassbox")
  if [ -z "$best_g" ] || awk "BEGIN{exit !($s < $best_g)}"; then best_g=$s; fi
  [ "$k" -gt "$peak_g" ] && peak_g=$k
done
read -r s_y k_y < <(measure "$VENV/bin/python" bench/ydata_minimal.py "$FILE" "$out/ydata.html")

printf '\n%-22s %12s %14s\n' "tool ($(basename "$FILE"))" "wall s" "peak RSS MiB"
printf '%-22s %12s %14.0f\n' "glassbox (best of $RUNS)" "$best_g" "$(awk "BEGIN{print $peak_g/1024}")"
printf '%-22s %12s %14.0f\n' "ydata-profiling min." "$s_y" "$(awk "BEGIN{print $k_y/1024}")"
printf '%-22s %12.1fx\n' "speed-up" "$(awk "BEGIN{print $s_y/$best_g}")"
rm -rf "$out"
