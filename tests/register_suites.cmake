# Registers the GoogleTest suites of a test binary with CTest (run after it is linked): BINARY,
# LABEL, EXCLUDE (a gtest negative filter, may be empty) and OUTPUT (the CTest file that
# tests/CMakeLists.txt includes). scripts/test.sh's builds use it.
#
# Starting a test process costs: 0.05 s of CPU in Release, 0.16 s under TSan, 0.49 s under ASan
# (it maps and registers hundreds of MB), while most unit and stress suites need under a second.
# So the integration suites, which start servers and programs and take seconds, get a process
# each, and the unit and stress suites one per group of `suites_per_group`, each group named by
# its label, its number and its first and last suite.
set(suites_per_group 8)
execute_process(COMMAND "${BINARY}" --gtest_list_tests OUTPUT_VARIABLE listing RESULT_VARIABLE status)
if(NOT status EQUAL 0)
  message(FATAL_ERROR "${BINARY} --gtest_list_tests failed (${status})")
endif()
# CTest starts the costliest tests first when it runs several at once, and until it has timed them
# (in a fresh clone) it takes this cost: the integration suites, which take seconds each, start
# first instead of last, where the longest (20-30 s) made the tail of every run.
if(LABEL STREQUAL "integration")
  set(cost 10)
  set(suites_per_group 1)
elseif(LABEL STREQUAL "stress")
  set(cost 3)
else()
  set(cost 1)
endif()
string(REPLACE "\n" ";" lines "${listing}")
set(suites "")
foreach(line IN LISTS lines)
  # Suite lines start in column 0 and end with a dot (a "# TypeParam" comment may follow).
  if(line MATCHES "^([A-Za-z_][A-Za-z0-9_/]*)\\.")
    list(APPEND suites "${CMAKE_MATCH_1}")
  endif()
endforeach()
# A suite excluded whole ("Suite.*" in EXCLUDE) is not registered at all, rather than registered
# to run nothing.
string(REPLACE ":" ";" excluded "${EXCLUDE}")
foreach(pattern IN LISTS excluded)
  if(pattern MATCHES "^([A-Za-z_][A-Za-z0-9_/]*)\\.\\*$")
    list(REMOVE_ITEM suites "${CMAKE_MATCH_1}")
  endif()
endforeach()
get_filename_component(dir "${BINARY}" DIRECTORY)
list(LENGTH suites count)
math(EXPR groups "(${count} + ${suites_per_group} - 1) / ${suites_per_group}")
set(tests "")
set(group 0)
while(group LESS groups)
  math(EXPR first "${group} * ${suites_per_group}")
  list(SUBLIST suites ${first} ${suites_per_group} members)
  list(GET members 0 first_suite)
  list(GET members -1 last_suite)
  list(TRANSFORM members APPEND ".*")
  list(JOIN members ":" filter)
  if(suites_per_group EQUAL 1)
    set(name "${first_suite}.*")
  else()
    math(EXPR number "${group} + 1")
    set(name "${LABEL} ${number}/${groups}: ${first_suite}.* .. ${last_suite}.*")
  endif()
  if(NOT EXCLUDE STREQUAL "")
    string(APPEND filter ":-${EXCLUDE}")
  endif()
  string(APPEND tests
    "add_test([=[${name}]=] [=[${BINARY}]=] [=[--gtest_filter=${filter}]=])\n"
    "set_tests_properties([=[${name}]=] PROPERTIES LABELS ${LABEL} COST ${cost} TIMEOUT 1500"
    " WORKING_DIRECTORY [=[${dir}]=])\n")
  math(EXPR group "${group} + 1")
endwhile()
file(WRITE "${OUTPUT}" "${tests}")
