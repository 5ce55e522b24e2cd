# Registers one CTest test per GoogleTest suite of a test binary (run after it is linked):
# BINARY, LABEL, EXCLUDE (a gtest negative filter, may be empty) and OUTPUT (the CTest file that
# tests/CMakeLists.txt includes). scripts/test.sh's builds use it: starting a sanitized process costs
# 0.3-0.9 s (an ASan binary relocates and registers hundreds of MB), so one process per test spent
# most of their test time starting up.
execute_process(COMMAND "${BINARY}" --gtest_list_tests OUTPUT_VARIABLE listing RESULT_VARIABLE status)
if(NOT status EQUAL 0)
  message(FATAL_ERROR "${BINARY} --gtest_list_tests failed (${status})")
endif()
# CTest starts the costliest tests first when it runs several at once, and until it has timed them
# (in a fresh clone) it takes this cost: the integration suites, which take seconds each, start
# first instead of last, where the longest (20-30 s) made the tail of every run.
if(LABEL STREQUAL "integration")
  set(cost 10)
elseif(LABEL STREQUAL "stress")
  set(cost 3)
else()
  set(cost 1)
endif()
string(REPLACE "\n" ";" lines "${listing}")
set(tests "")
foreach(line IN LISTS lines)
  # Suite lines start in column 0 and end with a dot (a "# TypeParam" comment may follow).
  if(line MATCHES "^([A-Za-z_][A-Za-z0-9_/]*)\\.")
    set(suite "${CMAKE_MATCH_1}")
    set(filter "${suite}.*")
    if(NOT EXCLUDE STREQUAL "")
      string(APPEND filter ":-${EXCLUDE}")
    endif()
    get_filename_component(dir "${BINARY}" DIRECTORY)
    string(APPEND tests
      "add_test([=[${suite}.*]=] [=[${BINARY}]=] [=[--gtest_filter=${filter}]=])\n"
      "set_tests_properties([=[${suite}.*]=] PROPERTIES LABELS ${LABEL} COST ${cost} TIMEOUT 1500"
      " WORKING_DIRECTORY [=[${dir}]=])\n")
  endif()
endforeach()
file(WRITE "${OUTPUT}" "${tests}")
