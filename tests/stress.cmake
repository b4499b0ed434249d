# Bounded load (issue 9): each case within a minute or two on 2 cores.
mpr_add_mpi_test(stress queue_million RANKS 7 LABELS stress TIMEOUT 300)
mpr_add_mpi_test(stress locked_million RANKS 4 LABELS stress TIMEOUT 300)
mpr_add_mpi_test(stress map_ten_million RANKS 3 LABELS stress TIMEOUT 300)
mpr_add_mpi_test(stress process_churn RANKS 4 LABELS stress TIMEOUT 300)
