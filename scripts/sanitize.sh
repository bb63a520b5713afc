#!/usr/bin/env bash
# Builds the tests with a sanitizer and runs them through ctest.
#   scripts/sanitize.sh thread    ThreadSanitizer (concurrency, engine, model tests)
#   scripts/sanitize.sh address   AddressSanitizer + UBSan (every test but the
#                                 fashion-mnist recall test, which is slow here)
# drift_server is not built here; scripts/test.sh builds and tests it. Debian's
# gRPC, protobuf, absl and OpenSSL are not instrumented: a TSan build of
# server_test, router_test and worker_test (-DDRIFT_BUILD_SERVER=ON, about
# 5 min on 2 cores) passes its tests but reports thousands of races, every
# one at a hand-off inside those libraries (messages, closures and metadata
# passed between gRPC's threads), none between two threads of Drift's own.
# Debian's librocksdb is not instrumented; tests/tsan.supp explains the
# suppressions that this forces on TSan.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$HERE"
SAN="${1:?usage: scripts/sanitize.sh thread|address}"
case "$SAN" in
  thread) TESTS="Concurrency|VectorIndexTest|TableModelTest|Codebook" ;;
  address) TESTS="." ;;
  *) echo "unknown sanitizer '$SAN' (thread or address)" >&2; exit 1 ;;
esac
if [ "$(id -u)" = 0 ]; then bash scripts/setup.sh; else sudo bash scripts/setup.sh; fi
BUILD_DIR="build-$SAN"
start=$(date +%s)
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DDRIFT_SANITIZE="$SAN" -DDRIFT_BUILD_BENCHMARKS=OFF -DDRIFT_BUILD_TOOLS=OFF \
  -DDRIFT_BUILD_SERVER=OFF
cmake --build "$BUILD_DIR" -j "${DRIFT_JOBS:-$(nproc)}"
echo "[sanitize:$SAN] build took $(( $(date +%s) - start )) s"
export TSAN_OPTIONS="suppressions=$HERE/tests/tsan.supp halt_on_error=1 second_deadlock_stack=1"
export ASAN_OPTIONS="detect_leaks=1 abort_on_error=1"
export UBSAN_OPTIONS="print_stacktrace=1 halt_on_error=1"
LOG="$BUILD_DIR/sanitize-$SAN.log"
run_tests() {
  ctest --test-dir "$BUILD_DIR" --output-on-failure -j "${DRIFT_JOBS:-$(nproc)}" \
    --timeout 1800 -R "$TESTS" -E "FashionMnist|_isa_" "$@" 2>&1 | tee "$LOG"
  return "${PIPESTATUS[0]}"
}
# True if every failure in $LOG is a TSan lock-order inversion none of whose
# stacks has a single frame: both mutexes were taken inside uninstrumented
# librocksdb (RocksDB's own mutexes, the blind spot tests/tsan.supp
# describes; RocksDB suppresses such reports in its own CI too, e.g.
# facebook/rocksdb#3854). Any report with a frame, any other report and any
# plain test failure is not retried.
frameless_inversions_only() {
  local warnings inversions framed
  warnings=$(grep -c "WARNING: ThreadSanitizer:" "$LOG" || true)
  inversions=$(grep -c "WARNING: ThreadSanitizer: lock-order-inversion" "$LOG" || true)
  framed=$(grep -E "^ +#[0-9]+ " "$LOG" | grep -vc "<null> <null>" || true)
  [ "$warnings" -gt 0 ] && [ "$warnings" = "$inversions" ] && [ "$framed" = 0 ] &&
    [ "$(grep -c "Failure\|Assertion\|Timeout" "$LOG" || true)" = 0 ]
}
if ! run_tests; then
  if [ "$SAN" = thread ] && frameless_inversions_only; then
    echo "[sanitize:thread] the only reports were lock-order inversions without" \
      "any frame (inside librocksdb); running the failed tests once more"
    run_tests --rerun-failed
  else
    exit 1
  fi
fi
