#!/usr/bin/env bash
# Crash test: runs drift_stress with a file-backed expected state, kills it with
# SIGKILL at a random moment, restarts it (the restart verifies that every
# acknowledged write survived, that in-flight writes landed whole or not at
# all, WriteBatches across column families included, and that no orphan table
# file is left), many times; a last run without a kill must pass too.
#   scripts/crash_test.sh [--long] [BUILD_DIR]   (default build; short: 6 kills)
# Alternates --sync=true and --sync=false. Exits non-zero on the first failure.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
KILLS=6
MAX_RUN=8
if [ "${1:-}" = "--long" ]; then KILLS=100; MAX_RUN=20; shift; fi
BUILD_DIR="${1:-$HERE/build}"
STRESS="$BUILD_DIR/tools/drift_stress"
[ -x "$STRESS" ] || { echo "crash_test: $STRESS not built" >&2; exit 1; }
WORK="$(mktemp -d "${TMPDIR:-/tmp}/drift_crash.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
DB="$WORK/db"
STATE="$WORK/expected_state"
COMMON=(--db="$DB" --expected_state="$STATE" --threads=3 --keys_per_thread=300
        --flush_ms=200 --compact_ms=1500 --train_ms=3000)
survived=0
for i in $(seq 1 "$KILLS"); do
  sync=$([ $((i % 2)) = 0 ] && echo true || echo false)
  log="$WORK/run$i.log"
  "$STRESS" "${COMMON[@]}" --duration=600 --sync="$sync" --seed="$i" \
    --reopen=false > "$log" 2>&1 &
  pid=$!
  sleep "$(( 2 + RANDOM % MAX_RUN )).$(( RANDOM % 10 ))"
  if ! kill -0 "$pid" 2>/dev/null; then
    wait "$pid" || true
    cat "$log"
    if grep -q "FAIL" "$log"; then
      echo "crash_test: run $i failed (after $((i - 1)) kills)" >&2
    else
      echo "crash_test: run $i ended before its kill" >&2
    fi
    exit 1
  fi
  kill -9 "$pid"
  wait "$pid" 2>/dev/null || true
  if grep -q "FAIL" "$log"; then
    cat "$log"; echo "crash_test: run $i failed" >&2; exit 1
  fi
  survived=$((survived + 1))
  echo "[crash_test] kill $i/$KILLS (sync=$sync): $(grep -c . "$log") log lines, recovered state: $(grep -o 'recovered state verified.*' "$log" || echo 'first run')"
done
# The last run verifies the last kill, then runs to its end and reopens.
if ! "$STRESS" "${COMMON[@]}" --duration=5 --seed=999 > "$WORK/final.log" 2>&1; then
  cat "$WORK/final.log"; echo "crash_test: final run failed" >&2; exit 1
fi
grep "recovered state" "$WORK/final.log"
tail -1 "$WORK/final.log"
echo "crash_test: PASS, $survived kills survived"
