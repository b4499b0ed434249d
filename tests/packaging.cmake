# Packaging tests: install tree, consumer project, exported symbols.
#
# packaging.clean -> packaging.install -> packaging.consumer.{cmake,pkgconfig}.build
#   -> packaging.consumer.{cmake,pkgconfig}.run
# chained by fixtures, so `ctest -R consumer.cmake.run` alone installs and
# builds first. Everything lives under the build tree: a fresh clone needs
# nothing but a build.

set(mpr_pkg_prefix ${CMAKE_BINARY_DIR}/test-install)
set(mpr_pkg_consumer ${CMAKE_CURRENT_SOURCE_DIR}/consumer)
set(mpr_pkg_cmake_bin ${CMAKE_BINARY_DIR}/test-consumer-cmake)
set(mpr_pkg_pc_bin ${CMAKE_BINARY_DIR}/test-consumer-pkgconfig)

# A consumer of a sanitized libmpr.so must load the sanitizer runtimes first,
# so it is built with the same -fsanitize flags.
set(mpr_pkg_cflags "")
if(MPR_SANITIZE)
  set(mpr_pkg_cflags -fsanitize=${MPR_SANITIZE})
endif()

add_test(NAME packaging.clean COMMAND ${CMAKE_COMMAND} -E rm -rf
  ${mpr_pkg_prefix} ${mpr_pkg_cmake_bin} ${mpr_pkg_pc_bin})
add_test(NAME packaging.install
  COMMAND ${CMAKE_COMMAND} --install ${CMAKE_BINARY_DIR} --prefix ${mpr_pkg_prefix}
          --config $<CONFIG>)

list(JOIN mpr_pkg_cflags " " mpr_pkg_cflags_str)
add_test(NAME packaging.consumer.cmake.build
  COMMAND ${CMAKE_CTEST_COMMAND} --build-and-test ${mpr_pkg_consumer} ${mpr_pkg_cmake_bin}
    --build-generator ${CMAKE_GENERATOR}
    --build-makeprogram ${CMAKE_MAKE_PROGRAM}
    --build-project mpr_consumer
    --build-options -DCMAKE_PREFIX_PATH=${mpr_pkg_prefix}
                    -DCMAKE_C_COMPILER=${CMAKE_C_COMPILER}
                    -DCMAKE_BUILD_TYPE=$<CONFIG>
                    "-DCMAKE_C_FLAGS=${mpr_pkg_cflags_str}")
add_test(NAME packaging.consumer.pkgconfig.build
  COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/build_with_pkgconfig.sh
    ${mpr_pkg_prefix}/${CMAKE_INSTALL_LIBDIR}/pkgconfig ${mpr_pkg_consumer}/consumer.c
    ${mpr_pkg_pc_bin}/consumer ${CMAKE_C_COMPILER} -std=c11 -Wall -Wextra ${mpr_pkg_cflags})

mpr_mpi_command(mpr_pkg_launch 2)
foreach(kind cmake pkgconfig)
  add_test(NAME packaging.consumer.${kind}.run
    COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/check_output.sh ${mpr_pkg_consumer}/expected.out exact
            ${mpr_pkg_launch} ${CMAKE_BINARY_DIR}/test-consumer-${kind}/consumer)
  set_tests_properties(packaging.consumer.${kind}.run PROPERTIES
    FIXTURES_REQUIRED mpr_consumer_${kind} PROCESSORS 2 TIMEOUT 60
    ENVIRONMENT "${MPR_TEST_ENV}")
  set_tests_properties(packaging.consumer.${kind}.build PROPERTIES
    FIXTURES_REQUIRED mpr_installed FIXTURES_SETUP mpr_consumer_${kind} TIMEOUT 300
    SKIP_RETURN_CODE 77)
endforeach()
set_tests_properties(packaging.clean PROPERTIES FIXTURES_SETUP mpr_clean)
set_tests_properties(packaging.install PROPERTIES
  FIXTURES_REQUIRED mpr_clean FIXTURES_SETUP mpr_installed TIMEOUT 60)

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
