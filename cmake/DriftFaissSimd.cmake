# The `faiss` target from DRIFT_FAISS_ROOT: a static SIMD build of Debian's faiss
# source by scripts/build_faiss_simd.sh, linked like Debian's libfaiss.a (OpenMP,
# Debian's BLAS and LAPACK). Benchmark-only; the default build uses libfaiss-dev.
get_filename_component(DRIFT_FAISS_ROOT "${DRIFT_FAISS_ROOT}" ABSOLUTE
                       BASE_DIR "${CMAKE_CURRENT_SOURCE_DIR}")
find_library(DRIFT_FAISS_LIBRARY NAMES faiss_avx512 faiss_avx2
             PATHS "${DRIFT_FAISS_ROOT}/lib" NO_DEFAULT_PATH)
if(NOT DRIFT_FAISS_LIBRARY OR NOT EXISTS "${DRIFT_FAISS_ROOT}/include/faiss/Index.h")
  message(FATAL_ERROR "DRIFT_FAISS_ROOT=${DRIFT_FAISS_ROOT} holds no faiss SIMD build: "
                      "run scripts/build_faiss_simd.sh")
endif()
find_package(OpenMP REQUIRED)
find_package(BLAS REQUIRED)
find_package(LAPACK REQUIRED)
add_library(faiss STATIC IMPORTED)
set_target_properties(faiss PROPERTIES
  IMPORTED_LOCATION "${DRIFT_FAISS_LIBRARY}"
  INTERFACE_INCLUDE_DIRECTORIES "${DRIFT_FAISS_ROOT}/include"
  INTERFACE_LINK_LIBRARIES "OpenMP::OpenMP_CXX;${LAPACK_LIBRARIES};${BLAS_LIBRARIES}")
set(faiss_FOUND TRUE)
message(STATUS "faiss: ${DRIFT_FAISS_LIBRARY}")
