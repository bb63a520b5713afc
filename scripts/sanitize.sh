#!/usr/bin/env bash
# Builds the tests with a sanitizer and runs them through ctest.
#   scripts/sanitize.sh thread    ThreadSanitizer (concurrency, engine, model tests)
#   scripts/sanitize.sh address   AddressSanitizer + UBSan (every test but the
#                                 fashion-mnist recall test, which is slow here)
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
  -DDRIFT_SANITIZE="$SAN" -DDRIFT_BUILD_BENCHMARKS=OFF -DDRIFT_BUILD_TOOLS=OFF
cmake --build "$BUILD_DIR" -j "${DRIFT_JOBS:-$(nproc)}"
echo "[sanitize:$SAN] build took $(( $(date +%s) - start )) s"
export TSAN_OPTIONS="suppressions=$HERE/tests/tsan.supp halt_on_error=1 second_deadlock_stack=1"
export ASAN_OPTIONS="detect_leaks=1 abort_on_error=1"
export UBSAN_OPTIONS="print_stacktrace=1 halt_on_error=1"
ctest --test-dir "$BUILD_DIR" --output-on-failure -j "${DRIFT_JOBS:-$(nproc)}" \
  --timeout 1800 -R "$TESTS" -E "FashionMnist|_isa_"
