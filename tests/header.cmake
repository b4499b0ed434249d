# Tests of mpr.h itself, at compile time: no ranks, no install.
#
# header.handles.<case>: the shared-state handles are distinct types. The
# control compiles every handle with its own calls; each other case passes
# one kind of handle to another kind's call and must fail to compile with a
# type error (a struct passed by value is a hard error in C; a pointer is
# made one with -Werror=incompatible-pointer-types).
set(mpr_header_cc ${CMAKE_C_COMPILER} -std=c11 -fsyntax-only -Wall -Wextra
  -Werror=incompatible-pointer-types -I${PROJECT_SOURCE_DIR}/src/include)
foreach(dir IN LISTS MPI_C_INCLUDE_DIRS)
  list(APPEND mpr_header_cc -I${dir})
endforeach()
set(mpr_header_type_error "incompatible type for argument|incompatible pointer type")
set(mpr_header_cases control lock_acquire_event event_wait_lock semaphore_acquire_barrier
  barrier_wait_semaphore condition_new_event event_new_lock)
list(LENGTH mpr_header_cases n)
math(EXPR last "${n} - 1")
foreach(i RANGE ${last})
  list(GET mpr_header_cases ${i} case)
  set(want fail)
  if(i EQUAL 0)
    set(want ok)
  endif()
  add_test(NAME header.handles.${case}
    COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/check_compile.sh ${want} "${mpr_header_type_error}"
            ${mpr_header_cc} -DMPR_CASE=${i} ${CMAKE_CURRENT_SOURCE_DIR}/header_handles.c)
  set_tests_properties(header.handles.${case} PROPERTIES LABELS header TIMEOUT 60)
endforeach()

# header.ranks: every group of MPR_EXTERN prototypes in mpr.h has a Ranks:
# line (STYLE point 9). The control runs the same check on a copy with every
# "Ranks:" misspelt and must see it report groups, so a check that stopped
# looking would not pass quietly.
set(mpr_header_h ${PROJECT_SOURCE_DIR}/src/include/mpr.h)
add_test(NAME header.ranks COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/check_ranks.sh ${mpr_header_h})
add_test(NAME header.ranks.control
  COMMAND bash -c "bash \"$0\" <(sed 's/Ranks:/Rank:/' \"$1\")"
          ${CMAKE_CURRENT_SOURCE_DIR}/check_ranks.sh ${mpr_header_h})
set_tests_properties(header.ranks.control PROPERTIES
  PASS_REGULAR_EXPRESSION "prototypes, [1-9][0-9]* without Ranks:")
set_tests_properties(header.ranks header.ranks.control PROPERTIES LABELS header TIMEOUT 60)
