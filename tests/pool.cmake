# Pool tests at the rank counts that matter (issue 4).
foreach(case map_sizes map_million starmap map_errors imap apply map_async callbacks lifecycle
             initializer)
  mpr_add_mpi_test(pool ${case} RANKS 2 4 8 TIMEOUT 120)
endforeach()
mpr_add_mpi_test(pool two_pools RANKS 3 4 8)
mpr_add_mpi_test(pool callbacks_free RANKS 2 4)
mpr_add_mpi_test(pool progress_line RANKS 2 4)
mpr_add_mpi_test(pool spmd RANKS 2 4 8)
mpr_add_mpi_test(pool tasks_puts_arrive RANKS 2 4 8)
# Prefetch: which worker gets which chunk, with the default depth and off;
# and the dynamic cases again with prefetch off and at its deepest.
mpr_add_mpi_test(pool prefetch RANKS 3 4)
mpr_add_mpi_test(pool map_big_chunks RANKS 2 3 4 8)
mpr_add_mpi_test(pool prefetch SUFFIX prefetch0 RANKS 3 ENV MPR_POOL_PREFETCH=0)
foreach(depth 0 4)
  foreach(case map_sizes map_errors imap map_async callbacks lifecycle)
    mpr_add_mpi_test(pool ${case} SUFFIX prefetch${depth} RANKS 4 ENV MPR_POOL_PREFETCH=${depth})
  endforeach()
endforeach()

# apps/pool_demos: the Pool examples of seeds 000 and 003.
foreach(n 3 5)
  mpr_add_app_test(pool_demos ${n} pool_f.out exact NAME app.pool_demos.f.np${n} ARGS f)
  mpr_add_app_regex_test(pool_demos ${n} pool_squares.regex NAME app.pool_demos.squares.np${n}
    ARGS squares)
  mpr_add_app_test(pool_demos ${n} pool_work_log.out sorted NAME app.pool_demos.work_log.np${n}
    ARGS --scale 0.2 work_log)
endforeach()
foreach(n 5 8)
  # apply runs one task at a time: 0..7 in order. apply_async: the same
  # numbers in the order the random sleeps end.
  mpr_add_app_test(pool_demos ${n} pool_apply.out exact NAME app.pool_demos.apply.np${n}
    ARGS --scale 0.2 apply)
  mpr_add_app_test(pool_demos ${n} pool_apply.out sorted NAME app.pool_demos.apply_async.np${n}
    ARGS --scale 0.2 apply_async)
endforeach()
mpr_add_app_regex_test(pool_demos 3 empty.out NAME app.pool_demos.too_few_ranks STATUS 1
  STDERR pool_too_few.stderr ARGS apply)
