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
# line (STYLE point 9); header.timeouts: every group with a timeout says in
# a Timeout: line what it returns when the time runs out (the rule is in
# mpr.h's preamble). Each control runs the same check on a copy with the
# word misspelt and must see it report groups, so a check that stopped
# looking would not pass quietly.
set(mpr_header_h ${PROJECT_SOURCE_DIR}/src/include/mpr.h)
set(mpr_header_docs ${CMAKE_CURRENT_SOURCE_DIR}/check_header_docs.sh)
foreach(rule ranks timeouts)
  if(rule STREQUAL "ranks")
    set(tag Ranks)
  else()
    set(tag Timeout)
  endif()
  add_test(NAME header.${rule} COMMAND bash ${mpr_header_docs} ${rule} ${mpr_header_h})
  add_test(NAME header.${rule}.control
    COMMAND bash -c "bash \"$0\" ${rule} <(sed 's/${tag}\\b/Tag/' \"$1\")"
            ${mpr_header_docs} ${mpr_header_h})
  set_tests_properties(header.${rule}.control PROPERTIES
    PASS_REGULAR_EXPRESSION "checked for ${tag}:, [1-9][0-9]* without")
  set_tests_properties(header.${rule} header.${rule}.control PROPERTIES LABELS header
    TIMEOUT 60)
endforeach()
