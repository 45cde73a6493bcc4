#include "pipeline/pipeline.h"

#include <algorithm>
#include <utility>

#include "absl/synchronization/notification.h"
#include "base/logging.h"
#include "model/convert/sanitize.h"

namespace skua::pipeline {

std::string_view TransportName(Transport t) {
  switch (t) {
    case Transport::kGrpc: return "grpc";
    case Transport::kHttp: return "http";
    case Transport::kUdp: return "udp";
    case Transport::kUnknown: return "unknown";
  }
  return "unknown";
}

std::string_view FormatName(Format f) {
  switch (f) {
    case Format::kOtlp: return "otlp";
    case Format::kJaeger: return "jaeger";
    case Format::kZipkin: return "zipkin";
    case Format::kProto: return "proto";
    case Format::kUnknown: return "unknown";
  }
  return "unknown";
}

absl::Status SpanConsumer::ConsumeAndWait(const IngestContext& context, model::SpanSet batch) {
  absl::Notification done;
  absl::Status result;
  Consume(context, std::move(batch), [&](absl::Status s) {
    result = std::move(s);
    done.Notify();
  });
  done.WaitForNotification();
  return result;
}

absl::Status PipelineOptions::Validate() const {
  if (max_queued_spans == 0) return absl::InvalidArgumentError("queue size must be greater than 0");
  if (max_queued_bytes == 0) return absl::InvalidArgumentError("queue memory must be greater than 0");
  if (max_write_spans == 0) return absl::InvalidArgumentError("write batch size must be greater than 0");
  if (workers <= 0) return absl::InvalidArgumentError("number of workers must be greater than 0");
  return absl::OkStatus();
}

namespace {
constexpr std::string_view kReceivedMetric = "skua_spans_received_total";
constexpr std::string_view kReceivedHelp = "Spans decoded by the receivers, by service, transport and format.";
constexpr std::string_view kAcceptedMetric = "skua_spans_accepted_total";
constexpr std::string_view kAcceptedHelp = "Spans accepted into the ingest queue, by service and transport.";
constexpr std::string_view kRefusedMetric = "skua_spans_refused_total";
constexpr std::string_view kRefusedHelp = "Spans refused with a retryable error, by service, transport and reason (queue_full, shutting_down).";
constexpr std::string_view kStoredMetric = "skua_spans_stored_total";
constexpr std::string_view kStoredHelp = "Spans written to storage and acknowledged, by service and transport.";
constexpr std::string_view kFailedMetric = "skua_spans_write_failed_total";
constexpr std::string_view kFailedHelp = "Spans whose storage write failed (the client was told to retry), by service and transport.";
}  // namespace

Pipeline::Pipeline(PipelineOptions options, storage::SpanWriter& writer, Metrics& metrics)
    : options_(std::move(options)),
      writer_(writer),
      metrics_(metrics),
      queue_length_(metrics.GetGauge("skua_queue_spans", "Spans waiting in the ingest queue.")),
      queue_bytes_(metrics.GetGauge("skua_queue_bytes", "Bytes of decoded spans waiting in the ingest queue.")) {
  metrics.GetGauge("skua_queue_capacity_spans", "Capacity of the ingest queue, in spans.")
      .Set(static_cast<double>(options_.max_queued_spans));
  for (int i = 0; i < options_.workers; ++i) workers_.emplace_back([this] { WorkerLoop(); });
}

Pipeline::~Pipeline() { Stop(); }

std::string Pipeline::ServiceLabel(std::string_view service) {
  absl::MutexLock lock(&label_mu_);
  for (const std::string& s : known_services_) {
    if (s == service) return s;
  }
  if (known_services_.size() >= options_.max_service_labels) return "other";
  known_services_.emplace_back(service);
  return known_services_.back();
}

void Pipeline::CountByService(const model::SpanSet& batch, std::string_view metric,
                              std::string_view help, const MetricLabels& extra) {
  // Spans of one resource are contiguous in decoded batches; count runs of equal service names.
  const auto& spans = batch.spans();
  size_t i = 0;
  while (i < spans.size()) {
    std::string_view service = spans[i].service_name();
    size_t j = i + 1;
    while (j < spans.size() && spans[j].service_name() == service) ++j;
    MetricLabels labels{{"service", ServiceLabel(service)}};
    labels.insert(labels.end(), extra.begin(), extra.end());
    metrics_.GetCounter(metric, help, labels).Add(j - i);
    i = j;
  }
}

void Pipeline::CountSanitized(const model::convert::SanitizeStats& fixed) {
  constexpr std::string_view kName = "skua_spans_sanitized_total";
  constexpr std::string_view kHelp =
      "Repairs made by the ingest sanitizers, by kind (jaeger-compat §1.8).";
  if (fixed.repaired_strings) metrics_.GetCounter(kName, kHelp, {{"kind", "invalid_utf8"}}).Add(fixed.repaired_strings);
  if (fixed.renamed_services) metrics_.GetCounter(kName, kHelp, {{"kind", "service_name"}}).Add(fixed.renamed_services);
  if (fixed.renamed_spans) metrics_.GetCounter(kName, kHelp, {{"kind", "span_name"}}).Add(fixed.renamed_spans);
  if (fixed.fixed_durations) metrics_.GetCounter(kName, kHelp, {{"kind", "negative_duration"}}).Add(fixed.fixed_durations);
}

void Pipeline::Consume(const IngestContext& context, model::SpanSet batch, ConsumeDone done) {
  const size_t spans = batch.size();
  // One place for the always-on sanitizers (jaeger-compat §1.8), whatever the protocol.
  const model::convert::SanitizeStats fixed = model::convert::SanitizeSpans(batch);
  CountSanitized(fixed);
  const MetricLabels transport{{"transport", std::string(TransportName(context.transport))}};
  CountByService(batch, kReceivedMetric, kReceivedHelp,
                 {{"transport", std::string(TransportName(context.transport))},
                  {"format", std::string(FormatName(context.format))}});
  if (spans == 0) {
    done(absl::OkStatus());
    return;
  }
  const size_t bytes = batch.bytes_used();
  absl::Status refusal;
  {
    absl::MutexLock lock(&mu_);
    if (stopping_) {
      refusal = absl::UnavailableError("server is shutting down");
    } else if (!queue_.empty() && (queued_spans_ + spans > options_.max_queued_spans ||
                                   queued_bytes_ + bytes > options_.max_queued_bytes)) {
      // An empty queue always takes one batch, so a batch bigger than the bounds still gets
      // through (the receivers' message size limit bounds it).
      refusal = absl::ResourceExhaustedError("server busy: ingest queue is full, retry later");
    } else {
      queued_spans_ += spans;
      queued_bytes_ += bytes;
      CountByService(batch, kAcceptedMetric, kAcceptedHelp, transport);
      queue_.push_back(Item{std::string(context.tenant), context.transport, std::move(batch),
                            std::move(done), bytes});
      queue_length_.Set(static_cast<double>(queued_spans_));
      queue_bytes_.Set(static_cast<double>(queued_bytes_));
    }
  }
  if (!refusal.ok()) {
    MetricLabels labels = transport;
    labels.emplace_back("reason", absl::IsUnavailable(refusal) ? "shutting_down" : "queue_full");
    CountByService(batch, kRefusedMetric, kRefusedHelp, labels);
    done(std::move(refusal));
  }
}

void Pipeline::WorkerLoop() {
  std::vector<Item> items;
  std::vector<const model::SpanSet*> batches;
  while (true) {
    items.clear();
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(
          +[](Pipeline* p) ABSL_EXCLUSIVE_LOCKS_REQUIRED(p->mu_) {
            return !p->queue_.empty() || p->stopping_;
          },
          this));
      if (queue_.empty()) return;  // stopping and drained
      // Take consecutive items of the first item's tenant, up to max_write_spans.
      size_t spans = 0;
      const std::string tenant = queue_.front().tenant;
      while (!queue_.empty() && queue_.front().tenant == tenant &&
             (items.empty() || spans + queue_.front().batch.size() <= options_.max_write_spans)) {
        spans += queue_.front().batch.size();
        items.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    batches.clear();
    for (const Item& item : items) batches.push_back(&item.batch);
    absl::Status status = writer_.WriteSpanBatches(items.front().tenant, batches);
    if (!status.ok()) {
      SKUA_LOG(WARNING) << "storage write failed for " << items.size()
                        << " batches (clients will retry): " << status;
    }
    size_t spans = 0, bytes = 0;
    for (Item& item : items) {
      spans += item.batch.size();
      bytes += item.bytes;
      CountByService(item.batch, status.ok() ? kStoredMetric : kFailedMetric,
                     status.ok() ? kStoredHelp : kFailedHelp,
                     {{"transport", std::string(TransportName(item.transport))}});
    }
    {
      absl::MutexLock lock(&mu_);
      queued_spans_ -= spans;
      queued_bytes_ -= bytes;
      queue_length_.Set(static_cast<double>(queued_spans_));
      queue_bytes_.Set(static_cast<double>(queued_bytes_));
    }
    // Answer the clients last, after the queue accounting, so an acknowledged client that sends
    // again immediately sees the freed capacity.
    for (Item& item : items) {
      // A write failure is retryable for the client: storage said no, nothing is acknowledged.
      item.done(status.ok() ? absl::OkStatus()
                            : (absl::IsResourceExhausted(status) || absl::IsUnavailable(status)
                                   ? status
                                   : absl::UnavailableError(status.message())));
    }
  }
}

void Pipeline::Stop() {
  std::call_once(stop_once_, [this] {
    {
      absl::MutexLock lock(&mu_);
      stopping_ = true;
    }
    for (std::thread& t : workers_) t.join();
  });
}

size_t Pipeline::queued_spans() const {
  absl::MutexLock lock(&mu_);
  return queued_spans_;
}

}  // namespace skua::pipeline
