#!/usr/bin/env bash
# One idempotent set-up for a fresh Debian 12 machine (run as root): installs every
# dependency from Debian's archive and fetches RocksDB's source tree (for its internal
# headers) into a cache outside version control. Safe to run again: does nothing twice.
set -euo pipefail

ROCKSDB_VERSION="7.8.3-2"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE_DIR="${DRIFT_DEPS_DIR:-$HERE/.deps}"
ROCKSDB_SRC="$CACHE_DIR/rocksdb-src"

PACKAGES=(
  build-essential cmake ninja-build pkg-config git ca-certificates dpkg-dev
  "librocksdb-dev=$ROCKSDB_VERSION" libsnappy-dev liblz4-dev libzstd-dev libbz2-dev zlib1g-dev
  libgflags-dev libgoogle-glog-dev libbenchmark-dev libgtest-dev libgmock-dev
  libhnswlib-dev libfaiss-dev dataset-fashion-mnist clang-format python3
  gnuplot-nox  # scripts/plot_bench.py
  libgrpc++-dev libprotobuf-dev protobuf-compiler protobuf-compiler-grpc  # drift_server
  libcli11-dev  # the drift CLI (client/)
  python3-grpcio python3-protobuf python3-numpy python3-pytest  # Python client (python/)
  openssl  # certificates of the drift_server TLS test
)

log() { echo "[setup] $*"; }
die() { echo "[setup] ERROR: $*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "run as root (apt-get install is needed)"

# shellcheck source=scripts/deb_source.sh
. "$HERE/scripts/deb_source.sh"

SUDO_APT=(env DEBIAN_FRONTEND=noninteractive apt-get -y -q -o Dpkg::Use-Pty=0)

installed_version() { dpkg-query -W -f='${Status} ${Version}\n' "$1" 2>/dev/null | awk '/install ok installed/{print $4}'; }

missing_packages() {
  local p name
  for p in "${PACKAGES[@]}"; do
    name="${p%%=*}"
    [ -n "$(installed_version "$name")" ] || echo "$p"
  done
}

DRIFT_DEB_SRC_ADDED=0
drift_add_deb_src
MISSING=$(missing_packages)
if [ -n "$MISSING" ] || [ ! -f "$ROCKSDB_SRC/.complete" ]; then
  if [ "$DRIFT_DEB_SRC_ADDED" = 1 ] || drift_no_source_lists ||
     [ -n "$MISSING" ]; then
    log "apt-get update"
    "${SUDO_APT[@]}" update >/dev/null
  fi
fi
if [ -n "$MISSING" ]; then
  log "installing: $(echo $MISSING | tr '\n' ' ')"
  "${SUDO_APT[@]}" install --no-install-recommends $MISSING >/dev/null
fi

have=$(installed_version librocksdb-dev)
[ "$have" = "$ROCKSDB_VERSION" ] ||
  die "librocksdb-dev $have is installed but Drift is pinned to $ROCKSDB_VERSION (internal headers must match the library)"

drift_fetch_source rocksdb "$ROCKSDB_VERSION" "$ROCKSDB_SRC"
log "ok: librocksdb-dev $have, sources in $ROCKSDB_SRC"
