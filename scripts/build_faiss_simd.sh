#!/usr/bin/env bash
# Benchmark-only: builds Debian's own faiss source (apt-get source faiss, Debian's
# patches applied) with its AVX2 code paths, as a reference for db_bench_drift's
# `faiss` system. Debian's libfaiss-dev is built with FAISS_OPT_LEVEL=generic.
# faiss 1.7.3's CMake knows two levels, generic and avx2 (no avx512): this
# builds the static library target faiss_avx2 only (no GPU, Python, C API,
# tests, demos), against Debian's BLAS/LAPACK/OpenMP, and installs it into
# .deps/faiss-simd (lib/libfaiss_avx2.a, include/faiss/, BUILDINFO). Then:
#   cmake -S . -B build-faiss-simd -G Ninja -DCMAKE_BUILD_TYPE=Release \
#     -DDRIFT_FAISS_ROOT=$PWD/.deps/faiss-simd && ninja -C build-faiss-simd db_bench_drift
# Idempotent: does nothing when the install holds this version and level.
# Long (~100 files at -O3): it runs at nice 19 with DRIFT_FAISS_JOBS (1) jobs,
# logging to .deps/faiss-simd-build.log. Not part of CI or the tests.
set -euo pipefail

FAISS_VERSION="1.7.3-2"  # the source of Debian 12's libfaiss-dev
FAISS_OPT_LEVEL="avx2"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE_DIR="${DRIFT_DEPS_DIR:-$HERE/.deps}"
SRC="$CACHE_DIR/faiss-src"
BUILD="$CACHE_DIR/faiss-simd-build"
PREFIX="$CACHE_DIR/faiss-simd"
LOG="$CACHE_DIR/faiss-simd-build.log"
JOBS="${DRIFT_FAISS_JOBS:-1}"
STAMP="$FAISS_VERSION $FAISS_OPT_LEVEL"

log() { echo "[build_faiss_simd] $*"; }
die() { echo "[build_faiss_simd] ERROR: $*" >&2; exit 1; }

if [ -f "$PREFIX/.complete" ] && [ "$(cat "$PREFIX/.complete")" = "$STAMP" ]; then
  log "ok: faiss $STAMP already in $PREFIX"
  exit 0
fi

# shellcheck source=scripts/deb_source.sh
. "$HERE/scripts/deb_source.sh"

fetch() {
  DRIFT_DEB_SRC_ADDED=0
  if [ "$(id -u)" = 0 ]; then drift_add_deb_src; fi
  if [ ! -f "$SRC/.complete" ] && { [ "$DRIFT_DEB_SRC_ADDED" = 1 ] || drift_no_source_lists; }; then
    [ "$(id -u)" = 0 ] || die "no deb-src index: run scripts/setup.sh as root first"
    log "apt-get update"
    apt-get -q update >/dev/null
  fi
  drift_fetch_source faiss "$FAISS_VERSION" "$SRC"
}

configure() {
  local launcher=()
  command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
  cmake -S "$SRC" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DFAISS_OPT_LEVEL="$FAISS_OPT_LEVEL" -DFAISS_ENABLE_GPU=OFF \
    -DFAISS_ENABLE_PYTHON=OFF -DFAISS_ENABLE_C_API=OFF -DBUILD_TESTING=OFF \
    -DBUILD_SHARED_LIBS=OFF "${launcher[@]}" >>"$LOG" 2>&1 ||
    die "faiss configure failed: see $LOG"
}

# faiss's install rules also want the generic library; copy the one target
# and the public headers instead.
install_lib() {
  rm -rf "$PREFIX"
  mkdir -p "$PREFIX/lib" "$PREFIX/include"
  cp "$BUILD/faiss/libfaiss_$FAISS_OPT_LEVEL.a" "$PREFIX/lib/"
  (cd "$SRC" && find faiss -name '*.h' -not -path 'faiss/gpu/*' -not -path 'faiss/python/*' \
     -exec cp --parents {} "$PREFIX/include/" \;)
  {
    echo "faiss $FAISS_VERSION (apt-get source), FAISS_OPT_LEVEL=$FAISS_OPT_LEVEL, CMAKE_BUILD_TYPE=Release"
    grep -E '^(CMAKE_CXX_COMPILER|CMAKE_CXX_FLAGS_RELEASE|BLAS_[a-z]+_LIBRARY|LAPACK_[a-z]+_LIBRARY):' \
      "$BUILD/CMakeCache.txt" | grep -v NOTFOUND || true
  } >"$PREFIX/BUILDINFO"
  echo "$STAMP" >"$PREFIX/.complete"
}

mkdir -p "$CACHE_DIR"
: >"$LOG"
fetch
log "configuring faiss $FAISS_VERSION ($FAISS_OPT_LEVEL) in $BUILD"
configure
log "building faiss_$FAISS_OPT_LEVEL (nice 19, -j$JOBS); progress: tail -f $LOG"
start=$(date +%s)
nice -n 19 ninja -C "$BUILD" -j"$JOBS" "faiss_$FAISS_OPT_LEVEL" >>"$LOG" 2>&1 ||
  die "faiss build failed: see $LOG"
install_lib
log "ok: faiss $STAMP in $PREFIX ($(( $(date +%s) - start )) s to build)"
