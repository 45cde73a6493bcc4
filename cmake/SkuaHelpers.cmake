# skua_cc_library / skua_cc_test / skua_cc_binary: one target per module with declared deps.
set(SKUA_WARNINGS -Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers)

if(SKUA_WITH_SANITIZERS)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
endif()

if(SKUA_WITH_FUZZERS)
  # Every library is instrumented for coverage so the fuzz targets can explore it.
  add_compile_options(-fsanitize=fuzzer-no-link,address,undefined)
  add_link_options(-fsanitize=address,undefined)
endif()

function(skua_cc_library)
  cmake_parse_arguments(A "" "NAME" "SRCS;DEPS;PUBLIC_DEPS" ${ARGN})
  add_library(skua_${A_NAME} STATIC ${A_SRCS})
  add_library(skua::${A_NAME} ALIAS skua_${A_NAME})
  target_include_directories(skua_${A_NAME} PUBLIC ${PROJECT_SOURCE_DIR}/src ${PROJECT_BINARY_DIR}/src)
  target_compile_options(skua_${A_NAME} PRIVATE ${SKUA_WARNINGS})
  target_link_libraries(skua_${A_NAME} PUBLIC ${A_DEPS} ${A_PUBLIC_DEPS})
endfunction()

# Unit tests live beside the code; each becomes one ctest entry per GoogleTest case.
function(skua_cc_test)
  if(NOT SKUA_WITH_TESTS)
    return()
  endif()
  cmake_parse_arguments(A "" "NAME" "SRCS;DEPS" ${ARGN})
  add_executable(skua_${A_NAME} ${A_SRCS})
  target_include_directories(skua_${A_NAME} PRIVATE ${PROJECT_SOURCE_DIR}/src ${PROJECT_BINARY_DIR}/src)
  target_compile_options(skua_${A_NAME} PRIVATE ${SKUA_WARNINGS})
  target_link_libraries(skua_${A_NAME} PRIVATE ${A_DEPS} GTest::gmock GTest::gtest_main)
  gtest_discover_tests(skua_${A_NAME} DISCOVERY_TIMEOUT 60
    PROPERTIES ENVIRONMENT "SKUA_SOURCE_DIR=${PROJECT_SOURCE_DIR};SKUA_SHARED_DIR=${PROJECT_SOURCE_DIR}/../shared")
endfunction()

# A libFuzzer target; also registered as a short bounded ctest run over its seed corpus.
function(skua_cc_fuzzer)
  if(NOT SKUA_WITH_FUZZERS)
    return()
  endif()
  cmake_parse_arguments(A "" "NAME;CORPUS" "SRCS;DEPS" ${ARGN})
  add_executable(skua_${A_NAME} ${A_SRCS})
  target_link_options(skua_${A_NAME} PRIVATE -fsanitize=fuzzer)
  target_link_libraries(skua_${A_NAME} PRIVATE ${A_DEPS})
  # New inputs go to a scratch corpus in the build tree; the committed seeds are only read.
  set(_scratch ${CMAKE_CURRENT_BINARY_DIR}/${A_NAME}_corpus)
  file(MAKE_DIRECTORY ${_scratch})
  add_test(NAME fuzz.${A_NAME}
    COMMAND skua_${A_NAME} -max_total_time=20 -rss_limit_mb=1024 -max_len=65536 ${_scratch} ${A_CORPUS})
endfunction()
