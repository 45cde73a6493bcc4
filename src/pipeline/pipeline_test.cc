#include "pipeline/pipeline.h"

#include <atomic>
#include <vector>

#include "absl/synchronization/notification.h"
#include "gtest/gtest.h"

namespace skua::pipeline {
namespace {

// A writer whose writes block until released, recording what it stored. A test double of the
// SpanWriter interface; the real backends are exercised by the storage conformance suite.
class GatedWriter : public storage::SpanWriter {
 public:
  absl::Status WriteSpans(std::string_view tenant, const model::SpanSet& batch) override {
    gate_.WaitForNotification();
    absl::MutexLock lock(&mu_);
    if (!fail_with_.ok()) return fail_with_;
    stored_spans_ += batch.size();
    tenants_.emplace_back(tenant);
    return absl::OkStatus();
  }
  void Open() { gate_.Notify(); }
  void FailWith(absl::Status s) {
    absl::MutexLock lock(&mu_);
    fail_with_ = std::move(s);
  }
  size_t stored_spans() {
    absl::MutexLock lock(&mu_);
    return stored_spans_;
  }

 private:
  absl::Notification gate_;
  absl::Mutex mu_;
  absl::Status fail_with_ ABSL_GUARDED_BY(mu_);
  size_t stored_spans_ ABSL_GUARDED_BY(mu_) = 0;
  std::vector<std::string> tenants_ ABSL_GUARDED_BY(mu_);
};

model::SpanSet MakeBatch(size_t n, std::string_view service) {
  model::SpanSet set;
  model::KeyValue* attrs = set.arena().AllocateArray<model::KeyValue>(1);
  attrs[0] = {set.arena().CopyString("service.name"),
              model::AnyValue::String(set.arena().CopyString(service))};
  const model::Resource* resource = model::MakeResource(set.arena(), {attrs, 1});
  for (size_t i = 0; i < n; ++i) {
    model::Span span;
    span.trace_id = {1, i + 1};
    span.span_id = {i + 1};
    span.resource = resource;
    set.spans().push_back(span);
  }
  return set;
}

const IngestContext kContext{storage::kDefaultTenant, Transport::kHttp, Format::kOtlp};

TEST(PipelineTest, AcknowledgesOnlyAfterStorageWrote) {
  GatedWriter writer;
  Metrics metrics;
  Pipeline pipeline(PipelineOptions{}, writer, metrics);
  absl::Notification done;
  absl::Status result = absl::UnknownError("not called");
  pipeline.Consume(kContext, MakeBatch(3, "svc"), [&](absl::Status s) {
    result = s;
    done.Notify();
  });
  EXPECT_FALSE(done.HasBeenNotified());  // the writer is still blocked
  writer.Open();
  done.WaitForNotification();
  EXPECT_TRUE(result.ok()) << result;
  EXPECT_EQ(writer.stored_spans(), 3u);
  EXPECT_EQ(metrics.CounterValue("skua_spans_stored_total", {{"service", "svc"}, {"transport", "http"}}),
            3u);
  EXPECT_EQ(
      metrics.CounterValue("skua_spans_accepted_total", {{"service", "svc"}, {"transport", "http"}}),
      3u);
  EXPECT_EQ(metrics.CounterValue("skua_spans_received_total",
                                 {{"service", "svc"}, {"transport", "http"}, {"format", "otlp"}}),
            3u);
}

// Jaeger drops silently on a full queue (jaeger-compat §1.8); skua refuses so clients retry.
TEST(PipelineTest, RefusesWithResourceExhaustedWhenFull) {
  GatedWriter writer;
  Metrics metrics;
  PipelineOptions options;
  options.max_queued_spans = 10;
  options.workers = 1;
  Pipeline pipeline(options, writer, metrics);
  std::atomic<int> ok{0};
  std::vector<absl::Status> refusals;
  absl::Mutex mu;
  // The single worker takes the first batch and blocks in the writer; the queue then fills.
  for (int i = 0; i < 6; ++i) {
    pipeline.Consume(kContext, MakeBatch(4, "svc"), [&](absl::Status s) {
      if (s.ok()) {
        ok++;
      } else {
        absl::MutexLock lock(&mu);
        refusals.push_back(s);
      }
    });
  }
  {
    absl::MutexLock lock(&mu);
    ASSERT_FALSE(refusals.empty());
    for (const absl::Status& s : refusals) EXPECT_TRUE(absl::IsResourceExhausted(s)) << s;
  }
  size_t refused = metrics.CounterValue(
      "skua_spans_refused_total", {{"service", "svc"}, {"transport", "http"}, {"reason", "queue_full"}});
  EXPECT_EQ(refused, refusals.size() * 4);
  writer.Open();
  pipeline.Stop();
  EXPECT_EQ(ok.load() + static_cast<int>(refusals.size()), 6);
  EXPECT_EQ(writer.stored_spans(), static_cast<size_t>(ok.load()) * 4);
}

TEST(PipelineTest, StopDrainsAcceptedBatchesThenRefuses) {
  GatedWriter writer;
  Metrics metrics;
  Pipeline pipeline(PipelineOptions{}, writer, metrics);
  std::atomic<int> acknowledged{0};
  for (int i = 0; i < 5; ++i) {
    pipeline.Consume(kContext, MakeBatch(2, "svc"), [&](absl::Status s) {
      if (s.ok()) acknowledged++;
    });
  }
  writer.Open();
  pipeline.Stop();
  EXPECT_EQ(acknowledged.load(), 5);
  EXPECT_EQ(writer.stored_spans(), 10u);
  absl::Status after = pipeline.ConsumeAndWait(kContext, MakeBatch(1, "svc"));
  EXPECT_TRUE(absl::IsUnavailable(after)) << after;
}

TEST(PipelineTest, StorageFailureIsRetryableForClients) {
  GatedWriter writer;
  writer.FailWith(absl::InternalError("disk on fire"));
  writer.Open();
  Metrics metrics;
  Pipeline pipeline(PipelineOptions{}, writer, metrics);
  absl::Status s = pipeline.ConsumeAndWait(kContext, MakeBatch(2, "svc"));
  EXPECT_TRUE(absl::IsUnavailable(s)) << s;
  EXPECT_EQ(metrics.CounterSum("skua_spans_write_failed_total"), 2u);
  EXPECT_EQ(metrics.CounterSum("skua_spans_stored_total"), 0u);
}

TEST(PipelineTest, EmptyBatchIsAcknowledged) {
  GatedWriter writer;
  Metrics metrics;
  Pipeline pipeline(PipelineOptions{}, writer, metrics);
  EXPECT_TRUE(pipeline.ConsumeAndWait(kContext, model::SpanSet()).ok());
}

TEST(PipelineOptionsTest, Validate) {
  PipelineOptions o;
  EXPECT_TRUE(o.Validate().ok());
  o.max_queued_spans = 0;
  EXPECT_FALSE(o.Validate().ok());
}

}  // namespace
}  // namespace skua::pipeline

namespace skua::pipeline {
namespace {

// jaeger-compat §1.8: the sanitizers run on every batch, whatever the protocol, and are counted.
TEST(PipelineTest, SanitizesBatchesBeforeStoring) {
  GatedWriter writer;
  writer.Open();
  Metrics metrics;
  Pipeline pipeline(PipelineOptions{}, writer, metrics);
  ASSERT_TRUE(pipeline.ConsumeAndWait(kContext, MakeBatch(2, "")).ok());
  EXPECT_EQ(metrics.CounterValue("skua_spans_sanitized_total", {{"kind", "service_name"}}), 2u);
  EXPECT_EQ(metrics.CounterValue("skua_spans_stored_total",
                                 {{"service", "empty-service-name"}, {"transport", "http"}}),
            2u);
}

}  // namespace
}  // namespace skua::pipeline
