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
