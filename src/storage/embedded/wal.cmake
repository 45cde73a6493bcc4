# The write-ahead log (wal.h; format in docs/storage/embedded-wal.md).
skua_cc_library(NAME storage_embedded_wal
  SRCS wal.cc
  DEPS skua::base absl::status absl::statusor absl::strings absl::synchronization absl::time)
skua_cc_test(NAME storage_embedded_wal_test
  SRCS wal_test.cc
  DEPS skua::storage_embedded_wal skua::base absl::strings absl::synchronization)
skua_cc_fuzzer(NAME wal_replay_fuzzer
  SRCS wal_replay_fuzzer.cc
  DEPS skua::storage_embedded_wal skua::base
  CORPUS ${CMAKE_CURRENT_SOURCE_DIR}/testdata/wal_corpus)
