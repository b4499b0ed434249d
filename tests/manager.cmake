# Manager tests (issue 5): every object kind and error at 1-2 ranks, the
# cross-rank cases at 2, 4 and 8.

foreach(case start_shutdown list_ops dict_ops value_ops bad_handles queue_via_manager)
  mpr_add_mpi_test(manager ${case} RANKS 1 2 4)
endforeach()
foreach(case lock_ops lock_released_elsewhere shutdown_wakes_waiters many_clients)
  mpr_add_mpi_test(manager ${case} RANKS 2 4 8)
endforeach()
mpr_add_mpi_test(manager producers_consumers RANKS 3 4 8 TIMEOUT 120)
# Seed 003: four add and two sub workers need six worker ranks.
mpr_add_mpi_test(manager counter_with_lock RANKS 7 8 TIMEOUT 120)

# Manager demos (apps/manager_demos.c): seeds 000, 001 and 003.
foreach(n 2 3)
  mpr_add_app_test(manager_demos ${n} manager_records.out exact
    NAME app.manager_demos.records.np${n} ARGS records)
endforeach()
mpr_add_app_regex_test(manager_demos 3 manager_square_list.regex
  NAME app.manager_demos.square_list.np3 ARGS --sleep 0.3 square_list)
# Six workers: four add, two sub. Without the lock any count may come out.
mpr_add_app_regex_test(manager_demos 7 manager_counter.regex
  NAME app.manager_demos.counter.np7 ARGS counter)
foreach(n 7 8)
  mpr_add_app_test(manager_demos ${n} manager_counter_lock.out exact
    NAME app.manager_demos.counter_lock.np${n} ARGS counter_lock)
endforeach()
# Every product consumed exactly once, in both forms of seed 003.
foreach(demo products products_fixed)
  mpr_add_app_regex_test(manager_demos 5 manager_products.regex
    NAME app.manager_demos.${demo}.np5 ARGS --sleep 0.05 ${demo})
endforeach()
mpr_add_app_regex_test(manager_demos 2 empty.out NAME app.manager_demos.counter_lock.np2
  STATUS 1 STDERR no_free_rank.stderr ARGS counter_lock)
