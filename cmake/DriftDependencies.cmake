# Finds every dependency from Debian's packages; scripts/setup.sh installs them.
find_package(Threads REQUIRED)

set(DRIFT_ROCKSDB_VERSION "7.8.3")
set(ROCKSDB_SOURCE_DIR "${CMAKE_CURRENT_SOURCE_DIR}/.deps/rocksdb-src" CACHE PATH
    "RocksDB source tree matching librocksdb-dev (for its internal headers)")

find_path(ROCKSDB_INCLUDE_DIR rocksdb/db.h)
find_library(ROCKSDB_LIBRARY NAMES rocksdb)
if(NOT ROCKSDB_INCLUDE_DIR OR NOT ROCKSDB_LIBRARY)
  message(FATAL_ERROR "librocksdb-dev not found: run scripts/setup.sh as root")
endif()
file(STRINGS "${ROCKSDB_INCLUDE_DIR}/rocksdb/version.h" _rv REGEX "#define ROCKSDB_(MAJOR|MINOR|PATCH) ")
string(REGEX REPLACE ".*MAJOR ([0-9]+).*MINOR ([0-9]+).*PATCH ([0-9]+).*" "\\1.\\2.\\3" _installed "${_rv}")
if(NOT _installed STREQUAL DRIFT_ROCKSDB_VERSION)
  message(FATAL_ERROR "librocksdb-dev ${_installed} installed; Drift is pinned to ${DRIFT_ROCKSDB_VERSION}")
endif()
if(NOT EXISTS "${ROCKSDB_SOURCE_DIR}/table/table_builder.h")
  message(FATAL_ERROR "RocksDB sources not found in ROCKSDB_SOURCE_DIR=${ROCKSDB_SOURCE_DIR}: "
                      "run scripts/setup.sh, or pass -DROCKSDB_SOURCE_DIR=<rocksdb-${DRIFT_ROCKSDB_VERSION} tree>")
endif()
file(STRINGS "${ROCKSDB_SOURCE_DIR}/include/rocksdb/version.h" _sv REGEX "#define ROCKSDB_(MAJOR|MINOR|PATCH) ")
string(REGEX REPLACE ".*MAJOR ([0-9]+).*MINOR ([0-9]+).*PATCH ([0-9]+).*" "\\1.\\2.\\3" _source "${_sv}")
if(NOT _source STREQUAL DRIFT_ROCKSDB_VERSION)
  message(FATAL_ERROR "RocksDB sources in ${ROCKSDB_SOURCE_DIR} are ${_source}; need ${DRIFT_ROCKSDB_VERSION}")
endif()

add_library(RocksDB::rocksdb UNKNOWN IMPORTED)
set_target_properties(RocksDB::rocksdb PROPERTIES
  IMPORTED_LOCATION "${ROCKSDB_LIBRARY}"
  INTERFACE_INCLUDE_DIRECTORIES "${ROCKSDB_INCLUDE_DIR}")

find_package(GTest)
find_package(benchmark)
find_package(gflags)
find_package(glog CONFIG)
find_path(HNSWLIB_INCLUDE_DIR hnswlib/hnswlib.h)
# Optional: the faiss baseline of db_bench_drift (Debian's libfaiss-dev).
# Its CMake package links OpenMP::OpenMP_CXX, which must exist first.
# DRIFT_FAISS_ROOT instead names a SIMD build of Debian's faiss source
# (scripts/build_faiss_simd.sh; benchmark-only, use a separate build dir).
set(DRIFT_FAISS_ROOT "" CACHE PATH
    "faiss built by scripts/build_faiss_simd.sh (empty: Debian's libfaiss-dev)")
find_package(OpenMP QUIET)
if(DRIFT_FAISS_ROOT)
  include(DriftFaissSimd)
elseif(OpenMP_CXX_FOUND)
  find_package(faiss CONFIG QUIET)
endif()
# drift_server (server/): Debian's libgrpc++-dev, libprotobuf-dev and
# protobuf-compiler-grpc (protoc and grpc_cpp_plugin), plus gflags.
find_package(Protobuf QUIET)
find_package(gRPC CONFIG QUIET)
find_program(DRIFT_GRPC_CPP_PLUGIN grpc_cpp_plugin)
set(_drift_server_default OFF)
if(Protobuf_FOUND AND Protobuf_PROTOC_EXECUTABLE AND gRPC_FOUND AND DRIFT_GRPC_CPP_PLUGIN
   AND gflags_FOUND)
  set(_drift_server_default ON)
endif()
option(DRIFT_BUILD_SERVER "Build drift_server (gRPC) and its tests" ${_drift_server_default})
if(DRIFT_BUILD_SERVER AND NOT _drift_server_default)
  message(FATAL_ERROR "DRIFT_BUILD_SERVER needs libgrpc++-dev, libprotobuf-dev, "
                      "protobuf-compiler-grpc and libgflags-dev: run scripts/setup.sh "
                      "or configure with -DDRIFT_BUILD_SERVER=OFF")
endif()
# The `drift` CLI (client/, with the server): Debian's libcli11-dev
# (header-only). Without it the CLI is skipped.
find_package(CLI11 CONFIG QUIET)
set(DRIFT_FASHION_MNIST_DIR "/usr/share/datasets/fashion-mnist" CACHE PATH
    "Directory of the dataset-fashion-mnist package")
