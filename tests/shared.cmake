# Shared state tests (issue 3). Every case runs in both modes: one node
# (the shared-memory path), and MPR_NODE_SPLIT=rank, where every rank is its
# own "node" and other ranks' objects are reached through the heap server
# (the cross-node path). The second registration gets a ".split" suffix.

# mpr_add_shared_test(<module> <case> RANKS ... [TIMEOUT s] [ENV ...])
function(mpr_add_shared_test module case)
  cmake_parse_arguments(S "" "TIMEOUT" "RANKS;ENV" ${ARGN})
  if(NOT S_TIMEOUT)
    set(S_TIMEOUT 60)
  endif()
  mpr_add_mpi_test(${module} ${case} RANKS ${S_RANKS} TIMEOUT ${S_TIMEOUT}
    LABELS shared ENV ${S_ENV})
  # Same test program, registered under <module>.<case>.split.npN.
  foreach(n IN LISTS S_RANKS)
    set(name ${module}.${case}.split.np${n})
    mpr_mpi_command(launch ${n})
    add_test(NAME ${name} COMMAND ${launch} $<TARGET_FILE:test_${module}> ${case})
    set(procs ${n})
    if(procs GREATER 2)
      set(procs 2)
    endif()
    set_tests_properties(${name} PROPERTIES
      PROCESSORS ${procs} TIMEOUT ${S_TIMEOUT} SKIP_RETURN_CODE 77
      LABELS "${module};mpi;np${n};shared;split"
      ENVIRONMENT "${MPR_TEST_ENV};MPR_NODE_SPLIT=rank;${S_ENV}")
  endforeach()
endfunction()

foreach(case typecodes array_ptr errors)
  mpr_add_shared_test(shared ${case} RANKS 1 2 4)
endforeach()
mpr_add_shared_test(shared heap_full RANKS 1 2 ENV MPR_HEAP_SIZE=1M)
mpr_add_shared_test(shared read_mostly RANKS 1 2 4)
mpr_add_shared_test(shared read_mostly_limits RANKS 1 2)
# The control: only split by rank do loads cross nodes.
mpr_add_mpi_test(shared plain_loads_counted RANKS 2 3 LABELS shared ENV MPR_NODE_SPLIT=rank
  SUFFIX split)
foreach(case fetch_add_exact get_lock_exact)
  mpr_add_shared_test(shared ${case} RANKS 2 4 8 TIMEOUT 120)
endforeach()

foreach(case lock_basic rlock semaphore event condition barrier barrier_broken)
  mpr_add_shared_test(lock ${case} RANKS 1 2 4 8)
endforeach()
mpr_add_shared_test(lock locked_counter RANKS 2 4 8 TIMEOUT 120)
mpr_add_shared_test(lock holder_not_starved RANKS 8)

# Apps (apps/shared_demos.c), on one node and split by rank.
foreach(split "" "MPR_NODE_SPLIT=rank")
  if(split)
    set(sfx .split)
  else()
    set(sfx "")
  endif()
  foreach(demo square_list array)
    mpr_add_app_test(shared_demos 2 shared_${demo}.out exact
      NAME app.shared_demos.${demo}${sfx}.np2 ARGS ${demo})
  endforeach()
  mpr_add_app_test(shared_demos 3 shared_bank_lock.out exact
    NAME app.shared_demos.bank_lock${sfx}.np3 ARGS bank_lock)
  # Without a lock the balance varies from run to run (seed 000's lesson).
  mpr_add_app_regex_test(shared_demos 3 shared_bank_race.regex
    NAME app.shared_demos.bank_race${sfx}.np3 ARGS bank_race)
  if(split)
    set_property(TEST app.shared_demos.square_list.split.np2 app.shared_demos.array.split.np2
      app.shared_demos.bank_lock.split.np3 app.shared_demos.bank_race.split.np3
      APPEND PROPERTY ENVIRONMENT ${split})
  endif()
endforeach()
