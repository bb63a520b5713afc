#!/usr/bin/env bash
# Installs what is missing (scripts/setup.sh), builds Drift in build/ and runs the
# whole test suite through ctest. Usage: scripts/test.sh [extra cmake args...]
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$HERE"
if [ "$(id -u)" = 0 ]; then bash scripts/setup.sh; else sudo bash scripts/setup.sh; fi
BUILD_DIR="${DRIFT_BUILD_DIR:-build}"
JOBS="${DRIFT_JOBS:-$(nproc)}"
start=$(date +%s)
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release "$@"
cmake --build "$BUILD_DIR" -j "$JOBS"
echo "[test] build took $(( $(date +%s) - start )) s"
ctest --test-dir "$BUILD_DIR" --output-on-failure -j "$JOBS" --timeout 900
