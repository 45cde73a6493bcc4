#include "server/server.h"

#include <stdlib.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
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
#include "server/clickhouse_flags.h"
#include "server/ports.h"
#include "storage/clickhouse/clickhouse_storage.h"
#include "storage/embedded/embedded_storage.h"
#include "storage/memory/memory_storage.h"
#include "storage/storage.h"
#include "tenancy/tenancy.h"
#include "ui/embedded_files.h"
#include "ui/ui_handler.h"

namespace skua::server {
namespace {

std::string Port(int port) { return absl::StrCat(":", port); }

absl::StatusOr<absl::Duration> GetDuration(const config::FlagSet& f, std::string_view name) {
  SKUA_ASSIGN_OR_RETURN(int64_t nanos, f.GetDurationNanos(name));
  return absl::Nanoseconds(nanos);
}

// The embedded store's options from the embedded.* flags; with SPAN_STORAGE_TYPE=badger also
// from Jaeger's badger.* settings that were given explicitly (an explicit embedded.* flag wins).
// Jaeger's Badger defaults to a temporary directory and unsynced writes; skua does neither unless
// asked explicitly (BADGER_EPHEMERAL=true, BADGER_CONSISTENCY / BADGER_SYNC_WRITES=false).
absl::Status ParseEmbeddedOptions(const config::FlagSet& f, bool badger,
                                  storage::embedded::EmbeddedOptions& o, bool& ephemeral,
                                  std::string& badger_note) {
  o.directory = f.GetString("embedded.directory");
  SKUA_ASSIGN_OR_RETURN(o.retention, GetDuration(f, "embedded.retention"));
  SKUA_ASSIGN_OR_RETURN(o.max_disk_bytes, f.GetBytes("embedded.max-disk-bytes"));
  SKUA_ASSIGN_OR_RETURN(o.head_max_bytes, f.GetBytes("embedded.head-max-bytes"));
  SKUA_ASSIGN_OR_RETURN(o.head_max_age, GetDuration(f, "embedded.head-max-age"));
  SKUA_ASSIGN_OR_RETURN(o.cache_bytes, f.GetBytes("embedded.cache-bytes"));
  SKUA_ASSIGN_OR_RETURN(o.sync_before_ack, f.GetBool("embedded.sync-before-ack"));
  SKUA_ASSIGN_OR_RETURN(o.group_commit_window, GetDuration(f, "embedded.group-commit-window"));
  SKUA_ASSIGN_OR_RETURN(o.maintenance_interval, GetDuration(f, "embedded.maintenance-interval"));
  ephemeral = false;
  if (!badger) return absl::OkStatus();

  std::vector<std::string> mapped;
  auto given = [&](std::string_view name) { return f.IsSet(name) && !f.GetString(name).empty(); };
  if (given("badger.ephemeral")) {
    SKUA_ASSIGN_OR_RETURN(ephemeral, f.GetBool("badger.ephemeral"));
    mapped.push_back(ephemeral ? "BADGER_EPHEMERAL=true -> a temporary directory removed at exit"
                               : "BADGER_EPHEMERAL=false -> keep the data (skua's default)");
  }
  const char* dir_flag = given("badger.directory-value") ? "badger.directory-value"
                         : given("badger.directory-key") ? "badger.directory-key"
                                                         : nullptr;
  if (dir_flag != nullptr) {
    std::string env = config::FlagSet::EnvName(dir_flag);
    if (ephemeral) {
      mapped.push_back(absl::StrCat(env, " ignored (ephemeral)"));
    } else if (f.IsSet("embedded.directory")) {
      mapped.push_back(absl::StrCat(env, " ignored (embedded.directory is set)"));
    } else {
      o.directory = f.GetString(dir_flag);
      mapped.push_back(absl::StrCat(env, " -> embedded.directory=", o.directory));
    }
    if (dir_flag == std::string_view("badger.directory-value") && given("badger.directory-key")) {
      mapped.push_back("BADGER_DIRECTORY_KEY not used (one directory holds keys and values)");
    }
  }
  if (given("badger.span-store-ttl") && !f.IsSet("embedded.retention")) {
    SKUA_ASSIGN_OR_RETURN(o.retention, GetDuration(f, "badger.span-store-ttl"));
    mapped.push_back(absl::StrCat("BADGER_SPAN_STORE_TTL -> embedded.retention=",
                                  f.GetString("badger.span-store-ttl")));
  }
  if (given("badger.consistency") && !f.IsSet("embedded.sync-before-ack")) {
    SKUA_ASSIGN_OR_RETURN(o.sync_before_ack, f.GetBool("badger.consistency"));
    mapped.push_back(
        absl::StrCat("BADGER_CONSISTENCY/BADGER_SYNC_WRITES -> embedded.sync-before-ack=",
                     o.sync_before_ack ? "true" : "false"));
  }
  if (given("badger.maintenance-interval") && !f.IsSet("embedded.maintenance-interval")) {
    SKUA_ASSIGN_OR_RETURN(o.maintenance_interval, GetDuration(f, "badger.maintenance-interval"));
    mapped.push_back(absl::StrCat("BADGER_MAINTENANCE_INTERVAL -> embedded.maintenance-interval=",
                                  f.GetString("badger.maintenance-interval")));
  }
  badger_note = absl::StrCat(
      "SPAN_STORAGE_TYPE=badger: using skua's embedded store; ",
      mapped.empty() ? std::string("no BADGER_* setting given")
                     : absl::StrCat("mapped ", absl::StrJoin(mapped, ", ")),
      !ephemeral && o.sync_before_ack
          ? "; unlike Jaeger's Badger defaults (ephemeral, unsynced), the data is kept on disk "
            "and synced before each acknowledgement"
      : !ephemeral ? "; unlike Jaeger's Badger default (ephemeral), the data is kept on disk"
      : o.sync_before_ack
          ? "; unlike Jaeger's Badger default (unsynced), writes are synced before each "
            "acknowledgement"
          : "");
  return absl::OkStatus();
}

}  // namespace

std::string_view RoleName(Role role) {
  switch (role) {
    case Role::kAllInOne:
      return "all-in-one";
    case Role::kCollector:
      return "collector";
    case Role::kQuery:
      return "query";
  }
  return "all-in-one";
}

std::optional<Role> ParseRole(std::string_view name) {
  for (Role role : {Role::kAllInOne, Role::kCollector, Role::kQuery}) {
    if (name == RoleName(role)) return role;
  }
  return std::nullopt;
}

namespace {

bool Ingests(Role role) { return role != Role::kQuery; }
bool Serves(Role role) { return role != Role::kCollector; }

// The stores that keep spans inside one process: an all-in-one only.
void DefineLocalStorageFlags(config::FlagSet& f) {
  f.Define("memory.max-traces", "100000",
           "Most traces the memory store keeps; the oldest whole trace is evicted first. 0 = no "
           "count limit (the byte budget still applies).");
  f.Define("memory.max-bytes", "1GiB",
           "Memory budget of the memory store (spans and indexes); oldest traces evicted first.");
  f.Define("embedded.directory", "./skua-data",
           "Data directory of the embedded store (write-ahead log wal/, blocks/, MANIFEST); "
           "created if missing. One skua process at a time: it holds a lock in the directory.");
  f.Define("embedded.retention", "72h",
           "Spans older than this are deleted, a whole block at a time (Go duration, e.g. 168h).");
  f.Define("embedded.max-disk-bytes", "0",
           "Disk quota of the data directory (blocks and log), bytes or with a KiB/MiB/GiB/TiB "
           "suffix; past it the oldest blocks are deleted first. 0 = no quota.");
  f.Define("embedded.head-max-bytes", "128MiB",
           "The in-memory head (the newest spans, searchable at once) is flushed to a block file "
           "once it holds this much.");
  f.Define("embedded.head-max-age", "10m",
           "The head is also flushed once its oldest span arrived this long ago (Go duration).");
  f.Define("embedded.cache-bytes", "256MiB", "Memory for decoded block sections (read cache).");
  f.Define("embedded.sync-before-ack", "true",
           "Acknowledge a batch only once its log record is synced to disk (fdatasync, shared by "
           "concurrent writers). false trades durability for latency: a crash of skua loses "
           "nothing, a crash of the machine may lose the last acknowledged batches.");
  f.Define("embedded.group-commit-window", "4ms",
           "With sync-before-ack: a log sync starts no sooner than this after the previous one "
           "started, so concurrent batches share it (at most 1/window syncs per second; an idle "
           "log syncs at once). Adds up to this much to a batch's acknowledgement under load. "
           "Go duration, 0 to 1s; 0 = sync as soon as the previous sync ends.");
  f.Define("embedded.maintenance-interval", "1m",
           "How often retention and the disk quota are enforced (Go duration).");
  // Jaeger's Badger settings, read only with span-storage.type=badger (jaeger-compat §7.2).
  f.Define("badger.directory-value", "",
           "With span-storage.type=badger: the embedded store's directory (as "
           "embedded.directory, which wins when both are set).");
  f.Define("badger.directory-key", "",
           "With span-storage.type=badger: the directory when badger.directory-value is unset "
           "(skua keeps keys and values in one directory).");
  f.Define("badger.span-store-ttl", "72h", "With span-storage.type=badger: as embedded.retention.");
  f.Define("badger.ephemeral", "false",
           "With span-storage.type=badger: true = a fresh temporary directory, removed at exit. "
           "Jaeger's default is true; skua keeps the data unless this is set explicitly.");
  f.Define("badger.consistency", "true",
           "With span-storage.type=badger: false = embedded.sync-before-ack=false. Jaeger's "
           "default is false (no sync); skua stays durable unless this is set to false "
           "explicitly.");
  f.Define("badger.maintenance-interval", "5m",
           "With span-storage.type=badger, when set: as embedded.maintenance-interval.");
  // Jaeger v2's name for Badger's SyncWrites (v1's flag is badger.consistency).
  f.AddEnvAlias("badger.consistency", "BADGER_SYNC_WRITES");
}

// The receivers and the ingest pipeline: all-in-one and collector.
void DefineIngestFlags(config::FlagSet& f) {
  f.Define("collector.otlp.enabled", "true", "Enable the OTLP receivers.");
  f.Define("collector.otlp.grpc.host-port", Port(kOtlpGrpcPort), "OTLP gRPC listen address.");
  f.Define("collector.otlp.http.host-port", Port(kOtlpHttpPort), "OTLP HTTP listen address.");
  f.Define(
      "collector.otlp.grpc.max-message-size", "4194304",
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
  f.Define(
      "collector.queue-size", "100000",
      "Spans the ingest queue holds; when full, clients get 429 / RESOURCE_EXHAUSTED and retry.");
  f.Define("collector.queue-size-memory", "256",
           "Memory the ingest queue may hold, MiB; when full, clients are refused as above.");
  f.Define("collector.num-workers", "2", "Storage writer threads.");
  // Environment names of older Jaeger releases, still found in deployment files.
  f.AddEnvAlias("collector.grpc-server.host-port", "COLLECTOR_GRPC_HOST_PORT");
  f.AddEnvAlias("collector.http-server.host-port", "COLLECTOR_HTTP_HOST_PORT");
}

// The query HTTP server (API and UI): all-in-one and query.
void DefineQueryFlags(config::FlagSet& f) {
  f.Define("query.http-server.host-port", Port(kQueryHttpPort), "Query HTTP (API and UI) address.");
  f.Define("query.base-path", "/", "Path prefix of the query HTTP server, e.g. /jaeger.");
  f.Define("query.static-files", "",
           "Directory of another web UI build (e.g. the official Jaeger UI) to serve instead of "
           "the embedded one; its index.html gets the same injections. Empty: the embedded UI.");
  f.Define("query.ui-config", "",
           "UI configuration file (JSON object, or .js defining UIConfig()) injected into "
           "index.html as JAEGER_CONFIG; read at start. Empty: {}.");
  f.Define("query.max-clock-skew-adjustment", "0s",
           "Largest clock-skew correction applied to traces; 0 disables the adjustment.");
}

// Multi-tenancy (jaeger-compat §7.4), Jaeger's flag names: every role, since the receivers and the
// query API both check the tenant header.
void DefineTenancyFlags(config::FlagSet& f) {
  f.Define("multi-tenancy.enabled", "false",
           "Require the tenant header on every ingest request (OTLP, Jaeger gRPC/HTTP, Zipkin) "
           "and every /api query, and keep each tenant's spans apart. Agent UDP datagrams cannot "
           "name a tenant and are then refused.");
  f.Define("multi-tenancy.header", "x-tenant",
           "HTTP header (and gRPC metadata key) naming the tenant.");
  f.Define("multi-tenancy.tenants", "",
           "Comma-separated list of accepted tenants; empty = any tenant.");
}

}  // namespace

void DefineFlags(Role role, config::FlagSet& f) {
  if (role == Role::kAllInOne) {
    f.Define("span-storage.type", "embedded",
             "Storage backend (env SPAN_STORAGE_TYPE as in Jaeger). Available: embedded, memory, "
             "clickhouse. embedded is the durable on-disk store (embedded.* flags); badger is "
             "accepted as an alias of embedded, with Jaeger's BADGER_* settings mapped (badger.* "
             "flags); clickhouse stores spans in a ClickHouse server or cluster (clickhouse.* "
             "flags).");
    DefineLocalStorageFlags(f);
  } else {
    f.Define("span-storage.type", "clickhouse",
             absl::StrCat("Storage backend (env SPAN_STORAGE_TYPE as in Jaeger). Available: "
                          "clickhouse (clickhouse.* flags): a `skua ",
                          ToAbsl(RoleName(role)),
                          "` shares spans with the other role's processes only through a "
                          "database they all open. memory and embedded keep spans inside one "
                          "process: use `skua all-in-one` for them."));
  }
  DefineClickHouseFlags(f, /*with_retention=*/Ingests(role));
  if (Ingests(role)) DefineIngestFlags(f);
  if (Serves(role)) DefineQueryFlags(f);
  DefineTenancyFlags(f);
  const int admin_port = role == Role::kQuery ? kQueryAdminPort : kCollectorAdminPort;
  f.Define("admin.http.host-port", Port(admin_port),
           "Admin address: health (/; 503 while storage is not ready), Prometheus metrics "
           "(/metrics), /version.");
  f.Define("log-level", "info", "Minimal log level: debug, info, warn, error.");
}

namespace {

// Every role runs a subset of one component list: storage and admin always; receivers and the
// pipeline when it ingests; the query service and its HTTP server (API and UI) when it serves.
class ServerImpl : public Server {
 public:
  struct Config {
    Role role = Role::kAllInOne;
    // "memory", "embedded" (also when selected as "badger") or "clickhouse".
    std::string storage_type;
    storage::memory::MemoryOptions memory;
    storage::embedded::EmbeddedOptions embedded;  // metrics are set in Start
    // The embedded store goes to a fresh temporary directory, removed at Stop (BADGER_EPHEMERAL).
    bool embedded_ephemeral = false;
    // With SPAN_STORAGE_TYPE=badger: the one log line saying how Badger's settings were mapped.
    std::string badger_note;
    storage::clickhouse::ClickHouseOptions clickhouse;  // metrics are set in Start
    bool otlp_enabled = true;
    receivers::otlp::OtlpReceiverOptions otlp;
    receivers::zipkin::ZipkinReceiverOptions zipkin;
    receivers::jaeger_grpc::JaegerGrpcReceiverOptions jaeger_grpc;
    receivers::jaeger_thrift::JaegerThriftReceiverOptions jaeger_thrift;
    pipeline::PipelineOptions pipeline;
    std::string query_host_port;
    query::http::QueryApiOptions query_api;
    // The web UI: every query HTTP request outside {base}/api (built and checked in NewServer).
    net::HttpHandler ui;
    bool ui_built = true;  // false: no UI embedded and no --query.static-files
    query::QueryServiceOptions query;
    std::string admin_host_port;
    // --multi-tenancy.*; copied into every receiver's options and the query API's.
    tenancy::TenancyOptions tenancy;
  };

  ServerImpl(Config config, VersionInfo version)
      : config_(std::move(config)), version_(std::move(version)) {}
  ~ServerImpl() override { Stop(); }

  absl::Status Start() override {
    admin::AdminServerOptions admin_options;
    admin_options.host_port = config_.admin_host_port;
    admin_ = std::make_unique<admin::AdminServer>(
        admin_options, health_, metrics_,
        admin::VersionInfo{version_.git_commit, version_.git_version, version_.build_date});
    SKUA_RETURN_IF_ERROR(admin_->Start());

    absl::Status s = OpenStorage();
    if (!s.ok()) {
      Stop();
      return s;
    }
    if (Serves(config_.role)) {
      query_ = std::make_unique<query::QueryService>(*storage_, config_.query);
      net::HttpServerOptions query_http;
      query_http.host_port = config_.query_host_port;
      query_http.name = "query";
      query_http_ = net::NewHttpServer(
          query_http, query::http::NewQueryApiHandler(*query_, config_.query_api, config_.ui));
      s = query_http_->Start();
      if (!s.ok()) {
        Stop();
        return s;
      }
    }
    if (Ingests(config_.role)) {
      pipeline_ =
          std::make_unique<pipeline::Pipeline>(config_.pipeline, storage_->writer(), metrics_);
      AddReceivers();
      for (auto& receiver : receivers_) {
        s = receiver->Start();
        if (!s.ok()) {
          Stop();
          return s;
        }
      }
    }
    // Health follows storage readiness from here on: checked now, then every second.
    CheckStorage();
    monitor_ = std::thread([this] {
      while (!stop_monitor_.WaitForNotificationWithTimeout(absl::Seconds(1))) CheckStorage();
    });
    started_ = true;
    return absl::OkStatus();
  }

  void Stop() override {
    if (stopped_) return;
    stopped_ = true;
    stop_monitor_.Notify();
    if (monitor_.joinable()) monitor_.join();
    health_.SetUnavailable();
    for (auto& receiver : receivers_) receiver->Stop();
    if (pipeline_) pipeline_->Stop();
    if (query_http_) query_http_->Stop();
    if (storage_) IgnoreError(storage_->Close(), "shutting down; nothing left to do with errors");
    if (!ephemeral_directory_.empty()) {
      std::error_code ec;
      std::filesystem::remove_all(ephemeral_directory_, ec);
      if (ec) {
        SKUA_LOG(WARNING) << "cannot remove the temporary data directory " << ephemeral_directory_
                          << ": " << ec.message();
      }
    }
    if (admin_) admin_->Stop();
  }

  std::string Describe() const override {
    std::string out =
        absl::StrCat("role: ", ToAbsl(RoleName(config_.role)), "; storage: ", config_.storage_type);
    if (config_.storage_type == "clickhouse") {
      absl::StrAppend(&out, " at ", DescribeClickHouse(config_.clickhouse));
    } else if (!data_directory_.empty()) {
      absl::StrAppend(&out, " in ", data_directory_);
    }
    if (Ingests(config_.role)) {
      if (started_) {
        for (const auto& receiver : receivers_) absl::StrAppend(&out, "; ", receiver->Describe());
      } else {
        absl::StrAppend(&out, "; receivers");
        if (config_.otlp_enabled) {
          absl::StrAppend(&out, " otlp grpc ", config_.otlp.grpc_host_port, " http ",
                          config_.otlp.http_host_port);
        }
        for (const auto& [name, hp] :
             {std::pair{" jaeger grpc ", &config_.jaeger_grpc.host_port},
              std::pair{" jaeger thrift http ", &config_.jaeger_thrift.http_host_port},
              std::pair{" zipkin ", &config_.zipkin.host_port}}) {
          if (!hp->empty()) absl::StrAppend(&out, name, *hp);
        }
      }
    }
    const std::string base = config_.query_api.base_path == "/" ? "" : config_.query_api.base_path;
    if (Serves(config_.role)) {
      absl::StrAppend(
          &out, "; query ",
          query_http_ ? absl::StrCat(":", query_http_->port()) : config_.query_host_port);
    }
    absl::StrAppend(
        &out, "; admin ",
        admin_ && started_ ? absl::StrCat(":", admin_->port()) : config_.admin_host_port);
    if (config_.tenancy.enabled) {
      absl::StrAppend(&out, "; multi-tenancy: header ", config_.tenancy.header, ", tenants ",
                      config_.tenancy.tenants.empty()
                          ? std::string("any")
                          : absl::StrJoin(config_.tenancy.tenants, ","));
    }
    if (query_http_) {
      absl::StrAppend(&out, "\nJaeger query API at http://localhost:", query_http_->port(), base,
                      "/api/services", "\nWeb UI at http://localhost:", query_http_->port(), base,
                      "/", config_.ui_built ? "" : " (not built: run scripts/build.sh with npm)");
    }
    return out;
  }

 private:
  void AddReceivers() {
    if (config_.otlp_enabled) {
      receivers_.push_back(receivers::otlp::NewOtlpReceiver(config_.otlp, *pipeline_, metrics_));
    }
    if (!config_.jaeger_grpc.host_port.empty()) {
      receivers_.push_back(
          receivers::jaeger_grpc::NewJaegerGrpcReceiver(config_.jaeger_grpc, *pipeline_, metrics_));
    }
    if (!config_.jaeger_thrift.http_host_port.empty() ||
        !config_.jaeger_thrift.compact_host_port.empty() ||
        !config_.jaeger_thrift.binary_host_port.empty()) {
      receivers_.push_back(receivers::jaeger_thrift::NewJaegerThriftReceiver(config_.jaeger_thrift,
                                                                             *pipeline_, metrics_));
    }
    if (!config_.zipkin.host_port.empty()) {
      receivers_.push_back(
          receivers::zipkin::NewZipkinReceiver(config_.zipkin, *pipeline_, metrics_));
    }
  }

  // Sets the health check from storage readiness and logs each change once, with the reason: ready
  // to not ready, back, and (while not ready) a different kind of failure, e.g. from "does not
  // answer" to "has no schema". Called from Start, then only from the monitor thread.
  void CheckStorage() {
    const absl::Status ready = storage_->CheckReady();
    const bool changed = first_check_ || ready.code() != last_code_;
    if (changed && !ready.ok()) {
      SKUA_LOG(ERROR) << "storage not ready" << (first_check_ ? " at start" : "") << ": "
                      << StatusMessage(ready)
                      << "; the admin health check answers 503 until it is (checked every "
                         "second)"
                      << (Ingests(config_.role) ? "; clients are refused with 503 / UNAVAILABLE "
                                                  "and retry"
                                                : "");
      health_.SetUnavailable();
    } else if (changed) {
      if (!first_check_) {
        SKUA_LOG(INFO) << "storage ready (" << config_.storage_type
                       << "); the admin health check answers 200";
      }
      health_.SetReady();
    }
    if (changed) {
      metrics_
          .GetGauge("skua_storage_ready",
                    "1 while storage can serve (the admin health check answers 200), else 0.")
          .Set(ready.ok() ? 1 : 0);
    }
    last_code_ = ready.code();
    first_check_ = false;
  }

  // Creates storage_ from the configuration. For the embedded store: opens (or creates) its data
  // directory, replaying the log; errors name the directory (e.g. held by another skua). For
  // ClickHouse: fails only for invalid options; a server that does not answer is reported by
  // CheckReady (and so by the health check) until it does.
  absl::Status OpenStorage() {
    if (config_.storage_type == "memory") {
      storage_ = storage::memory::NewMemoryStorage(config_.memory);
      return absl::OkStatus();
    }
    if (config_.storage_type == "clickhouse") return OpenClickHouse();
    if (!config_.badger_note.empty()) {
      SKUA_LOG(INFO) << config_.badger_note;
    }
    storage::embedded::EmbeddedOptions options = config_.embedded;
    options.metrics = &metrics_;
    if (config_.embedded_ephemeral) {
      const char* tmp = std::getenv("TMPDIR");
      std::string pattern =
          absl::StrCat(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp", "/skua-ephemeral-XXXXXX");
      if (mkdtemp(pattern.data()) == nullptr) {
        return absl::UnavailableError(
            absl::StrCat("cannot create a temporary data directory like ", pattern));
      }
      ephemeral_directory_ = options.directory = pattern;
    }
    std::error_code ec;
    std::filesystem::path absolute = std::filesystem::absolute(options.directory, ec);
    data_directory_ = ec ? options.directory : absolute.lexically_normal().string();
    auto opened = storage::embedded::OpenEmbeddedStorage(std::move(options));
    if (!opened.ok()) {
      return absl::Status(opened.status().code(),
                          absl::StrCat("cannot open the embedded store in ", data_directory_, ": ",
                                       std::string(StatusMessage(opened.status()))));
    }
    storage_ = std::move(*opened);
    return absl::OkStatus();
  }

  absl::Status OpenClickHouse() {
#ifdef SKUA_HAVE_CLICKHOUSE
    storage::clickhouse::ClickHouseOptions options = config_.clickhouse;
    options.metrics = &metrics_;
    auto opened = storage::clickhouse::OpenClickHouseStorage(std::move(options));
    if (!opened.ok()) {
      return absl::Status(
          opened.status().code(),
          absl::StrCat("cannot open ClickHouse storage (", DescribeClickHouse(config_.clickhouse),
                       "): ", std::string(StatusMessage(opened.status()))));
    }
    storage_ = std::move(*opened);
    return absl::OkStatus();
#else
    return absl::UnimplementedError("this skua was built without the ClickHouse backend");
#endif
  }

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
  std::string data_directory_;       // the embedded store's directory, absolute; "" otherwise
  std::string ephemeral_directory_;  // removed at Stop; "" unless BADGER_EPHEMERAL
  // Storage readiness as last seen by CheckStorage (Start, then only the monitor thread).
  absl::StatusCode last_code_ = absl::StatusCode::kOk;
  bool first_check_ = true;
  std::thread monitor_;  // runs CheckStorage every second until stop_monitor_
  absl::Notification stop_monitor_;
  bool started_ = false;
  bool stopped_ = false;
};

}  // namespace

namespace {

// Why a collector or query refuses the stores that keep spans inside one process.
absl::Status SingleProcessStoreError(Role role, std::string_view type) {
  const bool embedded = type != "memory";
  return absl::InvalidArgumentError(absl::StrCat(
      "`skua ", ToAbsl(RoleName(role)), "` cannot use SPAN_STORAGE_TYPE=", ToAbsl(type), ": ",
      embedded ? "the embedded store keeps its spans in a directory that one skua process locks"
               : "the memory store keeps its spans inside this process",
      ", so ",
      role == Role::kCollector ? "no `skua query` could read what this collector writes"
                               : "this query server could never see what collectors write",
      ". Use SPAN_STORAGE_TYPE=clickhouse (clickhouse.* flags) for separate collector and "
      "query processes, or `skua all-in-one` for one process with ",
      ToAbsl(type), "."));
}

absl::Status ParseIngest(const config::FlagSet& f, ServerImpl::Config& c) {
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
  for (const std::string* hp : {&c.otlp.grpc_host_port, &c.otlp.http_host_port,
                                &c.jaeger_grpc.host_port, &c.zipkin.host_port}) {
    if (!hp->empty()) SKUA_RETURN_IF_ERROR(net::ParseHostPort(*hp).status());
  }
  return absl::OkStatus();
}

// --multi-tenancy.* into c.tenancy and from there into every component that checks the header.
// Call after ParseIngest / ParseQuery (which set the rest of those components' options).
absl::Status ParseTenancy(const config::FlagSet& f, ServerImpl::Config& c) {
  SKUA_ASSIGN_OR_RETURN(c.tenancy.enabled, f.GetBool("multi-tenancy.enabled"));
  c.tenancy.header = f.GetString("multi-tenancy.header");
  c.tenancy.tenants = tenancy::ParseTenantList(f.GetString("multi-tenancy.tenants"));
  SKUA_RETURN_IF_ERROR(c.tenancy.Validate());
  c.otlp.tenancy = c.tenancy;
  c.jaeger_grpc.tenancy = c.tenancy;
  c.jaeger_thrift.tenancy = c.tenancy;
  c.zipkin.tenancy = c.tenancy;
  c.query_api.multi_tenancy = c.tenancy.enabled;
  c.query_api.tenant_header = c.tenancy.header;
  c.query_api.tenants = c.tenancy.tenants;
  return absl::OkStatus();
}

absl::Status ParseQuery(const config::FlagSet& f, const VersionInfo& version,
                        ServerImpl::Config& c) {
  c.query_host_port = f.GetString("query.http-server.host-port");
  SKUA_RETURN_IF_ERROR(net::ParseHostPort(c.query_host_port).status());
  std::string base = f.GetString("query.base-path");
  if (base.empty() || base[0] != '/') {
    return absl::InvalidArgumentError("--query.base-path must start with '/'");
  }
  while (base.size() > 1 && base.back() == '/') base.pop_back();
  c.query_api.base_path = base;
  ui::UiHandlerOptions ui_options;
  ui_options.base_path = base;
  ui_options.static_files = f.GetString("query.static-files");
  ui_options.ui_config_file = f.GetString("query.ui-config");
  ui_options.git_commit = version.git_commit;
  ui_options.git_version = version.git_version;
  ui_options.build_date = version.build_date;
  c.ui_built = !ui_options.static_files.empty() ||
               std::any_of(ui::EmbeddedUiFiles().begin(), ui::EmbeddedUiFiles().end(),
                           [](const ui::EmbeddedFile& file) { return file.path == "index.html"; });
  SKUA_ASSIGN_OR_RETURN(c.ui, ui::NewUiHandler(std::move(ui_options), ui::EmbeddedUiFiles()));
  SKUA_ASSIGN_OR_RETURN(int64_t skew, f.GetDurationNanos("query.max-clock-skew-adjustment"));
  if (skew < 0) {
    return absl::InvalidArgumentError("--query.max-clock-skew-adjustment must not be negative");
  }
  c.query.adjusters.max_clock_skew_adjustment_us = static_cast<uint64_t>(skew / 1000);
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<Server>> NewServer(Role role, const config::FlagSet& f,
                                                  VersionInfo version) {
  ServerImpl::Config c;
  c.role = role;
  c.storage_type = f.GetString("span-storage.type");
  const bool badger = c.storage_type == "badger";
  if (c.storage_type != "memory" && c.storage_type != "embedded" && !badger &&
      c.storage_type != "clickhouse") {
    return absl::InvalidArgumentError(absl::StrCat(
        "unsupported span storage type '", c.storage_type, "' (SPAN_STORAGE_TYPE); available: ",
        role == Role::kAllInOne ? "embedded (the default; also as badger), memory, clickhouse"
                                : absl::StrCat("clickhouse (`skua ", ToAbsl(RoleName(role)),
                                               "` needs a database shared by every process)")));
  }
  if (role != Role::kAllInOne && c.storage_type != "clickhouse") {
    return SingleProcessStoreError(role, c.storage_type);
  }
  if (badger) c.storage_type = "embedded";
  if (c.storage_type == "clickhouse") {
#ifndef SKUA_HAVE_CLICKHOUSE
    return absl::InvalidArgumentError(
        "SPAN_STORAGE_TYPE=clickhouse: this skua was built without the ClickHouse backend");
#endif
    SKUA_ASSIGN_OR_RETURN(c.clickhouse, ParseClickHouseFlags(f));
  }
  if (c.storage_type == "embedded") {
    SKUA_RETURN_IF_ERROR(
        ParseEmbeddedOptions(f, badger, c.embedded, c.embedded_ephemeral, c.badger_note));
    if (c.embedded_ephemeral) c.embedded.directory = "(temporary)";  // chosen in Start
    SKUA_RETURN_IF_ERROR(c.embedded.Validate());
  }
  if (c.storage_type == "memory") {
    SKUA_ASSIGN_OR_RETURN(int64_t max_traces, f.GetInt("memory.max-traces"));
    if (max_traces < 0) {
      return absl::InvalidArgumentError("--memory.max-traces must not be negative");
    }
    c.memory.max_traces = static_cast<size_t>(max_traces);
    SKUA_ASSIGN_OR_RETURN(c.memory.max_bytes, f.GetBytes("memory.max-bytes"));
    SKUA_RETURN_IF_ERROR(c.memory.Validate());
  }
  if (Ingests(role)) SKUA_RETURN_IF_ERROR(ParseIngest(f, c));
  if (Serves(role)) SKUA_RETURN_IF_ERROR(ParseQuery(f, version, c));
  SKUA_RETURN_IF_ERROR(ParseTenancy(f, c));
  c.admin_host_port = f.GetString("admin.http.host-port");
  SKUA_RETURN_IF_ERROR(net::ParseHostPort(c.admin_host_port).status());
  return std::make_unique<ServerImpl>(std::move(c), std::move(version));
}

}  // namespace skua::server
