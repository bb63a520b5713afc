# drift_uses_rocksdb_internals(target): the internal headers are only valid with the
# same defines and the same NDEBUG state (unset) that Debian's librocksdb was built with.
function(drift_uses_rocksdb_internals target)
  target_compile_definitions(${target} PRIVATE ROCKSDB_PLATFORM_POSIX ROCKSDB_LIB_IO_POSIX OS_LINUX)
  target_include_directories(${target} PRIVATE ${ROCKSDB_SOURCE_DIR} ${ROCKSDB_SOURCE_DIR}/include)
  target_compile_options(${target} PRIVATE -UNDEBUG)
endfunction()

# drift_add_test(path/to/foo_test.cc [LIBS ...] [INTERNALS] [LABELS ...]): a GoogleTest
# binary named after its file (foo_test), registered in ctest test by test.
function(drift_add_test source)
  cmake_parse_arguments(ARG "INTERNALS" "TIMEOUT" "LIBS;LABELS" ${ARGN})
  if(NOT GTest_FOUND OR NOT DRIFT_BUILD_TESTS)
    return()
  endif()
  get_filename_component(name ${source} NAME_WE)
  add_executable(${name} ${source})
  target_link_libraries(${name} PRIVATE ${ARG_LIBS} GTest::gtest GTest::gtest_main)
  target_compile_definitions(${name} PRIVATE
    DRIFT_FASHION_MNIST_DIR="${DRIFT_FASHION_MNIST_DIR}")
  if(ARG_INTERNALS)
    drift_uses_rocksdb_internals(${name})
  endif()
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 600)
  endif()
  include(GoogleTest)
  gtest_discover_tests(${name} DISCOVERY_TIMEOUT 60
    PROPERTIES TIMEOUT ${ARG_TIMEOUT} LABELS "${ARG_LABELS}")
endfunction()

# drift_isa_test(path/to/foo_test.cc [LIBS ...] [INTERNALS]): drift_add_test, plus
# one whole-binary run per ISA level forced through DRIFT_ISA (util/cpu_features.h),
# so every dispatch path (index kernels, ALP loops, CRC) is exercised. A level the
# CPU lacks is skipped (tests/isa_environment.cc), never silently run lower.
function(drift_isa_test source)
  drift_add_test(${source} ${ARGN})
  get_filename_component(name ${source} NAME_WE)
  if(NOT TARGET ${name})
    return()
  endif()
  target_sources(${name} PRIVATE ${PROJECT_SOURCE_DIR}/tests/isa_environment.cc)
  foreach(isa scalar avx2 avx512)
    add_test(NAME ${name}_isa_${isa} COMMAND ${name})
    set_tests_properties(${name}_isa_${isa} PROPERTIES
      ENVIRONMENT DRIFT_ISA=${isa} TIMEOUT 600
      SKIP_REGULAR_EXPRESSION "not supported by this CPU")
  endforeach()
endfunction()
