# `cmake --install`: libdrift.so, the public headers (include/drift/*.h only), the
# CMake package (find_package(Drift) -> Drift::drift) and drift.pc for pkg-config.
# Nothing installed refers to the build tree: the public headers include only
# <rocksdb/...> public headers and the standard library, never the RocksDB
# internals in ROCKSDB_SOURCE_DIR.
include(CMakePackageConfigHelpers)

set(DRIFT_INSTALL_CMAKEDIR "${CMAKE_INSTALL_LIBDIR}/cmake/Drift" CACHE STRING
    "Install directory of DriftConfig.cmake, relative to the prefix")

install(TARGETS drift drift_link EXPORT DriftTargets
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/drift
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
  FILES_MATCHING PATTERN "*.h")
install(EXPORT DriftTargets NAMESPACE Drift:: DESTINATION ${DRIFT_INSTALL_CMAKEDIR})

configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/DriftConfig.cmake.in
  ${PROJECT_BINARY_DIR}/DriftConfig.cmake
  INSTALL_DESTINATION ${DRIFT_INSTALL_CMAKEDIR})
# 0.x: a minor release may change the API, so only the same minor version matches.
write_basic_package_version_file(${PROJECT_BINARY_DIR}/DriftConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/DriftConfig.cmake
  ${PROJECT_BINARY_DIR}/DriftConfigVersion.cmake
  DESTINATION ${DRIFT_INSTALL_CMAKEDIR})

# drift.pc is relocatable (prefix from ${pcfiledir}) so that
# `cmake --install <build> --prefix <anywhere>` yields a working file, unless the
# lib/include directories were configured as absolute paths.
if(IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}" OR IS_ABSOLUTE "${CMAKE_INSTALL_INCLUDEDIR}")
  set(DRIFT_PC_PREFIX "${CMAKE_INSTALL_PREFIX}")
else()
  file(RELATIVE_PATH _drift_pc_up "/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/")
  string(REGEX REPLACE "/$" "" _drift_pc_up "${_drift_pc_up}")
  set(DRIFT_PC_PREFIX "\${pcfiledir}/${_drift_pc_up}")
endif()
set(DRIFT_PC_LIBDIR "${CMAKE_INSTALL_LIBDIR}")
set(DRIFT_PC_INCLUDEDIR "${CMAKE_INSTALL_INCLUDEDIR}")
if(NOT IS_ABSOLUTE "${DRIFT_PC_LIBDIR}")
  set(DRIFT_PC_LIBDIR "\${prefix}/${DRIFT_PC_LIBDIR}")
endif()
if(NOT IS_ABSOLUTE "${DRIFT_PC_INCLUDEDIR}")
  set(DRIFT_PC_INCLUDEDIR "\${prefix}/${DRIFT_PC_INCLUDEDIR}")
endif()
configure_file(${PROJECT_SOURCE_DIR}/cmake/drift.pc.in ${PROJECT_BINARY_DIR}/drift.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/drift.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

# InstallAndEmbedExample: installs this build tree into a temporary prefix and
# builds and runs examples/vector_service against it, as a user would (also
# through pkg-config). Sanitizer builds link the example with the same runtime.
if(DRIFT_BUILD_TESTS)
  add_test(NAME InstallAndEmbedExample
    COMMAND bash ${PROJECT_SOURCE_DIR}/scripts/test_install.sh
            ${PROJECT_BINARY_DIR} ${PROJECT_SOURCE_DIR} "${DRIFT_SANITIZE_FLAGS}")
  set_tests_properties(InstallAndEmbedExample PROPERTIES TIMEOUT 600 LABELS install)
endif()
