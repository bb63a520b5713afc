#!/usr/bin/env bash
# ctest PlotBench: scripts/plot_bench.py works on what db_bench_drift writes, on a
# machine set up by scripts/setup.sh (which installs gnuplot): a short search run
# with --json, then the chart into a directory that does not exist yet.
# Usage: scripts/test_plot_bench.sh <db_bench_drift binary> <source dir>
set -euo pipefail
BENCH="${1:?usage: test_plot_bench.sh <db_bench_drift> <source dir>}"
SOURCE_DIR="${2:?usage: test_plot_bench.sh <db_bench_drift> <source dir>}"
die() { echo "[test_plot_bench] FAIL: $*" >&2; exit 1; }

command -v gnuplot >/dev/null || die "gnuplot not installed (run scripts/setup.sh)"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/drift-plot-test-XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

"$BENCH" --db="$WORK/db" --dataset=gaussian --num=3000 --dim=16 --clusters=8 \
  --num_queries=50 --benchmarks=fillvec,flush,train,compact,search \
  --systems=drift,bruteforce --nprobe_list=2,4,8 --recall_targets=0.95 \
  --json="$WORK/results.json" >"$WORK/bench.log" 2>&1 ||
  { cat "$WORK/bench.log"; die "db_bench_drift failed"; }
python3 "$SOURCE_DIR/scripts/plot_bench.py" "$WORK/results.json" "$WORK/charts/new" \
  >"$WORK/plot.log" 2>&1 || { cat "$WORK/plot.log"; die "plot_bench.py failed"; }
cat "$WORK/plot.log"
grep -q '^wrote .*recall_qps.png$' "$WORK/plot.log" || die "no 'wrote ...recall_qps.png'"
# Text output only (a failed `set output` used to dump the PNG to stdout).
LC_ALL=C grep -q '[^[:print:][:space:]]' "$WORK/plot.log" && die "binary data on the output"
file "$WORK/charts/new/recall_qps.png" | grep -q 'PNG image data' ||
  die "recall_qps.png is not a PNG"
echo "[test_plot_bench] PASS"
