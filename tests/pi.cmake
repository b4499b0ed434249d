# The main job, apps/pi: results independent of the rank count, and usage errors.

foreach(variant pool processes joblib batched)
  foreach(n 2 4 8)
    add_test(NAME app.pi.same_count.${variant}.np${n}
      COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/check_pi.sh $<TARGET_FILE:pi> ${n} ${variant}
              ${MPIEXEC_EXECUTABLE} ${MPIEXEC_PREFLAGS} --oversubscribe)
    set_tests_properties(app.pi.same_count.${variant}.np${n} PROPERTIES PROCESSORS 2
      TIMEOUT 120 LABELS "apps;pi;mpi;np${n}" ENVIRONMENT "${MPR_TEST_ENV}")
  endforeach()
endforeach()

# The cache: a second identical run reads every task back and says so; the
# count is the same; --output holds that count.
add_test(NAME app.pi.cache_and_output
  COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/check_pi_cache.sh $<TARGET_FILE:pi>
          ${CMAKE_CURRENT_BINARY_DIR}/pi-test ${MPIEXEC_EXECUTABLE} ${MPIEXEC_PREFLAGS}
          --oversubscribe)
set_tests_properties(app.pi.cache_and_output PROPERTIES PROCESSORS 2 TIMEOUT 120
  LABELS "apps;pi;mpi;np3" ENVIRONMENT "${MPR_TEST_ENV}")

# mpr_add_usage_test(<name> <status> <text> <nranks> <args...>)
function(mpr_add_usage_test name status text n)
  mpr_mpi_command(launch ${n})
  add_test(NAME app.pi.usage.${name}
    COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/check_usage.sh ${status} ${text} ${launch}
            $<TARGET_FILE:pi> ${ARGN})
  set_tests_properties(app.pi.usage.${name} PROPERTIES TIMEOUT 60 LABELS "apps;pi;usage"
    ENVIRONMENT "${MPR_TEST_ENV}")
endfunction()
mpr_add_usage_test(negative 2 "--trials" 1 --trials -5)
mpr_add_usage_test(not_a_number 2 "--trials" 1 --trials lots)
mpr_add_usage_test(fraction 2 "whole numbers" 1 --trials 2.5)
mpr_add_usage_test(zero_tasks 2 "--tasks" 1 --tasks 0)
mpr_add_usage_test(more_tasks_than_trials 2 "more than --trials" 1 --trials 10 --tasks 20)
mpr_add_usage_test(unknown_option 2 "--bogus" 1 --bogus)
mpr_add_usage_test(too_many_workers 2 "mpirun -n 6" 2 --workers 5)
mpr_add_usage_test(unknown_variant 2 "--variant" 1 --variant fastest)
