#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, ASan+UBSan) and runs each for a bounded
# time from its checked-in seed corpus (fuzz/corpus/<target>/); new inputs go to
# a scratch corpus, so the repository is not modified.
#   scripts/fuzz.sh [SECONDS_PER_TARGET]    default 30 (CI); --long: 600
# Exits non-zero if a target crashes; the crashing input is left in
# build-fuzz/artifacts/ and its path printed.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$HERE"
SECONDS_PER_TARGET="${1:-30}"
[ "$SECONDS_PER_TARGET" = "--long" ] && SECONDS_PER_TARGET=600
if [ "$(id -u)" = 0 ]; then bash scripts/setup.sh; else sudo bash scripts/setup.sh; fi
BUILD_DIR=build-fuzz
start=$(date +%s)
CC=clang CXX=clang++ cmake -S . -B "$BUILD_DIR" -G Ninja \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DDRIFT_SANITIZE=fuzzer \
  -DDRIFT_BUILD_TESTS=OFF -DDRIFT_BUILD_BENCHMARKS=OFF -DDRIFT_BUILD_TOOLS=OFF \
  -DDRIFT_BUILD_SERVER=OFF
cmake --build "$BUILD_DIR" -j "${DRIFT_JOBS:-$(nproc)}" \
  --target alp_fuzzer options_fuzzer segment_fuzzer
echo "[fuzz] build took $(( $(date +%s) - start )) s"
mkdir -p "$BUILD_DIR/artifacts"
export ASAN_OPTIONS="detect_leaks=1 abort_on_error=1"
export UBSAN_OPTIONS="print_stacktrace=1 halt_on_error=1"
for target in alp options segment; do
  scratch="$BUILD_DIR/corpus-$target"
  mkdir -p "$scratch"
  log="$BUILD_DIR/$target.log"
  echo "[fuzz] $target: ${SECONDS_PER_TARGET} s"
  if ! "$BUILD_DIR/fuzz/${target}_fuzzer" -max_total_time="$SECONDS_PER_TARGET" \
      -timeout=10 -rss_limit_mb=4096 -print_final_stats=1 \
      -artifact_prefix="$BUILD_DIR/artifacts/$target-" \
      "$scratch" "fuzz/corpus/$target" > "$log" 2>&1; then
    tail -40 "$log"
    echo "[fuzz] $target FAILED; inputs in $BUILD_DIR/artifacts/" >&2
    exit 1
  fi
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo "?")
  echo "[fuzz] $target: ok, $runs executions"
done
