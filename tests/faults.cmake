# A rank that dies ends the job within seconds with a message naming the
# rank, host, task and signal; a parent that forgets mpr_finalize leaves
# no orphans (issue 9).
add_executable(test_faults test_faults.c)
target_link_libraries(test_faults PRIVATE mpr::mpr mpr_build_flags)
if(MPR_SANITIZE)
  target_compile_definitions(test_faults PRIVATE MPR_TEST_SANITIZED)
endif()

function(mpr_add_fault_test case status text)
  mpr_mpi_command(launch 3)
  add_test(NAME faults.${case}.np3 COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/check_fault.sh
    ${status} ${text} 30 ${launch} $<TARGET_FILE:test_faults> ${case})
  set_tests_properties(faults.${case}.np3 PROPERTIES TIMEOUT 60 PROCESSORS 2
    LABELS "faults;mpi;np3" ENVIRONMENT "${MPR_TEST_ENV};${ARGN}")
endfunction()
mpr_add_fault_test(segv nonzero
  "mpr: rank 1 \\(.+\\) died on signal 11 \\(Segmentation fault\\) while running crasher")
mpr_add_fault_test(abort nonzero
  "mpr: rank 1 \\(.+\\) died on signal 6 \\(Aborted\\) while running crasher")
mpr_add_fault_test(exit nonzero
  "mpr: rank 1 \\(.+\\) called exit\\(\\) inside its target .* while running crasher")
mpr_add_fault_test(no_finalize 0 "child done")
# A rank that dies holding a queue's lock in shared memory: rank 0, asleep
# on that lock, must not keep the job alive.
mpr_add_fault_test(ring_lock nonzero
  "mpr: rank 1 \\(.+\\) died on signal 6 \\(Aborted\\) while running crasher"
  MPR_FAULT_INJECT=ring_lock@1)

# The message decoders under libFuzzer (clang, ASan+UBSan), briefly: a
# bounded run in CI; `tests/fuzz/run_fuzz.sh 600` for a longer one.
# It builds its own sanitized binary, so the sanitizer workflow need not run it again.
if(NOT MPR_SANITIZE)
  add_test(NAME fuzz.wire COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/fuzz/run_fuzz.sh 15
    ${CMAKE_CURRENT_BINARY_DIR}/fuzz-wire)
  set_tests_properties(fuzz.wire PROPERTIES TIMEOUT 400 SKIP_RETURN_CODE 77 LABELS "fuzz"
    RUN_SERIAL TRUE)
endif()
