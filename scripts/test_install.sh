#!/usr/bin/env bash
# ctest InstallAndEmbedExample: installs a built Drift tree into a temporary prefix
# and uses it as an application would:
#   1. cmake --install <build dir> --prefix <tmp>/prefix, and checks what was installed
#      (the library, include/drift/*.h only, the CMake package, drift.pc);
#   2. configures examples/vector_service against it with only
#      CMAKE_PREFIX_PATH=<prefix> (find_package(Drift) + Drift::drift), builds it and
#      runs it;
#   3. pkg-config --cflags --libs drift with PKG_CONFIG_PATH=<prefix>/.../pkgconfig,
#      then compiles and runs the same example with those flags alone.
# Usage: scripts/test_install.sh <build dir> <source dir> [extra compile/link flags]
#   (the flags are for sanitizer builds: the example must link the same runtime).
set -euo pipefail
BUILD_DIR="$(cd "${1:?usage: test_install.sh <build dir> <source dir> [flags]}" && pwd)"
SOURCE_DIR="$(cd "${2:?usage: test_install.sh <build dir> <source dir> [flags]}" && pwd)"
EXTRA_FLAGS="${3:-}"

log() { echo "[test_install] $*"; }
die() { echo "[test_install] FAIL: $*" >&2; exit 1; }

WORK="$(mktemp -d "${TMPDIR:-/tmp}/drift-install-test-XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
PREFIX="$WORK/prefix"
# The example's own temporary database goes under $WORK too.
export TMPDIR="$WORK"

# 1. Install.
log "cmake --install $BUILD_DIR --prefix $PREFIX"
cmake --install "$BUILD_DIR" --prefix "$PREFIX" >"$WORK/install.log" ||
  { cat "$WORK/install.log"; die "cmake --install failed"; }

config="$(find "$PREFIX" -name DriftConfig.cmake -print -quit)"
[ -n "$config" ] || die "DriftConfig.cmake not installed"
[ -f "$(dirname "$config")/DriftConfigVersion.cmake" ] || die "DriftConfigVersion.cmake not installed"
[ -f "$(dirname "$config")/DriftTargets.cmake" ] || die "DriftTargets.cmake not installed"
pc="$(find "$PREFIX" -name drift.pc -print -quit)"
[ -n "$pc" ] || die "drift.pc not installed"
lib="$(find "$PREFIX" -name 'libdrift.so*' -type f -print -quit)"
[ -n "$lib" ] || die "libdrift.so not installed"
libdir="$(dirname "$lib")"
[ -e "$libdir/libdrift.so" ] || die "libdrift.so link missing in $libdir"

# Only the public headers, and they include nothing but <rocksdb/...> public
# headers, other drift/ headers and the standard library.
(cd "$PREFIX/include" && find . -type f | sort) >"$WORK/headers.txt"
(cd "$SOURCE_DIR/include" && find . -type f -name '*.h' | sort) >"$WORK/public.txt"
diff -u "$WORK/public.txt" "$WORK/headers.txt" >&2 ||
  die "installed headers differ from include/drift/*.h"
bad_includes="$(grep -h '^#include "' "$PREFIX"/include/drift/*.h |
  grep -v -E '^#include "(rocksdb|drift)/' || true)"
[ -z "$bad_includes" ] || die "public headers include non-public headers: $bad_includes"
for h in $(grep -h -o '^#include "rocksdb/[^"]*"' "$PREFIX"/include/drift/*.h |
           sed 's/^#include "//; s/"$//' | sort -u); do
  [ -f "/usr/include/$h" ] || die "public header includes $h, not in /usr/include"
done
# Nothing installed points into the build or source tree: no text file (CMake
# package, drift.pc, headers) names them, and the library has no RPATH into them.
if grep -rlI -e "$BUILD_DIR" -e "$SOURCE_DIR" "$PREFIX" >"$WORK/leaks.txt"; then
  cat "$WORK/leaks.txt" >&2
  die "installed files refer to the build or source tree"
fi
if readelf -d "$lib" | grep -E 'R(UN)?PATH' | grep -q -e "$BUILD_DIR" -e "$SOURCE_DIR"; then
  die "installed $lib has an RPATH into the build or source tree"
fi
log "installed: $(cd "$PREFIX" && find . -type f -o -type l | sort | tr '\n' ' ')"

# 2. find_package(Drift) + Drift::drift.
generator=()
command -v ninja >/dev/null && generator=(-G Ninja)
log "configure examples/vector_service with CMAKE_PREFIX_PATH=$PREFIX"
cmake -S "$SOURCE_DIR/examples/vector_service" -B "$WORK/build-cmake" "${generator[@]}" \
  -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$PREFIX" \
  -DCMAKE_CXX_FLAGS="$EXTRA_FLAGS" -DCMAKE_EXE_LINKER_FLAGS="$EXTRA_FLAGS" \
  >"$WORK/configure.log" 2>&1 || { cat "$WORK/configure.log"; die "configure failed"; }
cmake --build "$WORK/build-cmake" -j1 >"$WORK/build.log" 2>&1 ||
  { cat "$WORK/build.log"; die "build failed"; }
# The example must load the installed libdrift, not the build tree's.
resolved="$(ldd "$WORK/build-cmake/vector_service" | awk '/libdrift/{print $3}')"
[ "$(readlink -f "$resolved")" = "$(readlink -f "$lib")" ] ||
  die "vector_service loads libdrift from '$resolved', not $lib"
log "run vector_service (CMake build)"
"$WORK/build-cmake/vector_service" || die "vector_service (CMake build) failed"

# 3. pkg-config.
command -v pkg-config >/dev/null || die "pkg-config not installed (scripts/setup.sh installs it)"
export PKG_CONFIG_PATH="$(dirname "$pc")"
flags="$(pkg-config --cflags --libs drift)" || die "pkg-config --cflags --libs drift failed"
log "pkg-config --cflags --libs drift: $flags"
log "compile vector_service with the pkg-config flags"
# shellcheck disable=SC2086  # word splitting of the flags is intended
c++ -std=c++17 -O1 $EXTRA_FLAGS "$SOURCE_DIR/examples/vector_service/main.cc" \
  -o "$WORK/vector_service_pc" $flags ||
  die "compiling with the pkg-config flags failed"
log "run vector_service (pkg-config build)"
LD_LIBRARY_PATH="$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" "$WORK/vector_service_pc" >/dev/null ||
  die "vector_service (pkg-config build) failed"
log "PASS"
