// The ingest pipeline: a bounded queue between receivers and storage. Receivers hand batches to
// Consume; worker threads take whatever is queued for one tenant (up to a batch limit) and write it
// with one SpanWriter::WriteSpanBatches call; each receiver learns the outcome of its own batch.
// Every batch first passes the always-on sanitizers (model/convert/sanitize.h).
// When the queue is full, Consume refuses at once with ResourceExhausted so clients retry: the
// pipeline never drops an accepted batch silently.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "base/metrics.h"
#include "model/convert/sanitize.h"
#include "pipeline/consumer.h"
#include "storage/storage.h"

namespace skua::pipeline {

struct PipelineOptions {
  // Most spans waiting in the queue; more → ResourceExhausted. Default 100'000. Restart required.
  size_t max_queued_spans = 100'000;
  // Most bytes (decoded batch memory) waiting in the queue. Default 256 MiB. Restart required.
  size_t max_queued_bytes = 256u << 20;
  // Most spans handed to storage in one WriteSpanBatches call. Default 16'384.
  size_t max_write_spans = 16'384;
  // Writer threads. Default 2.
  int workers = 2;
  // Distinct service label values on per-service counters; later services count as "other".
  size_t max_service_labels = 1'000;

  absl::Status Validate() const;
};

// Thread-safe. Stop() must be called before destruction (the destructor calls it if not).
class Pipeline : public SpanConsumer {
 public:
  Pipeline(PipelineOptions options, storage::SpanWriter& writer, Metrics& metrics);
  ~Pipeline() override;

  void Consume(const IngestContext& context, model::SpanSet batch, ConsumeDone done) override;

  // Refuses new batches (Unavailable), writes everything already accepted, joins the workers.
  // Idempotent.
  void Stop();

  size_t queued_spans() const;

 private:
  struct Item {
    std::string tenant;
    Transport transport;
    model::SpanSet batch;
    ConsumeDone done;
    size_t bytes = 0;
  };

  void WorkerLoop();
  // Adds the batch's span count per service to `metric`, labelled {service, extra…}.
  void CountByService(const model::SpanSet& batch, std::string_view metric, std::string_view help,
                      const MetricLabels& extra);
  std::string ServiceLabel(std::string_view service);
  void CountSanitized(const model::convert::SanitizeStats& fixed);

  const PipelineOptions options_;
  storage::SpanWriter& writer_;
  Metrics& metrics_;

  mutable absl::Mutex mu_;
  std::deque<Item> queue_ ABSL_GUARDED_BY(mu_);
  size_t queued_spans_ ABSL_GUARDED_BY(mu_) = 0;
  size_t queued_bytes_ ABSL_GUARDED_BY(mu_) = 0;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::thread> workers_;  // set in the constructor, joined once in Stop
  std::once_flag stop_once_;

  absl::Mutex label_mu_;
  std::vector<std::string> known_services_ ABSL_GUARDED_BY(label_mu_);

  Gauge& queue_length_;
  Gauge& queue_bytes_;
};

}  // namespace skua::pipeline
