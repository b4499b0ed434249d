# App output tests: mpr_add_app_test(...) per app and rank count.
#
# "exact" where the order is fixed (one process prints, or the parent prints
# after joins); "sorted" where processes print at the same time. Output with
# pids, hosts or random numbers, or whose order is only partly fixed, goes
# through check_regex.sh (mpr_add_app_regex_test below), which also checks
# the exit status and stderr of runs that must fail.

# mpr_add_app_regex_test(<app> <nranks> <regex-file> [NAME n] [STATUS s]
#                        [STDERR <regex-file>] [ARGS ...])
function(mpr_add_app_regex_test app n expected)
  cmake_parse_arguments(T "" "NAME;STATUS;STDERR" "ARGS" ${ARGN})
  if(NOT T_NAME)
    set(T_NAME app.${app}.np${n})
  endif()
  set(checks)
  if(DEFINED T_STATUS)
    list(APPEND checks --status ${T_STATUS})
  endif()
  if(T_STDERR)
    list(APPEND checks --stderr ${CMAKE_CURRENT_SOURCE_DIR}/expected/${T_STDERR})
  endif()
  if(n EQUAL 0)
    set(launch)   # 0: a singleton, started without mpirun
    set(label singleton)
  else()
    mpr_mpi_command(launch ${n})
    set(label np${n})
  endif()
  add_test(NAME ${T_NAME} COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/check_regex.sh ${checks}
    ${CMAKE_CURRENT_SOURCE_DIR}/expected/${expected} ${launch} $<TARGET_FILE:${app}> ${T_ARGS})
  set_tests_properties(${T_NAME} PROPERTIES PROCESSORS 2 TIMEOUT 60
    LABELS "apps;mpi;${label}" ENVIRONMENT "${MPR_TEST_ENV}")
endfunction()

# seed 000: print_cube/print_square, their PIDs, a child's private list.
foreach(n 3 5)
  mpr_add_app_regex_test(cube_square ${n} cube_square.regex)
endforeach()
# One worker short: what ran before prints, then mpr says how to launch.
mpr_add_app_regex_test(cube_square 2 cube_square_np2.regex STATUS 1 STDERR no_free_rank.stderr)

# seed 001: process1/process2 print numbers at the same time.
foreach(n 3 4)
  mpr_add_app_test(print_numbers ${n} print_numbers.out sorted ARGS --sleep 0.1)
endforeach()
mpr_add_app_regex_test(print_numbers 2 print_numbers_np2.regex STATUS 1
  STDERR no_free_rank.stderr ARGS --sleep 0.1)

# seed 003: three continents.
foreach(n 4 6)
  mpr_add_app_test(continents ${n} continents.out sorted)
endforeach()
mpr_add_app_regex_test(continents 0 empty.out NAME app.continents.singleton STATUS 1
  STDERR no_workers.stderr)

# Queue demos (seeds 000 and 003).
foreach(n 3 5)
  mpr_add_app_test(queue_demos ${n} queue_squares.out exact
    NAME app.queue_demos.squares.np${n} ARGS squares)
  mpr_add_app_test(queue_demos ${n} queue_producer_consumer.out sorted
    NAME app.queue_demos.producer_consumer.np${n} ARGS --max-sleep 0.05 producer_consumer)
endforeach()
foreach(n 1 2)
  mpr_add_app_test(queue_demos ${n} queue_colors.out exact
    NAME app.queue_demos.colors.np${n} ARGS colors)
endforeach()
foreach(n 5 8)
  mpr_add_app_regex_test(queue_demos ${n} queue_random.regex
    NAME app.queue_demos.random.np${n} ARGS random)
endforeach()
mpr_add_app_regex_test(queue_demos 3 empty.out NAME app.queue_demos.random.np3
  STATUS 1 STDERR no_free_rank.stderr ARGS random)
mpr_add_app_test(queue_demos 1 queue_demos_help.out exact
  NAME app.queue_demos.help ARGS --help)
mpr_add_app_regex_test(queue_demos 2 empty.out NAME app.queue_demos.usage
  STATUS 2 STDERR usage.stderr ARGS --max-sleep -1 colors)

# Pipe demos (seeds 000, 001 and 003).
foreach(n 3 4)
  mpr_add_app_test(pipe_demos ${n} pipe_messages.out exact
    NAME app.pipe_demos.messages.np${n} ARGS messages)
  mpr_add_app_test(pipe_demos ${n} pipe_sender_receiver.out sorted
    NAME app.pipe_demos.sender_receiver.np${n} ARGS --sleep 0.01 sender_receiver)
endforeach()
foreach(n 2 4)
  mpr_add_app_test(pipe_demos ${n} pipe_hello.out exact
    NAME app.pipe_demos.hello.np${n} ARGS hello)
endforeach()
mpr_add_app_regex_test(pipe_demos 0 empty.out NAME app.pipe_demos.hello.singleton
  STATUS 1 STDERR no_workers.stderr ARGS hello)
