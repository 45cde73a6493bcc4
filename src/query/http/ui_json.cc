#include "query/http/ui_json.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "base/json.h"

namespace skua::query::http {
namespace {

using model::jaeger::JaegerTrace;
using model::jaeger::Log;
using model::jaeger::Process;
using model::jaeger::Reference;
using model::jaeger::RefType;
using model::jaeger::Span;
using model::jaeger::Tag;
using model::jaeger::TagType;

// JavaScript's Number.MAX_SAFE_INTEGER: int64 values beyond ±this are emitted as strings (§2.4).
constexpr int64_t kMaxSafeInteger = (int64_t{1} << 53) - 1;

inline void AppendUint(uint64_t v, std::string& out) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, static_cast<size_t>(r.ptr - buf));
}

inline void AppendInt(int64_t v, std::string& out) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, static_cast<size_t>(r.ptr - buf));
}

// Go's encoding/json float64 form: shortest round-trip digits, plain notation for
// 1e-6 <= |v| < 1e21, otherwise exponent notation with "e-07" shortened to "e-7". NaN and ±Inf
// (which Go refuses) become the strings "NaN", "Infinity", "-Infinity".
void AppendFloat(double v, std::string& out) {
  if (std::isnan(v)) {
    out.append("\"NaN\"");
    return;
  }
  if (std::isinf(v)) {
    out.append(v > 0 ? "\"Infinity\"" : "\"-Infinity\"");
    return;
  }
  char buf[64];
  double a = std::fabs(v);
  bool exp_form = a != 0 && (a < 1e-6 || a >= 1e21);
  auto r = std::to_chars(buf, buf + sizeof buf, v,
                         exp_form ? std::chars_format::scientific : std::chars_format::fixed);
  size_t len = static_cast<size_t>(r.ptr - buf);
  if (exp_form && len >= 4 && buf[len - 4] == 'e' && buf[len - 3] == '-' && buf[len - 2] == '0') {
    buf[len - 2] = buf[len - 1];
    --len;
  }
  out.append(buf, len);
}

inline void AppendHex64(uint64_t v, std::string& out) {
  char buf[16];
  model::WriteHex64(v, buf);
  out.append(buf, 16);
}

// `"<id>"` with Jaeger's trace ID form (16 hex digits when the high half is zero).
void AppendTraceIdString(const model::TraceId& id, std::string& out) {
  char buf[34];
  buf[0] = '"';
  size_t len;
  if (id.high == 0) {
    model::WriteHex64(id.low, buf + 1);
    len = 17;
  } else {
    model::WriteHex64(id.high, buf + 1);
    model::WriteHex64(id.low, buf + 17);
    len = 33;
  }
  buf[len++] = '"';
  out.append(buf, len);
}

void AppendTag(const Tag& tag, std::string& out) {
  out.append("{\"key\":", 7);
  AppendJsonString(tag.key, out);
  switch (tag.type) {
    case TagType::kString:
      out.append(",\"type\":\"string\",\"value\":");
      AppendJsonString(tag.str, out);
      break;
    case TagType::kBool:
      out.append(",\"type\":\"bool\",\"value\":");
      out.append(tag.bool_value ? "true" : "false");
      break;
    case TagType::kInt64:
      out.append(",\"type\":\"int64\",\"value\":");
      if (tag.int_value > kMaxSafeInteger || tag.int_value < -kMaxSafeInteger) {
        out.push_back('"');
        AppendInt(tag.int_value, out);
        out.push_back('"');
      } else {
        AppendInt(tag.int_value, out);
      }
      break;
    case TagType::kFloat64:
      out.append(",\"type\":\"float64\",\"value\":");
      AppendFloat(tag.float_value, out);
      break;
    case TagType::kBinary:
      out.append(",\"type\":\"binary\",\"value\":\"");
      AppendBase64(tag.str, out);
      out.push_back('"');
      break;
  }
  out.push_back('}');
}

void AppendTags(const std::vector<Tag>& tags, std::string& out) {
  out.push_back('[');
  for (size_t i = 0; i < tags.size(); ++i) {
    if (i > 0) out.push_back(',');
    AppendTag(tags[i], out);
  }
  out.push_back(']');
}

void AppendWarnings(const std::vector<std::string>& warnings, std::string& out) {
  if (warnings.empty()) {
    out.append("null", 4);
    return;
  }
  out.push_back('[');
  for (size_t i = 0; i < warnings.size(); ++i) {
    if (i > 0) out.push_back(',');
    AppendJsonString(warnings[i], out);
  }
  out.push_back(']');
}

// Maps process indices to p1, p2, … in order of first use; processes equal in content (the
// adjusters may make two entries equal) share an ID.
class ProcessIds {
 public:
  explicit ProcessIds(const JaegerTrace& trace)
      : trace_(trace), id_of_index_(trace.processes.size() + 1, 0) {}

  // Returns the 1-based ID for the span's process.
  uint32_t IdFor(size_t index) {
    // An out-of-range index (a bug upstream) maps to one shared empty process.
    size_t slot = index < trace_.processes.size() ? index : trace_.processes.size();
    if (id_of_index_[slot] != 0) return id_of_index_[slot];
    const Process& p = ProcessAt(slot);
    uint32_t id = 0;
    if (distinct_.size() < kLinearLimit) {
      // Few processes (the usual case): comparing is cheaper than hashing, and a differing
      // service name ends the comparison at once.
      for (size_t i = 0; i < distinct_.size() && id == 0; ++i) {
        if (model::jaeger::ProcessEquals(ProcessAt(distinct_[i]), p))
          id = static_cast<uint32_t>(i + 1);
      }
    } else {
      if (by_hash_.empty()) {
        for (size_t i = 0; i < distinct_.size(); ++i) {
          by_hash_[model::jaeger::ProcessHash(ProcessAt(distinct_[i]))].push_back(
              static_cast<uint32_t>(i + 1));
        }
      }
      std::vector<uint32_t>& bucket = by_hash_[model::jaeger::ProcessHash(p)];
      for (uint32_t candidate : bucket) {
        if (model::jaeger::ProcessEquals(ProcessAt(distinct_[candidate - 1]), p)) {
          id = candidate;
          break;
        }
      }
      if (id == 0) bucket.push_back(static_cast<uint32_t>(distinct_.size() + 1));
    }
    if (id == 0) {
      distinct_.push_back(slot);
      id = static_cast<uint32_t>(distinct_.size());
    }
    id_of_index_[slot] = id;
    return id;
  }

  const Process& ProcessAt(size_t slot) const {
    static const Process kEmpty;
    return slot < trace_.processes.size() ? trace_.processes[slot] : kEmpty;
  }
  // Process slot per ID (index id-1).
  const std::vector<size_t>& distinct() const { return distinct_; }

 private:
  // Up to this many distinct processes are compared linearly; beyond, a hash index is built.
  static constexpr size_t kLinearLimit = 32;

  const JaegerTrace& trace_;
  std::vector<uint32_t> id_of_index_;
  std::vector<size_t> distinct_;
  absl::flat_hash_map<size_t, std::vector<uint32_t>> by_hash_;
};

void AppendSpan(const Span& span, std::string_view trace_id_json, uint32_t process_id,
                std::string& out) {
  out.append("{\"traceID\":", 11);
  out.append(trace_id_json);
  out.append(",\"spanID\":\"", 11);
  AppendHex64(span.span_id.value, out);
  out.push_back('"');
  if (span.flags != 0) {
    out.append(",\"flags\":", 9);
    AppendUint(span.flags, out);
  }
  out.append(",\"operationName\":", 17);
  AppendJsonString(span.operation_name, out);
  out.append(",\"references\":[", 15);
  for (size_t i = 0; i < span.references.size(); ++i) {
    const Reference& ref = span.references[i];
    if (i > 0) out.push_back(',');
    out.append(ref.type == RefType::kChildOf ? "{\"refType\":\"CHILD_OF\",\"traceID\":"
                                             : "{\"refType\":\"FOLLOWS_FROM\",\"traceID\":");
    AppendTraceIdString(ref.trace_id, out);
    out.append(",\"spanID\":\"", 11);
    AppendHex64(ref.span_id.value, out);
    out.append("\"}", 2);
  }
  out.append("],\"startTime\":", 14);
  AppendUint(span.start_time_us, out);
  out.append(",\"duration\":", 12);
  AppendUint(span.duration_us, out);
  out.append(",\"tags\":", 8);
  AppendTags(span.tags, out);
  out.append(",\"logs\":[", 9);
  for (size_t i = 0; i < span.logs.size(); ++i) {
    const Log& log = span.logs[i];
    if (i > 0) out.push_back(',');
    out.append("{\"timestamp\":", 13);
    AppendUint(log.timestamp_us, out);
    out.append(",\"fields\":", 10);
    AppendTags(log.fields, out);
    out.push_back('}');
  }
  out.append("],\"processID\":\"p", 16);
  AppendUint(process_id, out);
  out.append("\",\"warnings\":", 13);
  AppendWarnings(span.warnings, out);
  out.push_back('}');
}

}  // namespace

void AppendTraceJson(const JaegerTrace& trace, std::string& out) {
  // Trace-level traceID: the first span's (empty without spans).
  std::string trace_id_json;
  if (!trace.spans.empty()) {
    AppendTraceIdString(trace.spans.front().trace_id, trace_id_json);
  } else {
    trace_id_json = "\"\"";
  }
  out.append("{\"traceID\":", 11);
  out.append(trace_id_json);
  out.append(",\"spans\":[", 10);

  ProcessIds ids(trace);
  std::string span_trace_id = trace_id_json;
  model::TraceId cached = trace.spans.empty() ? model::TraceId{} : trace.spans.front().trace_id;
  for (size_t i = 0; i < trace.spans.size(); ++i) {
    const Span& span = trace.spans[i];
    if (i > 0) out.push_back(',');
    if (span.trace_id != cached) {
      cached = span.trace_id;
      span_trace_id.clear();
      AppendTraceIdString(cached, span_trace_id);
    }
    AppendSpan(span, span_trace_id, ids.IdFor(span.process_index), out);
  }

  // Go's encoding/json writes map keys sorted as strings ("p1" < "p10" < "p2"); do the same.
  const std::vector<size_t>& distinct = ids.distinct();
  std::vector<uint32_t> order(distinct.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = static_cast<uint32_t>(i + 1);
  std::sort(order.begin(), order.end(), [](uint32_t a, uint32_t b) {
    char x[12], y[12];
    auto rx = std::to_chars(x, x + sizeof x, a);
    auto ry = std::to_chars(y, y + sizeof y, b);
    return std::string_view(x, static_cast<size_t>(rx.ptr - x)) <
           std::string_view(y, static_cast<size_t>(ry.ptr - y));
  });
  out.append("],\"processes\":{", 15);
  for (size_t i = 0; i < order.size(); ++i) {
    if (i > 0) out.push_back(',');
    const Process& p = ids.ProcessAt(distinct[order[i] - 1]);
    out.append("\"p", 2);
    AppendUint(order[i], out);
    out.append("\":{\"serviceName\":", 17);
    AppendJsonString(p.service_name, out);
    out.append(",\"tags\":", 8);
    AppendTags(p.tags, out);
    out.push_back('}');
  }
  out.append("},\"warnings\":", 13);
  AppendWarnings(trace.warnings, out);
  out.push_back('}');
}

std::string PrettyPrintJson(std::string_view json) {
  // Go's json.MarshalIndent(v, "", "    ") layout: one member per line, "key": value, and empty
  // objects/arrays kept as {} / []. Whitespace outside strings in the input is dropped.
  std::string out;
  out.reserve(json.size() * 2);
  int depth = 0;
  auto newline = [&](int d) {
    out.push_back('\n');
    out.append(static_cast<size_t>(std::max(d, 0)) * 4, ' ');
  };
  auto next_significant = [&](size_t from) {
    while (from < json.size() &&
           (json[from] == ' ' || json[from] == '\n' || json[from] == '\r' || json[from] == '\t')) {
      ++from;
    }
    return from;
  };
  for (size_t i = 0; i < json.size(); ++i) {
    char c = json[i];
    switch (c) {
      case '"': {
        // Copy the whole string literal, honouring escapes.
        size_t j = i + 1;
        while (j < json.size() && json[j] != '"') j += json[j] == '\\' ? 2 : 1;
        size_t end = std::min(j + 1, json.size());
        out.append(json.substr(i, end - i));
        i = end - 1;
        break;
      }
      case '{':
      case '[': {
        char close = c == '{' ? '}' : ']';
        size_t k = next_significant(i + 1);
        if (k < json.size() && json[k] == close) {
          out.push_back(c);
          out.push_back(close);
          i = k;
        } else {
          out.push_back(c);
          newline(++depth);
        }
        break;
      }
      case '}':
      case ']':
        newline(--depth);
        out.push_back(c);
        break;
      case ',':
        out.push_back(',');
        newline(depth);
        break;
      case ':':
        out.append(": ", 2);
        break;
      case ' ':
      case '\n':
      case '\r':
      case '\t':
        break;
      default:
        out.push_back(c);
    }
  }
  return out;
}

}  // namespace skua::query::http
