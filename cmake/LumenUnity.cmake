# Unity builds: each library's sources and each test executable's files, sixteen at a time in
# name order, compiled as one translation unit. Most of a file's compile time is parsing the same
# headers (the standard library, fmt, gtest, lumen's own): eight library files of lumen_metrics cost
# 26 s of CPU as one unit under ASan against 49 s one by one, eight test files 17 s against 40 s;
# sixteen instead of eight cut the ASan build's batches from 322 to 268 s of CPU (docs/TESTING.md,
# "Time"). A clash between two files' names in anonymous namespaces then fails
# to compile: share the helper (a header beside them) or name it for what it is. A change to one
# file compiles its batch again; LUMEN_UNITY_BUILD=OFF compiles file by file. clang-tidy checks the
# same batches (scripts/tidy.sh): the headers' matching, most of its time, then runs once a batch.
include_guard(GLOBAL)
option(LUMEN_UNITY_BUILD "Compile the libraries' and tests' sources sixteen at a time (unity build)" ON)
set(LUMEN_UNITY_BATCH_SIZE 16)

# Sets `out` to what target `name` compiles from `sources`: with LUMEN_UNITY_BUILD its batches,
# written under the current binary directory, plus the sources themselves, listed for IDEs but
# compiled through the batches (the target needs PROJECT_SOURCE_DIR on its include path). The
# batches name each source relative to the source tree, where CMake 3.25's own unity builds write
# its absolute path: so ccache reuses their objects in another clone of the same commit (CI's).
function(lumen_unity_sources out name sources)
  if(NOT LUMEN_UNITY_BUILD)
    set(${out} ${sources} PARENT_SCOPE)
    return()
  endif()
  list(SORT sources)
  list(LENGTH sources total)
  set(batches "")
  set(content "")
  set(count 0)
  foreach(source IN LISTS sources)
    file(RELATIVE_PATH relative ${PROJECT_SOURCE_DIR} ${source})
    # clang-tidy checks the batches too (scripts/tidy.sh), where including a .cpp is the point.
    string(APPEND content "#include \"${relative}\"  // NOLINT(bugprone-suspicious-include)\n")
    math(EXPR count "${count} + 1")
    math(EXPR remainder "${count} % ${LUMEN_UNITY_BATCH_SIZE}")
    if(remainder EQUAL 0 OR count EQUAL total)
      math(EXPR index "(${count} - 1) / ${LUMEN_UNITY_BATCH_SIZE}")
      set(batch ${CMAKE_CURRENT_BINARY_DIR}/${name}_unity/batch_${index}.cpp)
      file(CONFIGURE OUTPUT ${batch} CONTENT "${content}" @ONLY)  # rewritten only when changed
      list(APPEND batches ${batch})
      set(content "")
    endif()
  endforeach()
  set_source_files_properties(${sources} PROPERTIES HEADER_FILE_ONLY ON)
  set(${out} ${batches} ${sources} PARENT_SCOPE)
endfunction()

# What a target built from unity batches compiles with. In a batch the files are included, so g++
# takes their anonymous-namespace types for a header's and warns when one is a member of a type
# with linkage (an Impl's field, a coroutine's frame): each file is still its own main file in
# meaning, so the warning says nothing here.
function(lumen_unity_options target)
  if(LUMEN_UNITY_BUILD)
    target_compile_options(${target} PRIVATE $<$<CXX_COMPILER_ID:GNU>:-Wno-subobject-linkage>)
  endif()
endfunction()
