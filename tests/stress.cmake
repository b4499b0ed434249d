# Bounded load (issue 9): each case within a minute or two on 2 cores.
mpr_add_mpi_test(stress queue_million RANKS 7 LABELS stress TIMEOUT 300)
# The shared-memory path at maxsize 0, 1 and 10; unbounded again with a
# 4 KiB ring, so that most items spill to the node server and come back
# as tickets; and with every rank its own node (all through the servers).
foreach(case queue_million_unbounded queue_million_max1 queue_million_max10)
  mpr_add_mpi_test(stress ${case} RANKS 7 LABELS stress TIMEOUT 300)
endforeach()
mpr_add_mpi_test(stress queue_million_unbounded RANKS 7 LABELS stress TIMEOUT 300 SUFFIX spill
  ENV MPR_CHANNEL_RING=4096)
mpr_add_mpi_test(stress queue_million_max10 RANKS 7 LABELS stress TIMEOUT 300 SUFFIX split
  ENV MPR_NODE_SPLIT=rank)
mpr_add_mpi_test(stress locked_million RANKS 4 LABELS stress TIMEOUT 300)
mpr_add_mpi_test(stress map_ten_million RANKS 3 LABELS stress TIMEOUT 300)
mpr_add_mpi_test(stress process_churn RANKS 4 LABELS stress TIMEOUT 300)
mpr_add_mpi_test(stress apply_async_outstanding RANKS 3 LABELS stress TIMEOUT 300)
