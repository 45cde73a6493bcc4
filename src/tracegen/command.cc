#include "tracegen/command.h"

#include <signal.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <optional>

#include "absl/strings/numbers.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "base/json.h"
#include "base/status.h"
#include "config/flags.h"
#include "tracegen/corpus.h"
#include "tracegen/runner.h"

namespace skua::tracegen {
namespace {

// Environment variables carry a prefix: bare names such as RATE or SPANS are too likely to be set
// for some other purpose.
constexpr char kEnvPrefix[] = "SKUA_TRACEGEN_";
// The start time --repeat-ids implies unless --start-time is given: fixed, so repeated runs are
// byte-identical.
constexpr char kRepeatStartTime[] = "2024-01-01T00:00:00Z";

struct FlagDef {
  const char* name;
  const char* default_value;
  const char* value_name;  // "" for booleans
  const char* help;
};

constexpr FlagDef kFlags[] = {
    {"protocol", "otlp-grpc", "NAME", "Ingest protocol (see the list below)."},
    {"endpoint", "", "ADDR",
     "Where to send: host:port for otlp-grpc, a URL for HTTP protocols (path defaults to the\n"
     "      protocol's, e.g. /v1/traces). Default: the protocol's port on localhost."},
    {"rate", "0", "SPANS_PER_S", "Target rate over all workers; 0 sends as fast as answers come."},
    {"spans", "0", "N", "Stop after N spans (0: no limit). Required with --write-corpus."},
    {"duration", "0", "D",
     "Stop after D (e.g. 30s, 5m; 0: no limit). Without --spans or\n"
     "      --duration the run lasts until interrupted (Ctrl-C), then reports."},
    {"concurrency", "1", "C", "Worker threads, each with its own connection."},
    {"seed", "1", "S", "Seed of the generated workload; worker i > 0 uses a seed derived from it."},
    {"repeat-ids", "false", "",
     "Derive trace and span IDs from the seed alone (default: salted per run, so every run\n"
     "      writes new traces) and start at a fixed time unless --start-time is given: two runs\n"
     "      with the same flags produce byte-identical requests."},
    {"start-time", "", "T",
     "Start time of the first trace: 'now', RFC 3339, or Unix nanoseconds. Default: now\n"
     "      (with --repeat-ids: "
     "2024-01-01T00:00:00Z"
     ")."},
    {"max-spans-per-request", "256", "N", "Largest export request (spans of one service)."},
    {"gzip", "false", "", "Compress requests (gRPC message compression, HTTP Content-Encoding)."},
    {"timeout", "30s", "D", "Deadline of one send attempt."},
    {"tenant", "", "NAME",
     "Send as this tenant of a multi-tenant server (HTTP header / gRPC metadata named by\n"
     "      --tenant-header). Not possible over the agent UDP protocols."},
    {"tenant-header", "x-tenant", "NAME", "Header carrying --tenant (Jaeger's default x-tenant)."},
    {"max-retries", "5", "R",
     "Further attempts for a request refused with 429/RESOURCE_EXHAUSTED or 502-504/UNAVAILABLE,\n"
     "      with exponential backoff from 100 ms to 5 s (or the server's Retry-After)."},
    {"write-corpus", "", "DIR",
     "Write the serialized requests to DIR (numbered files plus manifest.json) instead of\n"
     "      sending them. Needs --spans."},
    {"replay", "", "DIR",
     "Send the payloads of a corpus written by --write-corpus, each once, instead of generating.\n"
     "      The protocol defaults to the corpus's; any protocol with the same payload format "
     "works."},
    {"json", "false", "", "Print the report as one JSON line (for scripts)."},
    {"progress", "10s", "D", "Print progress to stderr every D (0: never; never with --json)."},
};

std::atomic<bool> g_stop{false};

void OnSignal(int) {
  g_stop.store(true);
  // A second signal terminates the process the default way.
  signal(SIGINT, SIG_DFL);
  signal(SIGTERM, SIG_DFL);
}

std::string Help() {
  std::string out =
      "skua tracegen: generate the W1 workload (20 services, 300 operations, 5-30 spans per\n"
      "trace, 2 % errors, about 365 bytes per span as OTLP protobuf) and send it to a tracing\n"
      "backend, or write it to files.\n\n"
      "Usage:\n"
      "  skua tracegen [--protocol P] [--endpoint ADDR] [--rate R] [--spans N | --duration D]\n"
      "                [--concurrency C] [--seed S] [--repeat-ids] [--gzip] [--json]\n"
      "  skua tracegen --write-corpus DIR --spans N [--protocol P] [--seed S] [--repeat-ids]\n"
      "  skua tracegen --replay DIR [--endpoint ADDR] [--rate R] [--concurrency C]\n\n"
      "Flags (each can also be set by the environment variable SKUA_TRACEGEN_<NAME>, e.g.\n"
      "SKUA_TRACEGEN_ENDPOINT; the command line wins):\n";
  for (const FlagDef& f : kFlags) {
    std::string head = absl::StrCat("  --", f.name, *f.value_name ? " " : "", f.value_name);
    absl::StrAppend(&out, head, "\n      ", f.help);
    if (*f.default_value && std::string_view(f.value_name) != "") {
      absl::StrAppend(&out, " Default: ", f.default_value, ".");
    }
    out += "\n";
  }
  out += "\nProtocols:\n";
  for (const ProtocolInfo& p : Protocols()) {
    absl::StrAppend(
        &out, absl::StrFormat("  %-22s %s\n  %-22s %s\n", std::string(p.name),
                              std::string(p.description), "",
                              p.supported ? "default endpoint " + std::string(p.default_endpoint)
                                          : std::string("not supported yet")));
  }
  out +=
      "\nReport: spans sent; acknowledged (accepted by the server); refused (in answers asking to\n"
      "retry later, counted per answer); failed (non-retryable answers, retries exhausted,\n"
      "rejected in a partial success); the acknowledged rate. UDP has no answers: for the agent\n"
      "protocols a datagram counts as acknowledged once the kernel accepts it. Exit status: 0\n"
      "when nothing failed, 1 when some spans failed, 2 for usage or setup errors.\n";
  return out;
}

absl::StatusOr<uint64_t> ParseStartTime(const std::string& s) {
  if (s.empty() || s == "now") return 0;  // the generator's "now"
  uint64_t ns;
  if (absl::SimpleAtoi(s, &ns)) return ns;
  absl::Time t;
  std::string error;
  if (!absl::ParseTime(absl::RFC3339_full, s, &t, &error)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--start-time: want 'now', RFC 3339 or Unix nanoseconds, got '", s, "'"));
  }
  int64_t unix_ns = absl::ToUnixNanos(t);
  if (unix_ns <= 0) return absl::InvalidArgumentError("--start-time: must be after 1970");
  return static_cast<uint64_t>(unix_ns);
}

std::string ReportJson(const RunOptions& options, const std::string& endpoint, const RunStats& s,
                       bool ok) {
  std::string out = "{\"protocol\":";
  AppendJsonString(Info(options.protocol).name, out);
  out += ",\"endpoint\":";
  AppendJsonString(endpoint, out);
  absl::StrAppend(&out, ",\"ok\":", ok ? "true" : "false",
                  ",\"seconds\":", absl::StrFormat("%.3f", s.seconds),
                  ",\"requests_sent\":", s.requests_sent, ",\"spans_sent\":", s.spans_sent,
                  ",\"spans_acknowledged\":", s.spans_acknowledged,
                  ",\"requests_refused\":", s.requests_refused,
                  ",\"spans_refused\":", s.spans_refused, ",\"retries\":", s.retries,
                  ",\"requests_failed\":", s.requests_failed, ",\"spans_failed\":", s.spans_failed,
                  ",\"spans_per_second\":", absl::StrFormat("%.1f", s.acknowledged_per_second()),
                  ",\"errors\":[");
  bool first = true;
  for (const auto& [message, count] : s.errors) {
    out += first ? "" : ",";
    first = false;
    out += "{\"message\":";
    AppendJsonString(message, out);
    absl::StrAppend(&out, ",\"count\":", count, "}");
  }
  out += "]}";
  return out;
}

void PrintReport(std::FILE* out, const RunOptions& options, const std::string& endpoint,
                 const RunStats& s) {
  std::fprintf(out, "skua tracegen: %s -> %s, %d worker%s, %.2f s\n",
               std::string(Info(options.protocol).name).c_str(), endpoint.c_str(),
               options.concurrency, options.concurrency == 1 ? "" : "s", s.seconds);
  std::fprintf(out, "  sent          %12llu spans in %llu requests\n",
               static_cast<unsigned long long>(s.spans_sent),
               static_cast<unsigned long long>(s.requests_sent));
  std::fprintf(out, "  acknowledged  %12llu spans\n",
               static_cast<unsigned long long>(s.spans_acknowledged));
  std::fprintf(out, "  refused       %12llu spans in %llu retryable answers (%llu retries)\n",
               static_cast<unsigned long long>(s.spans_refused),
               static_cast<unsigned long long>(s.requests_refused),
               static_cast<unsigned long long>(s.retries));
  std::fprintf(out, "  failed        %12llu spans in %llu requests\n",
               static_cast<unsigned long long>(s.spans_failed),
               static_cast<unsigned long long>(s.requests_failed));
  std::fprintf(out, "  rate          %12.1f spans/s acknowledged\n", s.acknowledged_per_second());
  for (const auto& [message, count] : s.errors) {
    std::fprintf(out, "  error (x%llu): %s\n", static_cast<unsigned long long>(count),
                 message.c_str());
  }
}

int Usage(std::FILE* err, std::string_view message) {
  std::fprintf(err, "skua tracegen: %.*s (try 'skua tracegen --help')\n",
               static_cast<int>(message.size()), message.data());
  return 2;
}

}  // namespace

int TracegenMain(const std::vector<std::string>& args, std::FILE* out, std::FILE* err) {
  for (const std::string& a : args) {
    if (a == "--help" || a == "-h" || a == "help") {
      std::fputs(Help().c_str(), out);
      return 0;
    }
  }
  config::FlagSet flags;
  for (const FlagDef& f : kFlags) flags.Define(f.name, f.default_value, f.help);
  auto rest = flags.Parse(args, [](const std::string& name) -> std::optional<std::string> {
    const char* v = std::getenv((kEnvPrefix + name).c_str());
    if (v == nullptr) return std::nullopt;
    return std::string(v);
  });
  if (!rest.ok()) return Usage(err, StatusMessage(rest.status()));
  if (!rest->empty()) return Usage(err, absl::StrCat("unexpected argument '", (*rest)[0], "'"));

  auto fail = [&](const absl::Status& s) { return Usage(err, StatusMessage(s)); };
  auto spans = flags.GetInt("spans");
  auto duration = flags.GetDurationNanos("duration");
  auto concurrency = flags.GetInt("concurrency");
  auto seed = flags.GetInt("seed");
  auto repeat_ids = flags.GetBool("repeat-ids");
  auto per_request = flags.GetInt("max-spans-per-request");
  auto gzip = flags.GetBool("gzip");
  auto timeout = flags.GetDurationNanos("timeout");
  auto max_retries = flags.GetInt("max-retries");
  auto json = flags.GetBool("json");
  auto progress = flags.GetDurationNanos("progress");
  for (const absl::Status& s :
       {spans.status(), duration.status(), concurrency.status(), seed.status(), repeat_ids.status(),
        per_request.status(), gzip.status(), timeout.status(), max_retries.status(), json.status(),
        progress.status()}) {
    if (!s.ok()) return fail(s);
  }
  double rate = 0;
  if (!absl::SimpleAtod(flags.GetString("rate"), &rate) || !(rate >= 0) || std::isinf(rate)) {
    return Usage(err, absl::StrCat("--rate: want spans per second >= 0, got '",
                                   flags.GetString("rate"), "'"));
  }
  if (*spans < 0) return Usage(err, "--spans must be >= 0");
  if (*duration < 0) return Usage(err, "--duration must be >= 0");
  if (*concurrency < 1 || *concurrency > 1024) return Usage(err, "--concurrency must be 1..1024");
  if (*per_request < 1 || *per_request > 1'000'000) {
    return Usage(err, "--max-spans-per-request must be 1..1000000");
  }
  if (*max_retries < 0 || *max_retries > 1000) return Usage(err, "--max-retries must be 0..1000");
  if (*timeout <= 0) return Usage(err, "--timeout must be > 0");

  const std::string corpus_dir = flags.GetString("write-corpus");
  const std::string replay_dir = flags.GetString("replay");
  if (!corpus_dir.empty() && !replay_dir.empty()) {
    return Usage(err, "--write-corpus and --replay exclude each other");
  }

  std::string protocol_name = flags.GetString("protocol");
  if (!replay_dir.empty() && !flags.IsSet("protocol")) {
    auto manifest = ReadCorpusManifest(replay_dir);
    if (!manifest.ok()) return fail(manifest.status());
    protocol_name = manifest->protocol;
  }
  auto protocol = ParseProtocol(protocol_name);
  if (!protocol.ok()) return fail(protocol.status());

  W1Options workload;
  workload.seed = static_cast<uint64_t>(*seed);
  workload.repeat_ids = *repeat_ids;
  workload.max_spans_per_request = static_cast<uint32_t>(*per_request);
  std::string start = flags.GetString("start-time");
  if (start.empty() && *repeat_ids) start = kRepeatStartTime;
  auto start_ns = ParseStartTime(start);
  if (!start_ns.ok()) return fail(start_ns.status());
  workload.start_time_unix_nano = *start_ns;

  if (!corpus_dir.empty()) {
    if (*spans == 0) return Usage(err, "--write-corpus needs --spans");
    CorpusOptions options;
    options.dir = corpus_dir;
    options.protocol = *protocol;
    options.workload = workload;
    options.spans = static_cast<uint64_t>(*spans);
    auto manifest = WriteCorpus(options);
    if (!manifest.ok()) {
      std::fprintf(err, "skua tracegen: %s\n",
                   std::string(StatusMessage(manifest.status())).c_str());
      return 2;
    }
    if (*json) {
      std::string line = "{\"corpus\":";
      AppendJsonString(corpus_dir, line);
      absl::StrAppend(&line, ",\"protocol\":\"", manifest->protocol,
                      "\",\"files\":", manifest->files.size(), ",\"spans\":", manifest->spans,
                      ",\"bytes\":", manifest->bytes, "}");
      std::fprintf(out, "%s\n", line.c_str());
    } else {
      std::fprintf(out,
                   "skua tracegen: wrote %llu spans in %zu files (%llu bytes, %.1f bytes/span) "
                   "to %s\n",
                   static_cast<unsigned long long>(manifest->spans), manifest->files.size(),
                   static_cast<unsigned long long>(manifest->bytes),
                   manifest->spans ? static_cast<double>(manifest->bytes) / manifest->spans : 0.0,
                   corpus_dir.c_str());
    }
    return 0;
  }

  RunOptions options;
  options.protocol = *protocol;
  options.sender.endpoint = flags.GetString("endpoint");
  options.sender.gzip = *gzip;
  options.sender.timeout_ms = static_cast<int>(std::min<int64_t>(*timeout / 1'000'000, INT32_MAX));
  if (const std::string tenant = flags.GetString("tenant"); !tenant.empty()) {
    std::string header = absl::AsciiStrToLower(flags.GetString("tenant-header"));
    if (header.empty()) return Usage(err, "--tenant-header must not be empty");
    if (*protocol == Protocol::kJaegerAgentCompact || *protocol == Protocol::kJaegerAgentBinary) {
      return Usage(err, "--tenant: the agent UDP protocols cannot carry a tenant header");
    }
    options.sender.headers.emplace_back(std::move(header), tenant);
  }
  options.workload = workload;
  options.replay_dir = replay_dir;
  options.rate = rate;
  options.max_spans = static_cast<uint64_t>(*spans);
  options.duration_ns = *duration;
  options.concurrency = static_cast<int>(*concurrency);
  options.max_retries = static_cast<int>(*max_retries);
  options.stop = &g_stop;
  const std::string endpoint = options.sender.endpoint.empty()
                                   ? std::string(Info(*protocol).default_endpoint)
                                   : options.sender.endpoint;
  if (!*json && *progress > 0) {
    options.progress_interval_ms = *progress / 1'000'000;
    options.progress = [err](const RunStats& s) {
      std::fprintf(err,
                   "skua tracegen: %.0f s: %llu acknowledged, %llu refused, %llu failed, "
                   "%.1f spans/s\n",
                   s.seconds, static_cast<unsigned long long>(s.spans_acknowledged),
                   static_cast<unsigned long long>(s.spans_refused),
                   static_cast<unsigned long long>(s.spans_failed), s.acknowledged_per_second());
    };
  }

  g_stop.store(false);
  signal(SIGPIPE, SIG_IGN);
  auto previous_int = signal(SIGINT, OnSignal);
  auto previous_term = signal(SIGTERM, OnSignal);
  auto stats = Run(options);
  signal(SIGINT, previous_int);
  signal(SIGTERM, previous_term);
  if (!stats.ok()) {
    std::fprintf(err, "skua tracegen: %s\n", std::string(StatusMessage(stats.status())).c_str());
    return 2;
  }
  bool ok = stats->spans_failed == 0 && stats->errors.empty();
  if (*json) {
    std::fprintf(out, "%s\n", ReportJson(options, endpoint, *stats, ok).c_str());
  } else {
    PrintReport(out, options, endpoint, *stats);
  }
  std::fflush(out);
  return ok ? 0 : 1;
}

}  // namespace skua::tracegen
