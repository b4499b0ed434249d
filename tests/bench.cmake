# The benchmark suite (apps/bench/run_suite.sh, issue 8) at tiny sizes: every
# program runs and the report has every row with its figures (--check). No
# timing is asserted. Not under sanitizers: the suite measures, it does not
# look for bugs, and the unit tests run the same calls sanitized.
if(NOT MPR_SANITIZE)
  add_test(NAME bench.smoke
    COMMAND ${PROJECT_SOURCE_DIR}/apps/bench/run_suite.sh --quick --check
            --build-dir ${PROJECT_BINARY_DIR} --out ${CMAKE_CURRENT_BINARY_DIR}/bench-smoke)
  set_tests_properties(bench.smoke PROPERTIES PROCESSORS 2 TIMEOUT 300
    LABELS "bench-smoke;bench;mpi;np7" ENVIRONMENT "${MPR_TEST_ENV}")
endif()
