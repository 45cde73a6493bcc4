# The store itself: head, log, blocks, MANIFEST, retention (embedded_storage.h). Defined once
# the log and block parts exist (they are written alongside).
if(NOT (TARGET skua_storage_embedded_wal AND TARGET skua_storage_embedded_block))
  return()
endif()
skua_cc_library(NAME storage_embedded
  SRCS embedded_storage.cc
  DEPS skua::storage_embedded_wal skua::storage_embedded_block skua::storage_memory
       skua::storage_span_match skua::storage_api skua::model skua::model_otlp skua::base
       absl::synchronization absl::btree absl::flat_hash_map absl::strings absl::time)
skua_cc_test(NAME storage_embedded_test
  SRCS embedded_storage_test.cc
  DEPS skua::storage_embedded skua::storage_memory skua::storage_conformance skua::model_otlp
       skua::tracegen_workload)
