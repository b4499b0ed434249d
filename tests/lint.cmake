# Static analysis of src/ (issue 9): cppcheck and clang-tidy must stay clean
# with the checks chosen in .clang-tidy. Skipped (77) when a tool is missing;
# not run in sanitizer builds, which analyse the same sources.
if(NOT MPR_SANITIZE)
  add_test(NAME lint.cppcheck COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/check_lint.sh cppcheck
    ${PROJECT_SOURCE_DIR} ${CMAKE_BINARY_DIR})
  add_test(NAME lint.clang_tidy COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/check_lint.sh clang-tidy
    ${PROJECT_SOURCE_DIR} ${CMAKE_BINARY_DIR})
  set_tests_properties(lint.cppcheck lint.clang_tidy PROPERTIES LABELS lint TIMEOUT 900
    SKIP_RETURN_CODE 77)
endif()
