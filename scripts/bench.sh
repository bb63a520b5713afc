#!/usr/bin/env bash
# Main job: installs what is missing, builds, and runs db_bench_drift's default
# suite on embedded DBs in a temporary directory: fashion-mnist, then a hard
# synthetic set (gaussian, 128-d, 1,000 heavily overlapping clusters: centres
# ~ N(0, 0.6^2), unit noise), each with hnswlib at M=16 and M=32 in the same
# run. Extra args go to both runs (a --json=PATH gives the hard set
# PATH with .hard before its extension).
#   DRIFT_BENCH_HARD_NUM  vectors of the hard set (default 50000; 0 skips it)
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$HERE"
if [ "$(id -u)" = 0 ]; then bash scripts/setup.sh; else sudo bash scripts/setup.sh; fi
BUILD_DIR="${DRIFT_BUILD_DIR:-build}"
HARD_NUM="${DRIFT_BENCH_HARD_NUM:-50000}"
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release
cmake --build "$BUILD_DIR" -j "$(nproc)" --target db_bench_drift
DB_DIR="$(mktemp -d /tmp/drift_bench.XXXXXX)"
trap 'rm -rf "$DB_DIR"' EXIT
BENCH="$BUILD_DIR/db_bench_drift/db_bench_drift"
"$BENCH" --db="$DB_DIR/db" "$@"
[ "$HARD_NUM" = 0 ] && exit 0
hard_args=()
for arg in "$@"; do
  case "$arg" in
    --json=*.json) hard_args+=("${arg%.json}.hard.json") ;;
    --json=*) hard_args+=("$arg.hard") ;;
    *) hard_args+=("$arg") ;;
  esac
done
echo
# Its neighbours spread over many buckets and graph hops: wider sweeps than
# fashion-mnist's, so that both frontiers reach recall 0.95-0.99.
"$BENCH" --db="$DB_DIR/hard" --dataset=gaussian --num="$HARD_NUM" --dim=128 \
  --clusters=1000 --cluster_spread=0.6 --nprobe_list=8,16,32,48,64 \
  --ef_list=10,20,40,80,160,320,640 ${hard_args[@]+"${hard_args[@]}"}
