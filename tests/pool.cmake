# Pool tests at the rank counts that matter (issue 4).
foreach(case map_sizes map_million starmap map_errors imap apply map_async callbacks lifecycle
             initializer)
  mpr_add_mpi_test(pool ${case} RANKS 2 4 8 TIMEOUT 120)
endforeach()
mpr_add_mpi_test(pool two_pools RANKS 3 4 8)
