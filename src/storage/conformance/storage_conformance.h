// The storage conformance suite: the behaviour every backend must show (jaeger-compat §3.1–§3.3,
// §3.8), written once. A backend adds one small test file that links skua_storage_conformance and
// instantiates the suite with its factory:
//
//   using conformance::StorageConformance;  // the suite name must be unqualified
//   INSTANTIATE_TEST_SUITE_P(Memory, StorageConformance,
//                            testing::Values(conformance::Backend{"memory", &MakeMemory}),
//                            conformance::BackendName);
//
// Each test case gets a fresh storage from the factory, closes it at the end and then calls the
// backend's cleanup (e.g. to drop a database). Capabilities the backend does not declare turn the
// corresponding checks off (search_without_service, find_trace_ids, dependencies,
// operation_span_kinds), so the suite never asks for more than a backend promises.
#pragma once

#include <functional>
#include <memory>
#include <ostream>
#include <string>

#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "storage/storage.h"

namespace skua::storage::conformance {

struct Backend {
  // Test-name suffix; letters, digits and '_' only.
  std::string name;
  // Returns a new, empty storage. Called once per test case.
  std::function<std::unique_ptr<Storage>()> make;
  // Called after each test case, once the storage is closed and destroyed. May be empty.
  std::function<void()> cleanup;
  // How long written spans may take to become visible to reads; reads are retried until then.
  // Zero (the default) means reads must see a write as soon as WriteSpans returned OK.
  absl::Duration visibility_timeout = absl::ZeroDuration();
};

// Prints the backend's name in test output (instead of GoogleTest's byte dump).
void PrintTo(const Backend& backend, std::ostream* os);

// For INSTANTIATE_TEST_SUITE_P's name generator.
std::string BackendName(const testing::TestParamInfo<Backend>& info);

class StorageConformance : public testing::TestWithParam<Backend> {
 protected:
  void SetUp() override;
  void TearDown() override;

  // Retries `check` until it returns true or the backend's visibility timeout passes; returns
  // the last result.
  bool Eventually(const std::function<bool()>& check);

  std::unique_ptr<Storage> storage_;
};

}  // namespace skua::storage::conformance
