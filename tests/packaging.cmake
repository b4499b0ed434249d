# Packaging tests: install trees, consumer projects, exported symbols.
#
# packaging.clean -> packaging.install -> packaging.consumer.<kind>.build
#   -> packaging.consumer.<kind>.run, for kind cmake (find_package), pkgconfig
# and cxx (a C++ program through find_package), chained by fixtures, so
# `ctest -R consumer.cmake.run` alone installs and builds first.
# A static libmpr gets its own install: packaging.static.configure ->
# packaging.static.install (a second copy of the project, library only)
#   -> packaging.consumer.static.{cmake,pkgconfig}.{build,run}.
# Everything lives under the build tree: a fresh clone needs nothing but a
# build.

set(mpr_pkg_prefix ${CMAKE_BINARY_DIR}/test-install)
set(mpr_pkg_static_build ${CMAKE_BINARY_DIR}/test-static-build)
set(mpr_pkg_static_prefix ${CMAKE_BINARY_DIR}/test-static-install)
set(mpr_pkg_consumer ${CMAKE_CURRENT_SOURCE_DIR}/consumer)

# A consumer of a sanitized libmpr.so must load the sanitizer runtimes first,
# so it is built with the same -fsanitize flags.
set(mpr_pkg_cflags "")
if(MPR_SANITIZE)
  set(mpr_pkg_cflags -fsanitize=${MPR_SANITIZE})
endif()
list(JOIN mpr_pkg_cflags " " mpr_pkg_cflags_str)

# mpr is C only: a C++ compiler is looked for (not enabled) for the C++
# consumer, whose tests skip without one.
include(CheckLanguage)
check_language(CXX)

set(mpr_pkg_kinds cmake pkgconfig cxx static.cmake static.pkgconfig)
set(mpr_pkg_dirs ${mpr_pkg_prefix} ${mpr_pkg_static_prefix})
foreach(kind IN LISTS mpr_pkg_kinds)
  list(APPEND mpr_pkg_dirs ${CMAKE_BINARY_DIR}/test-consumer-${kind})
endforeach()
# test-static-build is kept: rebuilding it is incremental.
add_test(NAME packaging.clean COMMAND ${CMAKE_COMMAND} -E rm -rf ${mpr_pkg_dirs})
add_test(NAME packaging.install
  COMMAND ${CMAKE_COMMAND} --install ${CMAKE_BINARY_DIR} --prefix ${mpr_pkg_prefix}
          --config $<CONFIG>)
add_test(NAME packaging.static.configure
  COMMAND ${CMAKE_COMMAND} -S ${PROJECT_SOURCE_DIR} -B ${mpr_pkg_static_build}
          -G ${CMAKE_GENERATOR} -DCMAKE_MAKE_PROGRAM=${CMAKE_MAKE_PROGRAM}
          -DCMAKE_C_COMPILER=${CMAKE_C_COMPILER} -DCMAKE_BUILD_TYPE=$<CONFIG>
          -DBUILD_SHARED_LIBS=OFF -DBUILD_TESTING=OFF -DMPR_BUILD_APPS=OFF
          "-DMPR_SANITIZE=${MPR_SANITIZE}" -DCMAKE_INSTALL_PREFIX=${mpr_pkg_static_prefix})
add_test(NAME packaging.static.install
  COMMAND ${CMAKE_COMMAND} --build ${mpr_pkg_static_build} --target install --parallel 2
          --config $<CONFIG>)
set_tests_properties(packaging.clean PROPERTIES FIXTURES_SETUP mpr_clean)
set_tests_properties(packaging.install PROPERTIES
  FIXTURES_REQUIRED mpr_clean FIXTURES_SETUP mpr_installed TIMEOUT 60)
set_tests_properties(packaging.static.configure PROPERTIES
  FIXTURES_REQUIRED mpr_clean FIXTURES_SETUP mpr_static_configured TIMEOUT 120)
set_tests_properties(packaging.static.install PROPERTIES
  FIXTURES_REQUIRED mpr_static_configured FIXTURES_SETUP mpr_static_installed TIMEOUT 300
  PROCESSORS 2)

# mpr_pkg_cmake_build(<kind> <prefix> [-D... options]): configures and builds
# tests/consumer into test-consumer-<kind> against the mpr installed in
# <prefix>, with this build's compilers and sanitizer flags.
function(mpr_pkg_cmake_build kind prefix)
  add_test(NAME packaging.consumer.${kind}.build
    COMMAND ${CMAKE_CTEST_COMMAND} --build-and-test ${mpr_pkg_consumer}
      ${CMAKE_BINARY_DIR}/test-consumer-${kind}
      --build-generator ${CMAKE_GENERATOR}
      --build-makeprogram ${CMAKE_MAKE_PROGRAM}
      --build-project mpr_consumer
      --build-options -DCMAKE_PREFIX_PATH=${prefix}
                      -DCMAKE_C_COMPILER=${CMAKE_C_COMPILER}
                      -DCMAKE_BUILD_TYPE=$<CONFIG>
                      "-DCMAKE_C_FLAGS=${mpr_pkg_cflags_str}" ${ARGN})
endfunction()
# mpr_pkg_pc_build(<kind> <prefix> [--static]): the same with pkg-config.
function(mpr_pkg_pc_build kind prefix)
  add_test(NAME packaging.consumer.${kind}.build
    COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/build_with_pkgconfig.sh ${ARGN}
      ${prefix}/${CMAKE_INSTALL_LIBDIR}/pkgconfig ${mpr_pkg_consumer}/consumer.c
      ${CMAKE_BINARY_DIR}/test-consumer-${kind}/consumer ${CMAKE_C_COMPILER} -std=c11 -Wall
      -Wextra ${mpr_pkg_cflags})
endfunction()

mpr_pkg_cmake_build(cmake ${mpr_pkg_prefix})
mpr_pkg_pc_build(pkgconfig ${mpr_pkg_prefix})
mpr_pkg_cmake_build(static.cmake ${mpr_pkg_static_prefix})
mpr_pkg_pc_build(static.pkgconfig ${mpr_pkg_static_prefix} --static)
if(CMAKE_CXX_COMPILER)
  mpr_pkg_cmake_build(cxx ${mpr_pkg_prefix} -DMPR_CONSUMER_CXX=ON
    -DCMAKE_CXX_COMPILER=${CMAKE_CXX_COMPILER} "-DCMAKE_CXX_FLAGS=${mpr_pkg_cflags_str}")
else()
  foreach(step build run)
    add_test(NAME packaging.consumer.cxx.${step}
      COMMAND bash -c "echo 'no C++ compiler found: skipped' >&2; exit 77")
    set_tests_properties(packaging.consumer.cxx.${step} PROPERTIES SKIP_RETURN_CODE 77)
  endforeach()
endif()

# mpr_pkg_run(<kind> <program> <expected> <install fixture>): runs
# test-consumer-<kind>/<program> on 2 ranks and compares its output with
# tests/consumer/<expected>, once the consumer is built against that install.
mpr_mpi_command(mpr_pkg_launch 2)
function(mpr_pkg_run kind program expected installed)
  add_test(NAME packaging.consumer.${kind}.run
    COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/check_output.sh ${mpr_pkg_consumer}/${expected} exact
            ${mpr_pkg_launch} ${CMAKE_BINARY_DIR}/test-consumer-${kind}/${program})
  set_tests_properties(packaging.consumer.${kind}.run PROPERTIES
    FIXTURES_REQUIRED mpr_consumer_${kind} PROCESSORS 2 TIMEOUT 60
    ENVIRONMENT "${MPR_TEST_ENV}")
  set_tests_properties(packaging.consumer.${kind}.build PROPERTIES
    FIXTURES_REQUIRED ${installed} FIXTURES_SETUP mpr_consumer_${kind} TIMEOUT 300
    SKIP_RETURN_CODE 77)
endfunction()
mpr_pkg_run(cmake consumer expected.out mpr_installed)
mpr_pkg_run(pkgconfig consumer expected.out mpr_installed)
mpr_pkg_run(static.cmake consumer expected.out mpr_static_installed)
mpr_pkg_run(static.pkgconfig consumer expected.out mpr_static_installed)
if(CMAKE_CXX_COMPILER)
  mpr_pkg_run(cxx consumer_cxx expected_cxx.out mpr_installed)
endif()

# STYLE point 3: libmpr.so exports the public mpr_ API and nothing else.
get_target_property(mpr_pkg_type mpr TYPE)
if(mpr_pkg_type STREQUAL "SHARED_LIBRARY")
  add_test(NAME packaging.exported_symbols
    COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/check_exports.sh $<TARGET_FILE:mpr> ${CMAKE_NM})
  set_tests_properties(packaging.exported_symbols PROPERTIES SKIP_RETURN_CODE 77)
endif()

# The layer order of src/layers.txt, checked on the library's objects: no
# use of a higher layer, no dependency cycle, every source file placed.
# layers.check_detects feeds the checker the order upside down and expects
# it to object, so the check itself cannot silently pass everything.
add_test(NAME layers.check
  COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/check_layers.sh ${PROJECT_SOURCE_DIR}/src/layers.txt
          ${PROJECT_SOURCE_DIR}/src "${CMAKE_NM}" "$<TARGET_OBJECTS:mpr>")
add_test(NAME layers.check_detects
  COMMAND bash -c "tac \"$1\" > \"$2\" && ! bash \"$3\" \"$2\" \"$4\" \"$5\" \"$6\" 2>\"$2.err\" && grep -q 'a higher layer' \"$2.err\""
          layers_check_detects ${PROJECT_SOURCE_DIR}/src/layers.txt
          ${CMAKE_CURRENT_BINARY_DIR}/layers-upside-down.txt
          ${CMAKE_CURRENT_SOURCE_DIR}/check_layers.sh ${PROJECT_SOURCE_DIR}/src "${CMAKE_NM}"
          "$<TARGET_OBJECTS:mpr>")
# Two objects that call each other, placed in one layer: the checker must
# name the pair and the loop.
add_library(layers_cycle_fixture OBJECT layers_cycle/ping.c layers_cycle/pong.c)
add_test(NAME layers.check_detects_cycle
  COMMAND bash -c "! bash \"$1\" \"$2\" \"$3\" \"$4\" \"$5\" 2>\"$6\" && grep -q 'ping.c and pong.c depend on each other' \"$6\" && grep -q 'dependency cycle' \"$6\""
          layers_check_detects_cycle ${CMAKE_CURRENT_SOURCE_DIR}/check_layers.sh
          ${CMAKE_CURRENT_SOURCE_DIR}/layers_cycle/layers.txt ${CMAKE_CURRENT_SOURCE_DIR}/layers_cycle
          "${CMAKE_NM}" "$<TARGET_OBJECTS:layers_cycle_fixture>"
          ${CMAKE_CURRENT_BINARY_DIR}/layers-cycle.err)
set_tests_properties(layers.check layers.check_detects layers.check_detects_cycle PROPERTIES
  SKIP_RETURN_CODE 77 LABELS layers)

get_property(mpr_pkg_tests DIRECTORY PROPERTY TESTS)
list(FILTER mpr_pkg_tests INCLUDE REGEX "^packaging\\.")
set_property(TEST ${mpr_pkg_tests} APPEND PROPERTY LABELS packaging)

# STYLE point 11: every .c/.h under src/, tests/ and apps/ is clang-formatted.
find_program(MPR_CLANG_FORMAT NAMES clang-format clang-format-14)
add_test(NAME format.check
  COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/check_format.sh ${MPR_CLANG_FORMAT})
set_tests_properties(format.check PROPERTIES SKIP_RETURN_CODE 77 LABELS format)
