# Bad input for every public call (issue 9): NULL and forged handles, wrong
# types, sizes 0 and huge, use after close/free, buffers too small, timeouts
# 0 and negative, calls from ranks that may not. One case per API area, at
# 1 rank (no workers) and 3 (rank 0's objects used from a worker too).
foreach(case runtime process queue pipe pool manager shared rng_cache)
  mpr_add_mpi_test(badinput ${case} RANKS 1 3 LABELS badinput)
endforeach()
# Shared state across "nodes": rank 1 reaches rank 0's objects through the
# heap server, which must reject the same forged handles.
mpr_mpi_command(launch 3)
add_test(NAME badinput.shared.split.np3 COMMAND ${launch} $<TARGET_FILE:test_badinput> shared)
set_tests_properties(badinput.shared.split.np3 PROPERTIES PROCESSORS 2 TIMEOUT 60
  SKIP_RETURN_CODE 77 LABELS "badinput;mpi;np3;split"
  ENVIRONMENT "${MPR_TEST_ENV};MPR_NODE_SPLIT=rank")

# Malformed command lines the app tests (pi.cmake, workloads.cmake) leave
# out: overflowing 64 bits, an empty range, a missing value, empty list
# items. Exit status 2 and the reason on stderr.
# mpr_add_badinput_usage_test(<app> <case> <text> <nranks> <args...>)
function(mpr_add_badinput_usage_test app case text n)
  mpr_mpi_command(launch ${n})
  add_test(NAME app.${app}.usage.${case}
    COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/check_usage.sh 2 ${text} ${launch}
            $<TARGET_FILE:${app}> ${ARGN})
  set_tests_properties(app.${app}.usage.${case} PROPERTIES TIMEOUT 60
    LABELS "apps;usage;badinput" ENVIRONMENT "${MPR_TEST_ENV}")
endfunction()
mpr_add_badinput_usage_test(pi overflow "'18446744073709551616' is not a number" 1
  --trials 18446744073709551616)
mpr_add_badinput_usage_test(pi tasks_overflow "--tasks" 1 --tasks 99999999999999999999)
mpr_add_badinput_usage_test(pi zero_trials "'0' is not a number" 1 --trials 0)
mpr_add_badinput_usage_test(pi missing_value "option '--trials' needs a value" 1 --trials)
mpr_add_badinput_usage_test(pi bad_seed "--seed" 1 --seed x)
mpr_add_badinput_usage_test(primes from_overflow "overflows 64 bits" 1
  --from 18446744073709551616)
mpr_add_badinput_usage_test(primes top_range_empty "is empty" 2
  --from 18446744073709551615 --to 18446744073709551615)
mpr_add_badinput_usage_test(primes missing_value "option '--to' needs a value" 1 --to)
mpr_add_badinput_usage_test(primes trailing_junk "'5x' is not a whole number" 1 --from 5x)
mpr_add_badinput_usage_test(primes batch_not_a_number "'x' is not a whole number" 1 --batch x)
mpr_add_badinput_usage_test(primes batch_overflow "overflows 64 bits" 1
  --batch 18446744073709551616)
mpr_add_badinput_usage_test(verify_prime missing_value "option '--numbers' needs a value" 2
  --numbers)
mpr_add_badinput_usage_test(verify_prime trailing_comma "is not a whole number" 2 --numbers 5,)
mpr_add_badinput_usage_test(verify_prime leading_comma "is not a whole number" 2 --numbers ,5)
