#!/usr/bin/env bash
# Main job: installs what is missing, builds, and runs db_bench_drift's default
# suite on an embedded DB in a temporary directory. Extra args go to db_bench_drift.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$HERE"
if [ "$(id -u)" = 0 ]; then bash scripts/setup.sh; else sudo bash scripts/setup.sh; fi
BUILD_DIR="${DRIFT_BUILD_DIR:-build}"
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release
cmake --build "$BUILD_DIR" -j "$(nproc)" --target db_bench_drift
DB_DIR="$(mktemp -d /tmp/drift_bench.XXXXXX)"
trap 'rm -rf "$DB_DIR"' EXIT
"$BUILD_DIR/db_bench_drift/db_bench_drift" --db="$DB_DIR/db" "$@"
