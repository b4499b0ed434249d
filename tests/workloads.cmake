# Seed 004's prime workloads (issue 6): apps/primes and apps/verify_prime.

# tests/h5peek: reads back what apps/common/h5out.h writes (no hdf5-tools
# needed). find_package again: imported targets are scoped to apps/.
set(HDF5_PREFER_PARALLEL TRUE)
find_package(HDF5 REQUIRED COMPONENTS C)
add_executable(h5peek h5peek.c)
target_link_libraries(h5peek PRIVATE HDF5::HDF5 MPI::MPI_C mpr_build_flags)

# mpr_add_workload_test(<name> <nranks> <script> <args...>): a check script
# run with the launch line for <nranks> ranks, as app.<name>.np<nranks>.
function(mpr_add_workload_test name n script)
  mpr_mpi_command(launch ${n})
  string(REPLACE "@LAUNCH@" "${launch}" args "${ARGN}")
  add_test(NAME app.${name}.np${n} COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/${script} ${args})
  set_tests_properties(app.${name}.np${n} PROPERTIES PROCESSORS 2 TIMEOUT 120
    LABELS "apps;workloads;mpi;np${n}" ENVIRONMENT "${MPR_TEST_ENV}")
endfunction()

# primes: every mode prints the serial result (and the known one) on 2, 4
# and 8 ranks; --batch 997 makes many queue batches and dynamic items.
foreach(n 2 4 8)
  mpr_add_workload_test(primes.modes.1_20000 ${n} check_modes.sh
    ${CMAKE_CURRENT_SOURCE_DIR}/expected/primes_1_20000.line serial,queue,static,dynamic
    @LAUNCH@ $<TARGET_FILE:primes> --from 1 --to 20000 --batch 997)
  mpr_add_workload_test(primes.modes.1e8_20000 ${n} check_modes.sh
    ${CMAKE_CURRENT_SOURCE_DIR}/expected/primes_1e8_20000.line serial,queue,static,dynamic
    @LAUNCH@ $<TARGET_FILE:primes> --from 100000000 --to 100020000)
endforeach()
# Small ranges: 0, 1 and 2 (the document's check gets them wrong), items
# smaller than the pool, and numbers on both sides of 2**32.
foreach(range 0_10 1_2 2_3)
  string(REPLACE "_" ";" bounds ${range})
  list(GET bounds 0 from)
  list(GET bounds 1 to)
  mpr_add_workload_test(primes.modes.${range} 4 check_modes.sh
    ${CMAKE_CURRENT_SOURCE_DIR}/expected/primes_${range}.line serial,queue,static,dynamic
    @LAUNCH@ $<TARGET_FILE:primes> --from ${from} --to ${to} --batch 3 --chunksize 1)
endforeach()
mpr_add_workload_test(primes.modes.2_32 3 check_modes.sh
  ${CMAKE_CURRENT_SOURCE_DIR}/expected/primes_2_32.line serial,queue,static,dynamic
  @LAUNCH@ $<TARGET_FILE:primes> --from 4294967280 --to 4294967320 --batch 7)

# --output: one dataset from the ranks' parts, read back. queue makes a pool
# after its Processes; static writes on its own pool; serial on 1 rank
# writes alone (MPI_COMM_SELF).
foreach(case "queue;3" "static;4" "serial;1")
  list(GET case 0 mode)
  list(GET case 1 n)
  set(file ${CMAKE_CURRENT_BINARY_DIR}/primes_${mode}_np${n}.h5)
  mpr_add_workload_test(primes.output.${mode} ${n} check_h5out.sh
    ${CMAKE_CURRENT_SOURCE_DIR}/expected/primes_h5_${mode}_np${n}.out $<TARGET_FILE:h5peek>
    ${file} primes @LAUNCH@ $<TARGET_FILE:primes> --from 1 --to 20000 --batch 1000 --mode ${mode}
    --output ${file})
endforeach()

# verify_prime: the document's five numbers in every variant, and numbers
# of our own (0, 1, 2, squares of primes, both sides of 2**32, 2**64 - 1,
# 1e17 + 3) in all variants at once.
foreach(n 2 4 8)
  foreach(variant naive less_naive flagged)
    mpr_add_app_regex_test(verify_prime ${n} verify_prime_doc.regex
      NAME app.verify_prime.${variant}.np${n} ARGS --variant ${variant})
  endforeach()
endforeach()
foreach(n 2 8)
  mpr_add_app_regex_test(verify_prime ${n} verify_prime_numbers.regex
    NAME app.verify_prime.numbers.np${n}
    ARGS --numbers 0,1,2,3,4,9,25,97,529,10403,22801,4294967291,4294967297,18446744073709551615,100000000000000003)
endforeach()

# --help, and usage errors: a message on stderr and exit status 2.
mpr_add_app_test(primes 1 primes_help.out exact NAME app.primes.help ARGS --help)
mpr_add_app_test(verify_prime 1 verify_prime_help.out exact NAME app.verify_prime.help
  ARGS --help)

# mpr_add_workload_usage_test(<app> <case> <text> <nranks> <args...>): exit
# status 2 and <text> on stderr; with STATUS <s> before <text>, status <s>.
function(mpr_add_workload_usage_test app case)
  set(status 2)
  if(ARGV2 STREQUAL "STATUS")
    set(status ${ARGV3})
    list(REMOVE_AT ARGN 0 1)
  endif()
  list(POP_FRONT ARGN text n)
  mpr_mpi_command(launch ${n})
  add_test(NAME app.${app}.usage.${case}
    COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/check_usage.sh ${status} ${text} ${launch}
            $<TARGET_FILE:${app}> ${ARGN})
  set_tests_properties(app.${app}.usage.${case} PROPERTIES TIMEOUT 60
    LABELS "apps;workloads;usage" ENVIRONMENT "${MPR_TEST_ENV}")
endfunction()
mpr_add_workload_usage_test(primes not_a_number "'ten' is not a whole number" 1 --from ten)
mpr_add_workload_usage_test(primes negative "'-5' is not a whole number" 1 --to -5)
mpr_add_workload_usage_test(primes empty_range "is empty" 2 --from 10 --to 10)
mpr_add_workload_usage_test(primes reversed_range "is empty" 2 --from 20 --to 10)
mpr_add_workload_usage_test(primes overflow "overflows 64 bits" 1 --to 18446744073709551616)
mpr_add_workload_usage_test(primes unknown_option "unknown option '--bogus'" 1 --bogus)
mpr_add_workload_usage_test(primes bad_mode "is not one of" 1 --mode fast)
mpr_add_workload_usage_test(primes zero_batch "--batch" 1 --batch 0)
mpr_add_workload_usage_test(primes no_workers "mpirun -n 2" 1 --mode queue)
mpr_add_workload_usage_test(verify_prime bad_number "'12x' is not a whole number" 2
  --numbers 7,12x)
mpr_add_workload_usage_test(verify_prime negative "'-5' is not a whole number" 2 --numbers -5)
mpr_add_workload_usage_test(verify_prime overflow "overflows 64 bits" 2
  --numbers 18446744073709551616)
mpr_add_workload_usage_test(verify_prime empty "is not a whole number" 2 --numbers 3,,5)
mpr_add_workload_usage_test(verify_prime bad_variant "is not one of" 2 --variant quick)
mpr_add_workload_usage_test(verify_prime unknown_option "unknown option '--bogus'" 2 --bogus)
mpr_add_workload_usage_test(verify_prime no_workers "mpirun -n 2" 1)
# A file that cannot be created: every rank of the write step says so, exit 1.
mpr_add_workload_usage_test(primes output_bad_path STATUS 1 "cannot create the file" 3
  --from 1 --to 100 --mode static --output /nonexistent/primes.h5)
