# Multi-node tests (issue 7): 3 simulated hosts (network namespaces with
# their own hostname and /dev/shm, tests/multinode.sh) and mpr's test
# programs with their ranks spread over them. multinode.setup brings the
# hosts up, multinode.cleanup tears them down even when a test fails
# (FIXTURES_SETUP/CLEANUP); without root or namespaces every test skips (77).
# Run only these: ctest --preset dev -L multinode.
#
# Off by default in sanitized builds: ASan's shadow memory times 6 ranks and
# the TCP path make them slow, and they test placement, not memory errors.
if(MPR_SANITIZE)
  set(mpr_mn_default OFF)
else()
  set(mpr_mn_default ON)
endif()
option(MPR_MULTINODE_TESTS "multi-node tests on simulated hosts (needs root)" ${mpr_mn_default})

add_executable(test_multinode test_multinode.c)
target_link_libraries(test_multinode PRIVATE mpr::mpr mpr_build_flags)
target_compile_definitions(test_multinode PRIVATE _GNU_SOURCE)

if(NOT MPR_MULTINODE_TESTS)
  return()
endif()

# Subnet 10.78.<tag>.0/24 and interface names from the build dir, so two
# build trees testing at once do not share (and tear down) one cluster.
string(MD5 mpr_mn_hash "${CMAKE_BINARY_DIR}")
string(SUBSTRING "${mpr_mn_hash}" 0 2 mpr_mn_hex)
math(EXPR mpr_mn_tag "(0x${mpr_mn_hex} % 240) + 10")
set(mpr_mn_dir ${CMAKE_CURRENT_BINARY_DIR}/multinode-hosts)
set(mpr_mn_sh ${CMAKE_CURRENT_SOURCE_DIR}/multinode.sh)
set(mpr_mn_env ${MPR_TEST_ENV} MPR_MN_TAG=${mpr_mn_tag})

add_test(NAME multinode.setup COMMAND ${mpr_mn_sh} up ${mpr_mn_dir})
add_test(NAME multinode.cleanup COMMAND ${mpr_mn_sh} down ${mpr_mn_dir})
set_tests_properties(multinode.setup PROPERTIES FIXTURES_SETUP multinode
  LABELS "multinode" TIMEOUT 60 SKIP_RETURN_CODE 77 ENVIRONMENT "${mpr_mn_env}"
  RESOURCE_LOCK multinode)
set_tests_properties(multinode.cleanup PROPERTIES FIXTURES_CLEANUP multinode
  LABELS "multinode" TIMEOUT 60 ENVIRONMENT "${mpr_mn_env}" RESOURCE_LOCK multinode)

# mpr_add_multinode_test(<module> <case> <nranks> [TIMEOUT s] [BYNODE] [ENV ...])
# adds multinode.<module>.<case>.np<N>: test_<module> <case> on N ranks over
# the 3 hosts, filled host by host (2 slots each), or round-robin with BYNODE.
function(mpr_add_multinode_test module case n)
  cmake_parse_arguments(T "BYNODE" "TIMEOUT" "ENV" ${ARGN})
  if(NOT T_TIMEOUT)
    set(T_TIMEOUT 120)
  endif()
  set(map)
  if(T_BYNODE)
    set(map --map-by node)
  endif()
  set(name multinode.${module}.${case}.np${n})
  add_test(NAME ${name} COMMAND ${mpr_mn_sh} run ${mpr_mn_dir} -np ${n} ${map}
    $<TARGET_FILE:test_${module}> ${case})
  # RESOURCE_LOCK: one job on the simulated hosts at a time; on 2 cores two
  # 6-rank TCP jobs only slow each other down.
  set_tests_properties(${name} PROPERTIES FIXTURES_REQUIRED multinode RESOURCE_LOCK multinode
    PROCESSORS 2 TIMEOUT ${T_TIMEOUT} SKIP_RETURN_CODE 77
    LABELS "multinode;${module};mpi;np${n}" ENVIRONMENT "${mpr_mn_env};${T_ENV}")
endfunction()

# One rank per host: placement, the busy home, latencies.
foreach(case placement busy_home latency stopped_home)
  mpr_add_multinode_test(multinode ${case} 3 BYNODE)
endforeach()
# Only rank 0 gets MPR_TEST_SETTING from mpirun (-x in its app context);
# mpr_init must hand it to the ranks on the other hosts.
add_test(NAME multinode.multinode.settings.np4 COMMAND ${mpr_mn_sh} run ${mpr_mn_dir}
  --map-by node -np 1 -x MPR_TEST_SETTING $<TARGET_FILE:test_multinode> settings
  : -np 3 $<TARGET_FILE:test_multinode> settings)
set_tests_properties(multinode.multinode.settings.np4 PROPERTIES FIXTURES_REQUIRED multinode
  RESOURCE_LOCK multinode PROCESSORS 2 TIMEOUT 60 SKIP_RETURN_CODE 77
  LABELS "multinode;mpi;np4"
  ENVIRONMENT "${mpr_mn_env};MPR_TEST_SETTING=from rank 0;MPR_MN_FORWARD=0")
# The modules, 6 ranks on 3 hosts (node1: ranks 0-1, node2: 2-3, node3: 4-5).
foreach(case start_join many raise big_argument)
  mpr_add_multinode_test(process ${case} 6)
endforeach()
foreach(case fifo joinable big_items many_producers_consumers posts_from_rank0)
  mpr_add_multinode_test(queue ${case} 6)
endforeach()
foreach(case duplex between_children one_way_eof)
  mpr_add_multinode_test(pipe ${case} 6)
endforeach()
# Value/Array/Lock: objects of rank 0's node reached from the other two
# through their heap servers, and each node's own objects in shared memory.
foreach(case typecodes fetch_add_exact array_ptr errors read_mostly)
  mpr_add_multinode_test(shared ${case} 6)
endforeach()
mpr_add_multinode_test(shared get_lock_exact 3 BYNODE TIMEOUT 180)
foreach(case lock_basic rlock semaphore event condition barrier)
  mpr_add_multinode_test(lock ${case} 6)
endforeach()
mpr_add_multinode_test(lock locked_counter 3 BYNODE TIMEOUT 180)
foreach(case map_sizes map_errors imap apply map_async spmd)
  mpr_add_multinode_test(pool ${case} 6)
endforeach()
foreach(case lock_ops many_clients producers_consumers queue_via_manager)
  mpr_add_multinode_test(manager ${case} 6)
endforeach()
mpr_add_multinode_test(runtime worker_identity 6)

# The scaling command over the simulated hosts: runs.csv must record the
# 3-rank runs on two hosts.
add_test(NAME multinode.scaling.pi COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/slurm.sh scaling
  ${CMAKE_CURRENT_BINARY_DIR}/scaling-multinode 3 ${mpr_mn_dir})
set_tests_properties(multinode.scaling.pi PROPERTIES FIXTURES_REQUIRED multinode
  RESOURCE_LOCK multinode PROCESSORS 2 TIMEOUT 120 LABELS "multinode;scaling" SKIP_RETURN_CODE 77
  ENVIRONMENT "${mpr_mn_env};MPR_BIN=$<TARGET_FILE_DIR:pi>;MPR_MPIRUN=${mpr_mn_sh} run ${mpr_mn_dir}")
