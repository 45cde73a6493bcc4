#include "server/server.h"

#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "admin/admin_server.h"
#include "base/logging.h"
#include "base/metrics.h"
#include "base/status.h"
#include "net/http_server.h"
#include "pipeline/pipeline.h"
#include "query/http/query_api.h"
#include "query/query_service.h"
#include "receivers/jaeger_grpc/jaeger_grpc_receiver.h"
#include "receivers/jaeger_thrift/jaeger_thrift_receiver.h"
#include "receivers/otlp/otlp_receiver.h"
#include "receivers/receiver.h"
#include "receivers/zipkin/zipkin_receiver.h"
#include "server/ports.h"
#include "storage/memory/memory_storage.h"
#include "storage/storage.h"

namespace skua::server {
namespace {

std::string Port(int port) { return absl::StrCat(":", port); }

}  // namespace

void DefineAllInOneFlags(config::FlagSet& f) {
  f.Define("span-storage.type", "memory",
           "Storage backend (env SPAN_STORAGE_TYPE as in Jaeger). Available: memory.");
  f.Define("memory.max-traces", "100000",
           "Most traces the memory store keeps; the oldest whole trace is evicted first. 0 = no "
           "count limit (the byte budget still applies).");
  f.Define("memory.max-bytes", "1GiB",
           "Memory budget of the memory store (spans and indexes); oldest traces evicted first.");
  f.Define("collector.otlp.enabled", "true", "Enable the OTLP receivers.");
  f.Define("collector.otlp.grpc.host-port", Port(kOtlpGrpcPort), "OTLP gRPC listen address.");
  f.Define("collector.otlp.http.host-port", Port(kOtlpHttpPort), "OTLP HTTP listen address.");
  f.Define("collector.otlp.grpc.max-message-size", "4194304",
           "Largest OTLP request accepted (gRPC message or HTTP body, after decompression), bytes.");
  f.Define("collector.grpc-server.host-port", Port(kJaegerGrpcPort),
           "Jaeger gRPC (api_v2 CollectorService/PostSpans) listen address; empty disables.");
  f.Define("collector.grpc-server.max-message-size", "4194304",
           "Largest Jaeger gRPC request accepted (after decompression), bytes.");
  f.Define("collector.http-server.host-port", Port(kJaegerThriftHttpPort),
           "Jaeger Thrift over HTTP (POST /api/traces) listen address; empty disables.");
  f.Define("processor.jaeger-compact.server-host-port", Port(kAgentCompactUdpPort),
           "Jaeger agent UDP address for compact Thrift emitBatch (binary also accepted); empty "
           "disables.");
  f.Define("processor.jaeger-binary.server-host-port", Port(kAgentBinaryUdpPort),
           "Jaeger agent UDP address for binary Thrift emitBatch (compact also accepted); empty "
           "disables.");
  f.Define("processor.jaeger-compact.server-max-packet-size", "65000",
           "Largest datagram accepted on the compact agent port, bytes.");
  f.Define("processor.jaeger-binary.server-max-packet-size", "65000",
           "Largest datagram accepted on the binary agent port, bytes.");
  f.Define("processor.jaeger-compact.server-socket-buffer-size", "0",
           "SO_RCVBUF of the compact agent UDP socket, bytes; 0 = OS default.");
  f.Define("processor.jaeger-binary.server-socket-buffer-size", "0",
           "SO_RCVBUF of the binary agent UDP socket, bytes; 0 = OS default.");
  f.Define("collector.zipkin.host-port", Port(kZipkinPort),
           "Zipkin HTTP (POST /api/v1/spans, /api/v2/spans) listen address; empty disables. On by "
           "default, unlike Jaeger.");
  f.Define("collector.queue-size", "100000",
           "Spans the ingest queue holds; when full, clients get 429 / RESOURCE_EXHAUSTED and retry.");
  f.Define("collector.queue-size-memory", "256",
           "Memory the ingest queue may hold, MiB; when full, clients are refused as above.");
  f.Define("collector.num-workers", "2", "Storage writer threads.");
  f.Define("query.http-server.host-port", Port(kQueryHttpPort), "Query HTTP (API and UI) address.");
  f.Define("query.base-path", "/", "Path prefix of the query HTTP server, e.g. /jaeger.");
  f.Define("query.max-clock-skew-adjustment", "0s",
           "Largest clock-skew correction applied to traces; 0 disables the adjustment.");
  f.Define("admin.http.host-port", Port(kCollectorAdminPort),
           "Admin address: health (/), Prometheus metrics (/metrics), /version.");
  f.Define("log-level", "info", "Minimal log level: debug, info, warn, error.");
  // Environment names of older Jaeger releases, still found in deployment files.
  f.AddEnvAlias("collector.grpc-server.host-port", "COLLECTOR_GRPC_HOST_PORT");
  f.AddEnvAlias("collector.http-server.host-port", "COLLECTOR_HTTP_HOST_PORT");
}

namespace {

class AllInOneImpl : public AllInOne {
 public:
  struct Config {
    std::string storage_type;
    storage::memory::MemoryOptions memory;
    bool otlp_enabled = true;
    receivers::otlp::OtlpReceiverOptions otlp;
    receivers::zipkin::ZipkinReceiverOptions zipkin;
    receivers::jaeger_grpc::JaegerGrpcReceiverOptions jaeger_grpc;
    receivers::jaeger_thrift::JaegerThriftReceiverOptions jaeger_thrift;
    pipeline::PipelineOptions pipeline;
    std::string query_host_port;
    query::http::QueryApiOptions query_api;
    query::QueryServiceOptions query;
    std::string admin_host_port;
  };

  AllInOneImpl(Config config, VersionInfo version)
      : config_(std::move(config)), version_(std::move(version)) {}
  ~AllInOneImpl() override { Stop(); }

  absl::Status Start() override {
    admin::AdminServerOptions admin_options;
    admin_options.host_port = config_.admin_host_port;
    admin_ = std::make_unique<admin::AdminServer>(
        admin_options, health_, metrics_,
        admin::VersionInfo{version_.git_commit, version_.git_version, version_.build_date});
    SKUA_RETURN_IF_ERROR(admin_->Start());

    storage_ = storage::memory::NewMemoryStorage(config_.memory);
    pipeline_ = std::make_unique<pipeline::Pipeline>(config_.pipeline, storage_->writer(), metrics_);
    query_ = std::make_unique<query::QueryService>(*storage_, config_.query);

    net::HttpServerOptions query_http;
    query_http.host_port = config_.query_host_port;
    query_http.name = "query";
    query_http_ = net::NewHttpServer(
        query_http, query::http::NewQueryApiHandler(
                        *query_, config_.query_api,
                        [](const net::HttpRequest&, net::HttpResponse& res) {
                          res.status = 404;
                          res.content_type = "text/plain; charset=utf-8";
                          res.body = "404 page not found\n";
                        }));
    absl::Status s = query_http_->Start();
    if (!s.ok()) {
      Stop();
      return s;
    }

    if (config_.otlp_enabled) {
      receivers_.push_back(receivers::otlp::NewOtlpReceiver(config_.otlp, *pipeline_, metrics_));
    }
    if (!config_.jaeger_grpc.host_port.empty()) {
      receivers_.push_back(receivers::jaeger_grpc::NewJaegerGrpcReceiver(config_.jaeger_grpc,
                                                                         *pipeline_, metrics_));
    }
    if (!config_.jaeger_thrift.http_host_port.empty() ||
        !config_.jaeger_thrift.compact_host_port.empty() ||
        !config_.jaeger_thrift.binary_host_port.empty()) {
      receivers_.push_back(receivers::jaeger_thrift::NewJaegerThriftReceiver(
          config_.jaeger_thrift, *pipeline_, metrics_));
    }
    if (!config_.zipkin.host_port.empty()) {
      receivers_.push_back(
          receivers::zipkin::NewZipkinReceiver(config_.zipkin, *pipeline_, metrics_));
    }
    for (auto& receiver : receivers_) {
      s = receiver->Start();
      if (!s.ok()) {
        Stop();
        return s;
      }
    }
    health_.SetReady();
    started_ = true;
    return absl::OkStatus();
  }

  void Stop() override {
    if (stopped_) return;
    stopped_ = true;
    health_.SetUnavailable();
    for (auto& receiver : receivers_) receiver->Stop();
    if (pipeline_) pipeline_->Stop();
    if (query_http_) query_http_->Stop();
    if (storage_) IgnoreError(storage_->Close(), "shutting down; nothing left to do with errors");
    if (admin_) admin_->Stop();
  }

  std::string Describe() const override {
    std::string out = absl::StrCat("storage: ", config_.storage_type);
    for (const auto& receiver : receivers_) absl::StrAppend(&out, "; ", receiver->Describe());
    if (query_http_) {
      absl::StrAppend(&out, "; query :", query_http_->port(), "; admin ", config_.admin_host_port,
                      "\nJaeger query API at http://localhost:", query_http_->port(),
                      config_.query_api.base_path == "/" ? "" : config_.query_api.base_path,
                      "/api/services");
    }
    return out;
  }

 private:
  Config config_;
  VersionInfo version_;
  Metrics metrics_;
  admin::HealthState health_;
  std::unique_ptr<admin::AdminServer> admin_;
  std::unique_ptr<storage::Storage> storage_;
  std::unique_ptr<pipeline::Pipeline> pipeline_;
  std::unique_ptr<query::QueryService> query_;
  std::unique_ptr<net::HttpServer> query_http_;
  std::vector<std::unique_ptr<receivers::Receiver>> receivers_;
  bool started_ = false;
  bool stopped_ = false;
};

}  // namespace

absl::StatusOr<std::unique_ptr<AllInOne>> NewAllInOne(const config::FlagSet& f,
                                                      VersionInfo version) {
  AllInOneImpl::Config c;
  c.storage_type = f.GetString("span-storage.type");
  if (c.storage_type != "memory") {
    return absl::InvalidArgumentError(absl::StrCat(
        "unsupported span storage type '", c.storage_type, "' (SPAN_STORAGE_TYPE); available: memory"));
  }
  SKUA_ASSIGN_OR_RETURN(int64_t max_traces, f.GetInt("memory.max-traces"));
  if (max_traces < 0) return absl::InvalidArgumentError("--memory.max-traces must not be negative");
  c.memory.max_traces = static_cast<size_t>(max_traces);
  SKUA_ASSIGN_OR_RETURN(c.memory.max_bytes, f.GetBytes("memory.max-bytes"));
  SKUA_RETURN_IF_ERROR(c.memory.Validate());

  SKUA_ASSIGN_OR_RETURN(c.otlp_enabled, f.GetBool("collector.otlp.enabled"));
  c.otlp.grpc_host_port = f.GetString("collector.otlp.grpc.host-port");
  c.otlp.http_host_port = f.GetString("collector.otlp.http.host-port");
  SKUA_ASSIGN_OR_RETURN(int64_t max_message, f.GetInt("collector.otlp.grpc.max-message-size"));
  if (max_message <= 0 || max_message > (1 << 30)) {
    return absl::InvalidArgumentError(
        "--collector.otlp.grpc.max-message-size must be between 1 and 1073741824 bytes");
  }
  c.otlp.max_message_bytes = static_cast<size_t>(max_message);

  c.jaeger_grpc.host_port = f.GetString("collector.grpc-server.host-port");
  SKUA_ASSIGN_OR_RETURN(int64_t jaeger_grpc_max,
                        f.GetInt("collector.grpc-server.max-message-size"));
  if (jaeger_grpc_max <= 0 || jaeger_grpc_max > (1 << 30)) {
    return absl::InvalidArgumentError(
        "--collector.grpc-server.max-message-size must be between 1 and 1073741824 bytes");
  }
  c.jaeger_grpc.max_message_bytes = static_cast<size_t>(jaeger_grpc_max);

  c.jaeger_thrift.http_host_port = f.GetString("collector.http-server.host-port");
  c.jaeger_thrift.compact_host_port = f.GetString("processor.jaeger-compact.server-host-port");
  c.jaeger_thrift.binary_host_port = f.GetString("processor.jaeger-binary.server-host-port");
  for (auto [flag, out] : {std::pair{"processor.jaeger-compact.server-max-packet-size",
                                     &c.jaeger_thrift.compact_max_packet_bytes},
                           std::pair{"processor.jaeger-binary.server-max-packet-size",
                                     &c.jaeger_thrift.binary_max_packet_bytes}}) {
    SKUA_ASSIGN_OR_RETURN(int64_t v, f.GetInt(flag));
    if (v <= 0 || v > 65535) {
      return absl::InvalidArgumentError(absl::StrCat("--", flag, " must be between 1 and 65535"));
    }
    *out = static_cast<size_t>(v);
  }
  for (auto [flag, out] : {std::pair{"processor.jaeger-compact.server-socket-buffer-size",
                                     &c.jaeger_thrift.compact_socket_buffer_bytes},
                           std::pair{"processor.jaeger-binary.server-socket-buffer-size",
                                     &c.jaeger_thrift.binary_socket_buffer_bytes}}) {
    SKUA_ASSIGN_OR_RETURN(int64_t v, f.GetInt(flag));
    if (v < 0 || v > (1 << 30)) {
      return absl::InvalidArgumentError(absl::StrCat("--", flag, " must be between 0 and 2^30"));
    }
    *out = static_cast<int>(v);
  }
  SKUA_RETURN_IF_ERROR(c.jaeger_thrift.Validate());

  c.zipkin.host_port = f.GetString("collector.zipkin.host-port");

  SKUA_ASSIGN_OR_RETURN(int64_t queue_size, f.GetInt("collector.queue-size"));
  SKUA_ASSIGN_OR_RETURN(int64_t queue_mib, f.GetInt("collector.queue-size-memory"));
  SKUA_ASSIGN_OR_RETURN(int64_t workers, f.GetInt("collector.num-workers"));
  if (queue_size <= 0 || queue_mib <= 0 || workers <= 0 || workers > 256) {
    return absl::InvalidArgumentError(
        "--collector.queue-size, --collector.queue-size-memory and --collector.num-workers must be "
        "positive (workers at most 256)");
  }
  c.pipeline.max_queued_spans = static_cast<size_t>(queue_size);
  c.pipeline.max_queued_bytes = static_cast<size_t>(queue_mib) << 20;
  c.pipeline.workers = static_cast<int>(workers);
  SKUA_RETURN_IF_ERROR(c.pipeline.Validate());

  c.query_host_port = f.GetString("query.http-server.host-port");
  std::string base = f.GetString("query.base-path");
  if (base.empty() || base[0] != '/') {
    return absl::InvalidArgumentError("--query.base-path must start with '/'");
  }
  while (base.size() > 1 && base.back() == '/') base.pop_back();
  c.query_api.base_path = base;
  SKUA_ASSIGN_OR_RETURN(int64_t skew, f.GetDurationNanos("query.max-clock-skew-adjustment"));
  if (skew < 0) return absl::InvalidArgumentError("--query.max-clock-skew-adjustment must not be negative");
  c.query.adjusters.max_clock_skew_adjustment_us = static_cast<uint64_t>(skew / 1000);
  c.admin_host_port = f.GetString("admin.http.host-port");
  for (const std::string* hp : {&c.otlp.grpc_host_port, &c.otlp.http_host_port, &c.query_host_port,
                                &c.admin_host_port, &c.jaeger_grpc.host_port,
                                &c.zipkin.host_port}) {
    if (!hp->empty()) SKUA_RETURN_IF_ERROR(net::ParseHostPort(*hp).status());
  }
  return std::make_unique<AllInOneImpl>(std::move(c), std::move(version));
}

}  // namespace skua::server
