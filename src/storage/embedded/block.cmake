# Immutable block files (block.h; format in docs/storage/embedded-blocks.md).
if(NOT TARGET PkgConfig::ZSTD)
  find_package(PkgConfig REQUIRED)
  pkg_check_modules(ZSTD REQUIRED IMPORTED_TARGET libzstd)
endif()
skua_cc_library(NAME storage_embedded_block
  SRCS block.cc block_writer.cc block_codec.cc block_format.cc block_cache.cc
  DEPS skua::storage_api skua::storage_span_match skua::model skua::model_jaeger skua::base
       PkgConfig::ZSTD absl::flat_hash_map absl::flat_hash_set absl::synchronization
       absl::strings absl::status absl::statusor)
skua_cc_test(NAME storage_embedded_block_test
  SRCS block_test.cc block_format_test.cc block_cache_test.cc
  DEPS skua::storage_embedded_block skua::storage_memory skua::tracegen_workload skua::base
       absl::flat_hash_map absl::strings absl::synchronization)
skua_cc_fuzzer(NAME block_reader_fuzzer
  SRCS block_reader_fuzzer.cc
  DEPS skua::storage_embedded_block
  CORPUS ${CMAKE_CURRENT_SOURCE_DIR}/testdata/block_corpus)
