# Module tests: mpr_add_mpi_test(<module> <case> ...) per case.

mpr_add_mpi_test(runtime info LABELS runtime)
mpr_add_mpi_test(runtime errors RANKS 1 2)
mpr_add_mpi_test(runtime worker_identity RANKS 2 4 8)
mpr_add_mpi_test(runtime function_refs RANKS 1 2)
mpr_add_mpi_test(runtime no_workers RANKS 1)
# Same-node wake-ups through the doorbells, with the backoff sleep at 1 s so
# that a missed one shows; with doorbells off the case must fail.
mpr_add_mpi_test(runtime doorbell_wakes RANKS 2 4 ENV MPR_BACKOFF_MAX_US=1000000)
mpr_add_mpi_test(runtime doorbell_wakes RANKS 2 ENV MPR_BACKOFF_MAX_US=1000000 MPR_DOORBELL=0
  SUFFIX without_doorbells EXPECT_FAILURE "ASSERT_TRUE\\(slowest_us < 150000\\)")
# A program started without mpirun is an MPI singleton: rank 0, no workers.
add_test(NAME runtime.no_workers.singleton COMMAND $<TARGET_FILE:test_runtime> no_workers)
set_tests_properties(runtime.no_workers.singleton PROPERTIES TIMEOUT 60
  LABELS "runtime;singleton" ENVIRONMENT "${MPR_TEST_ENV}")
if(MPR_SANITIZE)
  # LeakSanitizer's tracer thread itself crashes at exit in an Open MPI
  # singleton ("Tracer caught signal 11 ... LeakSanitizer has encountered a
  # fatal error"), also with mpr's signal handlers off; the same case under
  # mpiexec (runtime.no_workers.np1) keeps leak checking. ASan and UBSan stay on.
  set_property(TEST runtime.no_workers.singleton APPEND PROPERTY ENVIRONMENT
    "ASAN_OPTIONS=detect_leaks=0")
endif()

foreach(case start_join many raise raise_long_message no_free_rank join_timeout loop worker_cannot_spawn big_argument)
  mpr_add_mpi_test(process ${case} RANKS 2 4 8)
endforeach()
mpr_add_mpi_test(process waiter_is_idle RANKS 3 8)

foreach(case fifo bounded timeouts truncated bad_handles)
  mpr_add_mpi_test(queue ${case} RANKS 1 2 4)
endforeach()
foreach(case close joinable big_items child_puts)
  mpr_add_mpi_test(queue ${case} RANKS 2 4 8)
endforeach()
mpr_add_mpi_test(queue many_producers_consumers RANKS 3 4 8 TIMEOUT 180)
# Rank 0 takes no part in channels it does not use: on one node, and with
# every rank its own node (the producers reach the consumers' nodes).
mpr_add_mpi_test(queue pairs_bypass_rank0 RANKS 3 5 9)
mpr_add_mpi_test(queue big_blocks RANKS 1 2)
mpr_add_mpi_test(queue spill_two_queues RANKS 1 ENV MPR_CHANNEL_RING=4096 MPR_CHANNEL_BLOCKS=0)
mpr_add_mpi_test(queue etrunc_passes_wake RANKS 3 ENV MPR_NODE_SPLIT=rank)
mpr_add_mpi_test(queue served_when_slots_run_out RANKS 2 4 ENV MPR_CHANNEL_SLOTS=1)
mpr_add_mpi_test(queue pairs_bypass_rank0 RANKS 5 9 SUFFIX split ENV MPR_NODE_SPLIT=rank)
mpr_add_mpi_test(queue posts_from_rank0 RANKS 2 4)
mpr_add_mpi_test(queue posts_from_rank0 RANKS 2 4 SUFFIX split ENV MPR_NODE_SPLIT=rank)
mpr_add_mpi_test(queue refusal_per_home RANKS 3)
mpr_add_mpi_test(queue refusal_per_home RANKS 3 SUFFIX split ENV MPR_NODE_SPLIT=rank)

foreach(case truncated poll_and_timeout closed_ends)
  mpr_add_mpi_test(pipe ${case} RANKS 1 2)
endforeach()
foreach(case duplex one_way_eof)
  mpr_add_mpi_test(pipe ${case} RANKS 2 4 8)
endforeach()
mpr_add_mpi_test(pipe between_children RANKS 3 8)

# The same with every rank its own node: each call of a rank that is not
# the object's home goes through the home node's server (channel.c).
foreach(case fifo bounded timeouts truncated bad_handles close joinable big_items child_puts)
  mpr_add_mpi_test(queue ${case} RANKS 2 4 SUFFIX split ENV MPR_NODE_SPLIT=rank)
endforeach()
mpr_add_mpi_test(queue many_producers_consumers RANKS 8 SUFFIX split ENV MPR_NODE_SPLIT=rank
  TIMEOUT 180)
foreach(case truncated poll_and_timeout closed_ends duplex one_way_eof between_children)
  mpr_add_mpi_test(pipe ${case} RANKS 3 SUFFIX split ENV MPR_NODE_SPLIT=rank)
endforeach()

mpr_add_mpi_test(rng known_answers RANKS 1)
mpr_add_mpi_test(rng streams RANKS 1)
mpr_add_mpi_test(rng fill_matches_single RANKS 1)
