# valgrind memcheck over a representative subset of module cases (issue 9):
# every rank of `mpiexec -n 2` under valgrind, full leak check, definite leaks
# and memory errors fail the test; Open MPI's own noise is in valgrind.supp.
# Not with sanitizers (they do not mix with valgrind). About a minute on
# 2 cores; skipped (77) where valgrind is missing.
if(NOT MPR_SANITIZE)
  mpr_mpi_command(launch 2)
  set(cases)
  foreach(pair process:start_join queue:fifo pipe:duplex pool:map_sizes manager:list_ops
               shared:typecodes)
    string(REPLACE ":" ";" pair ${pair})
    list(GET pair 0 module)
    list(GET pair 1 case)
    list(APPEND cases $<TARGET_FILE:test_${module}> ${case})
  endforeach()
  add_test(NAME valgrind.memcheck.np2
    COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/check_valgrind.sh ${CMAKE_CURRENT_SOURCE_DIR}/valgrind.supp
            ${launch} -- ${cases})
  set_tests_properties(valgrind.memcheck.np2 PROPERTIES TIMEOUT 300 PROCESSORS 2
    SKIP_RETURN_CODE 77 LABELS "valgrind;mpi;np2" ENVIRONMENT "${MPR_TEST_ENV}")
endif()
