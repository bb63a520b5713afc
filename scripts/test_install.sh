#!/usr/bin/env bash
# ctest InstallAndEmbedExample: installs a built Drift tree into a temporary prefix
# and uses it as an application would:
#   1. cmake --install <build dir> --prefix <tmp>/prefix, and checks what was installed
#      (the library, include/drift/*.h only, the CMake package, drift.pc);
#   2. configures examples/vector_service against it with only
#      CMAKE_PREFIX_PATH=<prefix> (find_package(Drift) + Drift::drift), builds it and
#      runs it;
#   3. pkg-config --cflags --libs drift with PKG_CONFIG_PATH=<prefix>/.../pkgconfig,
#      then compiles and runs the same example with those flags alone;
#   4. builds examples/option_strings (Drift only through option strings, no Drift
#      symbol) with -Wl,--as-needed, through pkg-config and through CMake, and checks
#      that its column family gets a DriftTable (registration survives --as-needed);
#   5. runs the installed drift_ldb and drift_dump (and drift_server --help).
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
# The tools are installed only by builds that have them (the sanitizer builds
# configure -DDRIFT_BUILD_TOOLS=OFF).
TOOLS=0
grep -q '^DRIFT_BUILD_TOOLS:BOOL=ON' "$BUILD_DIR/CMakeCache.txt" && TOOLS=1
for tool in drift_ldb drift_dump; do
  [ "$TOOLS" = 1 ] || break
  [ -x "$PREFIX/bin/$tool" ] || die "$tool not installed in $PREFIX/bin"
  if readelf -d "$PREFIX/bin/$tool" | grep -E 'R(UN)?PATH' | grep -q -e "$BUILD_DIR" -e "$SOURCE_DIR"; then
    die "installed $tool has an RPATH into the build or source tree"
  fi
done
# drift_server likewise (DRIFT_BUILD_SERVER); it must start from the prefix.
if grep -q '^DRIFT_BUILD_SERVER:BOOL=ON' "$BUILD_DIR/CMakeCache.txt"; then
  [ -x "$PREFIX/bin/drift_server" ] || die "drift_server not installed in $PREFIX/bin"
  if readelf -d "$PREFIX/bin/drift_server" | grep -E 'R(UN)?PATH' | grep -q -e "$BUILD_DIR" -e "$SOURCE_DIR"; then
    die "installed drift_server has an RPATH into the build or source tree"
  fi
  "$PREFIX/bin/drift_server" --help >"$WORK/server_help.log" 2>&1 ||
    { cat "$WORK/server_help.log"; die "installed drift_server --help failed"; }
  grep -q -- "--secondary_path" "$WORK/server_help.log" ||
    { cat "$WORK/server_help.log"; die "installed drift_server --help lists no flags"; }
  log "installed drift_server starts"
fi
log "installed: $(cd "$PREFIX" && find . -type f -o -type l | sort | tr '\n' ' ')"

# 2. find_package(Drift) + Drift::drift.
generator=()
command -v ninja >/dev/null && generator=(-G Ninja)
# build_example <examples/ subdirectory> <build dir>: configured with only
# CMAKE_PREFIX_PATH=<prefix>, as an application would be.
build_example() {
  log "configure examples/$1 with CMAKE_PREFIX_PATH=$PREFIX"
  cmake -S "$SOURCE_DIR/examples/$1" -B "$2" "${generator[@]}" \
    -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$PREFIX" \
    -DCMAKE_CXX_FLAGS="$EXTRA_FLAGS" -DCMAKE_EXE_LINKER_FLAGS="$EXTRA_FLAGS" \
    >"$2.configure.log" 2>&1 || { cat "$2.configure.log"; die "configure of $1 failed"; }
  cmake --build "$2" -j1 >"$2.build.log" 2>&1 ||
    { cat "$2.build.log"; die "build of $1 failed"; }
}
build_example vector_service "$WORK/build-cmake"
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
# 4. Drift only through option strings, linked --as-needed: the linker must keep
# libdrift (whose loading registers the factories) although no symbol of it is used.
# (Sanitizer builds link without --as-needed; the check still runs.)
log "compile examples/option_strings with -Wl,--as-needed and the pkg-config flags"
# shellcheck disable=SC2086
c++ -std=c++17 -O1 $EXTRA_FLAGS "$SOURCE_DIR/examples/option_strings/main.cc" \
  -o "$WORK/option_strings_pc" -Wl,--as-needed $flags ||
  die "compiling option_strings with the pkg-config flags failed"
readelf -d "$WORK/option_strings_pc" | grep -q 'NEEDED.*libdrift' ||
  die "option_strings (pkg-config build) does not need libdrift: --as-needed dropped it"
out="$(LD_LIBRARY_PATH="$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" \
  "$WORK/option_strings_pc" "$WORK/opt_db_pc")" ||
  die "option_strings (pkg-config build) failed: $out"
log "option_strings (pkg-config build): $out"
build_example option_strings "$WORK/build-opt"
out="$("$WORK/build-opt/option_strings" "$WORK/opt_db_cmake")" ||
  die "option_strings (CMake build) failed: $out"
log "option_strings (CMake build): $out"

# 5. The installed tools run from the prefix (relative RPATH to the library) and
# read the database that option_strings wrote.
if [ "$TOOLS" = 0 ]; then
  log "PASS (no tools in this build: drift_ldb and drift_dump not checked)"
  exit 0
fi
out="$("$PREFIX/bin/drift_ldb" --db="$WORK/opt_db_cmake" --column_family=vectors vget k)" ||
  die "installed drift_ldb failed: $out"
[ "$out" = "1,2,3,4" ] || die "installed drift_ldb vget printed '$out', not 1,2,3,4"
"$PREFIX/bin/drift_dump" --file="$WORK/opt_db_cmake" --command=verify >"$WORK/dump.log" 2>&1 ||
  { cat "$WORK/dump.log"; die "installed drift_dump failed"; }
log "installed drift_ldb and drift_dump run"
log "PASS"
