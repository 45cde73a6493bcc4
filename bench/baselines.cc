// skua_baselines: the reference figures of workload-and-targets §2, measured on the W1 corpus in
// the same run as skua's own figures, so every skua figure can be quoted as a ratio to what this
// machine does right now (it is shared and noisy; absolute numbers drift, ratios hold better).
//
//   skua_baselines [--spans=N] [--reps=R] [--min-time=S] [--syncs=K] [--dir=D] [--json]
//
// Rates are spans per CPU-second of the measuring thread (= per core). With --json the program
// prints one JSON object: {"corpus":{…},"results":[{"name","unit","values":[one per rep]},…]}.

#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "google/protobuf/arena.h"
#include "google/protobuf/util/json_util.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.pb.h"
#include "simdjson.h"
#include "w1_corpus.h"
#include "zstd.h"

namespace skua::bench {
namespace {

namespace pb_collector = ::opentelemetry::proto::collector::trace::v1;

struct Flags {
  size_t spans = 100'000;
  int reps = 3;
  double min_time = 0.3;  // seconds of measuring per rep, at least one pass over the corpus
  int syncs = 500;
  std::string dir = ".";
  bool json = false;
};

double ThreadCpuSeconds() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

struct Result {
  std::string name;
  std::string unit;
  std::vector<double> values;
};

// Runs `pass` (one pass over the corpus, returning the spans it handled) until min_time CPU
// seconds have elapsed, `reps` times; returns spans per CPU-second for each rep.
template <typename Pass>
std::vector<double> MeasureRate(const Flags& flags, Pass pass) {
  std::vector<double> rates;
  pass();  // warm-up: page in the corpus, size the allocator
  for (int r = 0; r < flags.reps; ++r) {
    const double start = ThreadCpuSeconds();
    double elapsed = 0;
    uint64_t spans = 0;
    do {
      spans += pass();
      elapsed = ThreadCpuSeconds() - start;
    } while (elapsed < flags.min_time);
    rates.push_back(static_cast<double>(spans) / elapsed);
  }
  return rates;
}

volatile uint64_t g_sink;  // keeps results of the walks observable

// --- libprotobuf ----------------------------------------------------------------------------

uint64_t LibprotobufParsePass(const W1Corpus& corpus) {
  uint64_t spans = 0, sum = 0;
  for (const std::string& bytes : corpus.otlp_proto) {
    google::protobuf::Arena arena;
    auto* req =
        google::protobuf::Arena::CreateMessage<pb_collector::ExportTraceServiceRequest>(&arena);
    if (!req->ParseFromString(bytes)) {
      std::fprintf(stderr, "skua_baselines: libprotobuf failed to parse a W1 request\n");
      std::exit(1);
    }
    for (const auto& rs : req->resource_spans()) {
      sum += static_cast<uint64_t>(rs.resource().attributes_size());
      for (const auto& ss : rs.scope_spans()) {
        for (const auto& span : ss.spans()) {
          sum += span.start_time_unix_nano() + span.name().size() +
                 static_cast<uint64_t>(span.attributes_size() + span.events_size());
          ++spans;
        }
      }
    }
  }
  g_sink = sum;
  return spans;
}

// What the same spans occupy as parsed libprotobuf objects on the heap (T8's reference size).
double LibprotobufBytesPerSpan(const W1Corpus& corpus) {
  uint64_t bytes = 0;
  for (const std::string& wire : corpus.otlp_proto) {
    pb_collector::ExportTraceServiceRequest req;
    if (!req.ParseFromString(wire)) std::exit(1);
    bytes += req.SpaceUsedLong();
  }
  return static_cast<double>(bytes) / static_cast<double>(corpus.spans);
}

// protobuf's own JSON parser on the OTLP/JSON form. OTLP/JSON writes IDs as hex where proto3 JSON
// expects base64; the parser accepts the hex digits as base64 text, so this measures its cost
// faithfully even though the decoded ID bytes differ.
uint64_t ProtobufJsonParsePass(const W1Corpus& corpus, size_t requests) {
  uint64_t spans = 0;
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = true;
  for (size_t i = 0; i < requests && i < corpus.otlp_json.size(); ++i) {
    pb_collector::ExportTraceServiceRequest req;
    auto status = google::protobuf::util::JsonStringToMessage(corpus.otlp_json[i], &req, options);
    if (!status.ok()) {
      std::fprintf(stderr, "skua_baselines: protobuf JSON parse failed: %s\n",
                   status.ToString().c_str());
      std::exit(1);
    }
    spans += corpus.requests[i].size();
  }
  return spans;
}

// --- zero-copy wire walk ----------------------------------------------------------------------
// Visits every field of an ExportTraceServiceRequest without materializing anything: varints are
// decoded, fixed fields loaded, strings and bytes bounds-checked and their first byte touched,
// and submessages recursed into by schema. This is the ceiling for a hand-written decoder.

enum class Msg : uint8_t {
  kNone,
  kRequest,
  kResourceSpans,
  kResource,
  kScopeSpans,
  kScope,
  kSpan,
  kEvent,
  kLink,
  kStatus,
  kKeyValue,
  kAnyValue,
  kArray,
  kKvList
};

// The submessage type of field `field` of message `m`, or kNone for scalars and strings.
Msg Child(Msg m, uint32_t field) {
  switch (m) {
    case Msg::kRequest:
      return field == 1 ? Msg::kResourceSpans : Msg::kNone;
    case Msg::kResourceSpans:
      return field == 1 ? Msg::kResource : field == 2 ? Msg::kScopeSpans : Msg::kNone;
    case Msg::kResource:
      return field == 1 ? Msg::kKeyValue : Msg::kNone;
    case Msg::kScopeSpans:
      return field == 1 ? Msg::kScope : field == 2 ? Msg::kSpan : Msg::kNone;
    case Msg::kScope:
      return field == 3 ? Msg::kKeyValue : Msg::kNone;
    case Msg::kSpan:
      switch (field) {
        case 9:
          return Msg::kKeyValue;
        case 11:
          return Msg::kEvent;
        case 13:
          return Msg::kLink;
        case 15:
          return Msg::kStatus;
        default:
          return Msg::kNone;
      }
    case Msg::kEvent:
      return field == 3 ? Msg::kKeyValue : Msg::kNone;
    case Msg::kLink:
      return field == 4 ? Msg::kKeyValue : Msg::kNone;
    case Msg::kKeyValue:
      return field == 2 ? Msg::kAnyValue : Msg::kNone;
    case Msg::kAnyValue:
      return field == 5 ? Msg::kArray : field == 6 ? Msg::kKvList : Msg::kNone;
    case Msg::kArray:
      return field == 1 ? Msg::kAnyValue : Msg::kNone;
    case Msg::kKvList:
      return field == 1 ? Msg::kKeyValue : Msg::kNone;
    default:
      return Msg::kNone;
  }
}

struct Walker {
  uint64_t sum = 0;
  uint64_t spans = 0;

  static bool ReadVarint(const uint8_t*& p, const uint8_t* end, uint64_t& v) {
    if (p < end && *p < 0x80) {  // one-byte varints (most tags and lengths) take the short path
      v = *p++;
      return true;
    }
    v = 0;
    for (int shift = 0; shift < 64 && p < end; shift += 7) {
      const uint8_t b = *p++;
      v |= static_cast<uint64_t>(b & 0x7f) << shift;
      if (b < 0x80) return true;
    }
    return false;
  }

  bool Walk(const uint8_t* p, const uint8_t* end, Msg m, int depth) {
    if (depth > 64) return false;
    if (m == Msg::kSpan) ++spans;
    while (p < end) {
      uint64_t tag;
      if (!ReadVarint(p, end, tag)) return false;
      const uint32_t field = static_cast<uint32_t>(tag >> 3);
      uint64_t v;
      switch (tag & 7) {
        case 0:
          if (!ReadVarint(p, end, v)) return false;
          sum += v;
          break;
        case 1:
          if (end - p < 8) return false;
          std::memcpy(&v, p, 8);
          p += 8;
          sum += v;
          break;
        case 5: {
          if (end - p < 4) return false;
          uint32_t v32;
          std::memcpy(&v32, p, 4);
          p += 4;
          sum += v32;
          break;
        }
        case 2: {
          if (!ReadVarint(p, end, v) || v > static_cast<uint64_t>(end - p)) return false;
          const Msg child = Child(m, field);
          if (child != Msg::kNone) {
            if (!Walk(p, p + v, child, depth + 1)) return false;
          } else {
            sum += v + (v > 0 ? p[0] : 0);
          }
          p += v;
          break;
        }
        default:
          return false;
      }
    }
    return true;
  }
};

uint64_t WireWalkPass(const W1Corpus& corpus) {
  Walker walker;
  for (const std::string& bytes : corpus.otlp_proto) {
    const auto* p = reinterpret_cast<const uint8_t*>(bytes.data());
    if (!walker.Walk(p, p + bytes.size(), Msg::kRequest, 0)) {
      std::fprintf(stderr, "skua_baselines: wire walk failed on a W1 request\n");
      std::exit(1);
    }
  }
  g_sink = walker.sum;
  return walker.spans;
}

// --- simdjson on-demand walk -------------------------------------------------------------------
// Visits every key and value of the OTLP/JSON form: keys and strings unescaped, numbers parsed.

simdjson::error_code WalkJson(simdjson::ondemand::value value, uint64_t& sum, int depth) {
  if (depth > 64) return simdjson::DEPTH_ERROR;
  simdjson::ondemand::json_type type;
  if (auto err = value.type().get(type)) return err;
  switch (type) {
    case simdjson::ondemand::json_type::object: {
      simdjson::ondemand::object object;
      if (auto err = value.get_object().get(object)) return err;
      for (auto field : object) {
        std::string_view key;
        if (auto err = field.unescaped_key().get(key)) return err;
        sum += key.size();
        simdjson::ondemand::value child;
        if (auto err = field.value().get(child)) return err;
        if (auto err = WalkJson(child, sum, depth + 1)) return err;
      }
      return simdjson::SUCCESS;
    }
    case simdjson::ondemand::json_type::array: {
      simdjson::ondemand::array array;
      if (auto err = value.get_array().get(array)) return err;
      for (auto element : array) {
        simdjson::ondemand::value child;
        if (auto err = element.get(child)) return err;
        if (auto err = WalkJson(child, sum, depth + 1)) return err;
      }
      return simdjson::SUCCESS;
    }
    case simdjson::ondemand::json_type::string: {
      std::string_view s;
      if (auto err = value.get_string().get(s)) return err;
      sum += s.size();
      return simdjson::SUCCESS;
    }
    case simdjson::ondemand::json_type::number: {
      double d;
      if (auto err = value.get_double().get(d)) return err;
      sum += static_cast<uint64_t>(d);
      return simdjson::SUCCESS;
    }
    case simdjson::ondemand::json_type::boolean: {
      bool b;
      if (auto err = value.get_bool().get(b)) return err;
      sum += b;
      return simdjson::SUCCESS;
    }
    case simdjson::ondemand::json_type::null:
      return simdjson::SUCCESS;
  }
  return simdjson::SUCCESS;
}

uint64_t SimdjsonWalkPass(const W1Corpus& corpus, const std::vector<simdjson::padded_string>& docs,
                          simdjson::ondemand::parser& parser) {
  uint64_t sum = 0;
  for (const auto& json : docs) {
    simdjson::ondemand::document doc;
    simdjson::ondemand::value root;
    if (parser.iterate(json).get(doc) || doc.get_value().get(root) || WalkJson(root, sum, 0)) {
      std::fprintf(stderr, "skua_baselines: simdjson walk failed on a W1 request\n");
      std::exit(1);
    }
  }
  g_sink = sum;
  return corpus.spans;
}

// --- zstd ---------------------------------------------------------------------------------------

// Compressed bytes per span when each export request is compressed on its own (what a store that
// compresses per batch gets), and when the corpus is compressed in 4 MiB blocks.
std::pair<double, double> ZstdBytesPerSpan(const W1Corpus& corpus, int level) {
  std::string out;
  uint64_t per_request = 0;
  ZSTD_CCtx* cctx = ZSTD_createCCtx();
  for (const std::string& bytes : corpus.otlp_proto) {
    out.resize(ZSTD_compressBound(bytes.size()));
    size_t n = ZSTD_compressCCtx(cctx, out.data(), out.size(), bytes.data(), bytes.size(), level);
    if (ZSTD_isError(n)) std::exit(1);
    per_request += n;
  }
  uint64_t blocked = 0;
  std::string block;
  auto flush = [&] {
    if (block.empty()) return;
    out.resize(ZSTD_compressBound(block.size()));
    size_t n = ZSTD_compressCCtx(cctx, out.data(), out.size(), block.data(), block.size(), level);
    if (ZSTD_isError(n)) std::exit(1);
    blocked += n;
    block.clear();
  };
  for (const std::string& bytes : corpus.otlp_proto) {
    block += bytes;
    if (block.size() >= (4u << 20)) flush();
  }
  flush();
  ZSTD_freeCCtx(cctx);
  const double spans = static_cast<double>(corpus.spans);
  return {static_cast<double>(per_request) / spans, static_cast<double>(blocked) / spans};
}

// --- fdatasync ---------------------------------------------------------------------------------

// Latencies (µs) of appending 4 KiB to a file and fdatasync-ing it, as a write-ahead log would.
std::vector<double> FdatasyncMicros(const Flags& flags) {
  std::string path = flags.dir + "/skua_baselines_fsync." + std::to_string(getpid());
  int fd = open(path.c_str(), O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC, 0600);
  if (fd < 0) {
    std::fprintf(stderr, "skua_baselines: cannot create %s: %s\n", path.c_str(),
                 std::strerror(errno));
    std::exit(1);
  }
  std::string page(4096, 'w');
  std::vector<double> micros;
  for (int i = 0; i < flags.syncs; ++i) {
    const auto start = std::chrono::steady_clock::now();
    if (pwrite(fd, page.data(), page.size(), static_cast<off_t>(i) * 4096) !=
            static_cast<ssize_t>(page.size()) ||
        fdatasync(fd) != 0) {
      std::fprintf(stderr, "skua_baselines: write/fdatasync failed: %s\n", std::strerror(errno));
      std::exit(1);
    }
    micros.push_back(
        std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start)
            .count());
  }
  close(fd);
  unlink(path.c_str());
  return micros;
}

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t i = static_cast<size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(i, v.size() - 1)];
}

// --- main ---------------------------------------------------------------------------------------

bool ParseFlag(std::string_view arg, std::string_view name, std::string_view& value) {
  if (arg.substr(0, name.size()) != name) return false;
  if (arg.size() == name.size()) {
    value = {};
    return true;
  }
  if (arg[name.size()] != '=') return false;
  value = arg.substr(name.size() + 1);
  return true;
}

int Usage(const char* error) {
  if (error != nullptr) std::fprintf(stderr, "skua_baselines: %s\n", error);
  std::fprintf(
      error ? stderr : stdout,
      "usage: skua_baselines [--spans=N] [--reps=R] [--min-time=SECONDS] [--syncs=K]\n"
      "                      [--dir=DIR] [--json]\n"
      "Measures the baselines of workload-and-targets §2 on a W1 corpus of N spans\n"
      "(default 100000): libprotobuf parse, zero-copy wire walk, simdjson walk, protobuf's\n"
      "JSON parser, zstd-3 size, libprotobuf in-memory size, fdatasync of 4 KiB (K times,\n"
      "in DIR).\n");
  return error ? 2 : 0;
}

int Main(int argc, char** argv) {
  Flags flags;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i], v;
    if (arg == "--help" || arg == "-h") return Usage(nullptr);
    if (ParseFlag(arg, "--json", v)) {
      flags.json = true;
    } else if (ParseFlag(arg, "--spans", v)) {
      flags.spans = std::strtoull(std::string(v).c_str(), nullptr, 10);
    } else if (ParseFlag(arg, "--reps", v)) {
      flags.reps = std::atoi(std::string(v).c_str());
    } else if (ParseFlag(arg, "--min-time", v)) {
      flags.min_time = std::strtod(std::string(v).c_str(), nullptr);
    } else if (ParseFlag(arg, "--syncs", v)) {
      flags.syncs = std::atoi(std::string(v).c_str());
    } else if (ParseFlag(arg, "--dir", v)) {
      flags.dir = std::string(v);
    } else {
      return Usage(("unknown argument: " + std::string(arg)).c_str());
    }
  }
  if (flags.spans == 0 || flags.reps <= 0 || flags.min_time < 0 || flags.syncs <= 0 ||
      flags.dir.empty()) {
    return Usage("--spans, --reps and --syncs must be positive, --min-time non-negative");
  }

  const W1Corpus corpus = MakeW1Corpus(flags.spans);
  std::vector<Result> results;
  auto add = [&](std::string name, std::string unit, std::vector<double> values) {
    results.push_back({std::move(name), std::move(unit), std::move(values)});
  };
  const double proto_bytes_per_span =
      static_cast<double>(corpus.otlp_proto_bytes) / static_cast<double>(corpus.spans);
  const double json_bytes_per_span =
      static_cast<double>(corpus.otlp_json_bytes) / static_cast<double>(corpus.spans);

  std::vector<double> parse = MeasureRate(flags, [&] { return LibprotobufParsePass(corpus); });
  std::vector<double> parse_mb;
  for (double r : parse) parse_mb.push_back(r * proto_bytes_per_span / 1e6);
  add("libprotobuf_parse", "spans/s", parse);
  add("libprotobuf_parse_mb", "MB/s", parse_mb);

  std::vector<double> walk = MeasureRate(flags, [&] { return WireWalkPass(corpus); });
  std::vector<double> walk_mb;
  for (double r : walk) walk_mb.push_back(r * proto_bytes_per_span / 1e6);
  add("wire_walk", "spans/s", walk);
  add("wire_walk_mb", "MB/s", walk_mb);

  {
    std::vector<simdjson::padded_string> docs;
    for (const std::string& json : corpus.otlp_json) docs.emplace_back(json);
    simdjson::ondemand::parser parser;
    add("simdjson_walk", "spans/s",
        MeasureRate(flags, [&] { return SimdjsonWalkPass(corpus, docs, parser); }));
  }

  // protobuf's JSON parser is ~30x slower than everything else: a few requests suffice.
  add("protobuf_json_parse", "spans/s",
      MeasureRate(flags, [&] { return ProtobufJsonParsePass(corpus, 4); }));

  auto [zstd_request, zstd_block] = ZstdBytesPerSpan(corpus, 3);
  add("zstd3_per_request", "bytes/span", {zstd_request});
  add("zstd3_4mib_blocks", "bytes/span", {zstd_block});
  add("libprotobuf_memory", "bytes/span", {LibprotobufBytesPerSpan(corpus)});

  std::vector<double> syncs = FdatasyncMicros(flags);
  double total = 0;
  for (double s : syncs) total += s;
  add("fdatasync_4k_avg", "us", {total / static_cast<double>(syncs.size())});
  add("fdatasync_4k_p50", "us", {Percentile(syncs, 0.50)});
  add("fdatasync_4k_p99", "us", {Percentile(syncs, 0.99)});

  if (flags.json) {
    std::printf(
        "{\"corpus\":{\"spans\":%zu,\"requests\":%zu,\"otlp_proto_bytes_per_span\":%.1f,"
        "\"otlp_json_bytes_per_span\":%.1f},\"results\":[",
        corpus.spans, corpus.requests.size(), proto_bytes_per_span, json_bytes_per_span);
    for (size_t i = 0; i < results.size(); ++i) {
      std::printf("%s{\"name\":\"%s\",\"unit\":\"%s\",\"values\":[", i ? "," : "",
                  results[i].name.c_str(), results[i].unit.c_str());
      for (size_t j = 0; j < results[i].values.size(); ++j) {
        std::printf("%s%.6g", j ? "," : "", results[i].values[j]);
      }
      std::printf("]}");
    }
    std::printf("]}\n");
  } else {
    std::printf(
        "W1 corpus: %zu spans in %zu requests, %.1f bytes/span OTLP protobuf, %.1f "
        "bytes/span OTLP/JSON\n",
        corpus.spans, corpus.requests.size(), proto_bytes_per_span, json_bytes_per_span);
    for (const Result& r : results) {
      std::vector<double> v = r.values;
      std::sort(v.begin(), v.end());
      std::printf("%-22s %14.6g %-10s (min %.6g, max %.6g, %zu reps)\n", r.name.c_str(),
                  v[v.size() / 2], r.unit.c_str(), v.front(), v.back(), v.size());
    }
  }
  return 0;
}

}  // namespace
}  // namespace skua::bench

int main(int argc, char** argv) { return skua::bench::Main(argc, argv); }
