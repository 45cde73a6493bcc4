#include "query/adjusters.h"

#include <algorithm>
#include <bit>
#include <cstdio>
#include <limits>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"

namespace skua::query {
namespace {

using model::SpanId;
using model::TraceId;
using model::jaeger::JaegerTrace;
using model::jaeger::Log;
using model::jaeger::Process;
using model::jaeger::Reference;
using model::jaeger::RefType;
using model::jaeger::Span;
using model::jaeger::Tag;
using model::jaeger::TagType;

// --- Go-compatible renderings used in warning texts ---

// Appends the decimal digits of `u` in front of position `w` of `buf`.
void FmtInt(char* buf, int& w, uint64_t u) {
  if (u == 0) {
    buf[--w] = '0';
    return;
  }
  while (u > 0) {
    buf[--w] = static_cast<char>('0' + u % 10);
    u /= 10;
  }
}

// Appends the `prec` low decimal digits of `u` as a fraction (trailing zeros and a bare point
// omitted) in front of position `w`, and leaves the integer part in `u`.
void FmtFrac(char* buf, int& w, uint64_t& u, int prec) {
  bool print = false;
  for (int i = 0; i < prec; ++i) {
    int digit = static_cast<int>(u % 10);
    print = print || digit != 0;
    if (print) buf[--w] = static_cast<char>('0' + digit);
    u /= 10;
  }
  if (print) buf[--w] = '.';
}

// Go's time.Duration.String() ("1.5ms", "250µs", "1m30s", "-2s", "0s") for `ns` nanoseconds:
// Jaeger's clock-skew warnings print durations with %v.
std::string GoDuration(int64_t ns) {
  char buf[40];
  int w = sizeof buf;
  bool neg = ns < 0;
  uint64_t u = neg ? 0 - static_cast<uint64_t>(ns) : static_cast<uint64_t>(ns);
  if (u == 0) return "0s";
  if (u < 1'000'000'000) {
    int prec;
    buf[--w] = 's';
    if (u < 1'000) {
      prec = 0;
      buf[--w] = 'n';
    } else if (u < 1'000'000) {
      prec = 3;
      buf[--w] = '\xB5';  // "µ" (U+00B5) in UTF-8
      buf[--w] = '\xC2';
    } else {
      prec = 6;
      buf[--w] = 'm';
    }
    FmtFrac(buf, w, u, prec);
    FmtInt(buf, w, u);
  } else {
    buf[--w] = 's';
    FmtFrac(buf, w, u, 9);
    FmtInt(buf, w, u % 60);
    u /= 60;
    if (u > 0) {
      buf[--w] = 'm';
      FmtInt(buf, w, u % 60);
      u /= 60;
      if (u > 0) {
        buf[--w] = 'h';
        FmtInt(buf, w, u);
      }
    }
  }
  if (neg) buf[--w] = '-';
  return std::string(buf + w, sizeof buf - w);
}

std::string Hex16(uint64_t v) {
  std::string s(16, '0');
  model::WriteHex64(v, s.data());
  return s;
}

std::string DottedIpv4(uint32_t v) {
  char buf[16];
  int n = snprintf(buf, sizeof buf, "%u.%u.%u.%u", (v >> 24) & 255, (v >> 16) & 255, (v >> 8) & 255,
                   v & 255);
  return std::string(buf, static_cast<size_t>(n));
}

// Go's net.IP.String() for 4- or 16-byte addresses: dotted IPv4 (also for IPv4-mapped IPv6),
// otherwise RFC 5952 text (longest run of two or more zero groups shortened to "::").
std::string IpString(std::string_view bytes) {
  auto b = [&](size_t i) { return static_cast<uint8_t>(bytes[i]); };
  if (bytes.size() == 4) {
    return DottedIpv4((uint32_t{b(0)} << 24) | (uint32_t{b(1)} << 16) | (uint32_t{b(2)} << 8) |
                      b(3));
  }
  bool mapped = b(10) == 0xff && b(11) == 0xff;
  for (size_t i = 0; i < 10 && mapped; ++i) mapped = b(i) == 0;
  if (mapped) {
    return DottedIpv4((uint32_t{b(12)} << 24) | (uint32_t{b(13)} << 16) | (uint32_t{b(14)} << 8) |
                      b(15));
  }
  uint16_t groups[8];
  for (int i = 0; i < 8; ++i) groups[i] = static_cast<uint16_t>((b(2 * i) << 8) | b(2 * i + 1));
  int best_start = -1, best_len = 0;
  for (int i = 0; i < 8;) {
    if (groups[i] != 0) {
      ++i;
      continue;
    }
    int j = i;
    while (j < 8 && groups[j] == 0) ++j;
    if (j - i >= 2 && j - i > best_len) {
      best_start = i;
      best_len = j - i;
    }
    i = j;
  }
  std::string out;
  for (int i = 0; i < 8; ++i) {
    if (i == best_start) {
      out += "::";
      i += best_len - 1;
      continue;
    }
    if (!out.empty() && out.back() != ':') out += ':';
    char buf[8];
    int n = snprintf(buf, sizeof buf, "%x", groups[i]);
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

// The host identity of a span for clock-skew purposes: its process's first `ip` tag.
std::string HostKey(const JaegerTrace& trace, const Span& span) {
  if (span.process_index >= trace.processes.size()) return "";
  for (const Tag& tag : trace.processes[span.process_index].tags) {
    if (tag.key != "ip") continue;
    switch (tag.type) {
      case TagType::kString:
        return std::string(tag.str);
      case TagType::kInt64:
        return DottedIpv4(static_cast<uint32_t>(tag.int_value));
      case TagType::kBinary:
        if (tag.str.size() == 4 || tag.str.size() == 16) return IpString(tag.str);
        return "";
      default:
        return "";
    }
  }
  return "";
}

// Total order on tags: key, then type, then value (Jaeger's KeyValues.Sort).
int CompareTags(const Tag& a, const Tag& b) {
  if (int c = a.key.compare(b.key); c != 0) return c;
  if (a.type != b.type) return a.type < b.type ? -1 : 1;
  switch (a.type) {
    case TagType::kString:
    case TagType::kBinary:
      return a.str.compare(b.str);
    case TagType::kBool:
      return a.bool_value == b.bool_value ? 0 : (a.bool_value ? 1 : -1);
    case TagType::kInt64:
      return a.int_value == b.int_value ? 0 : (a.int_value < b.int_value ? -1 : 1);
    case TagType::kFloat64: {
      if (a.float_value < b.float_value) return -1;
      if (a.float_value > b.float_value) return 1;
      uint64_t x = std::bit_cast<uint64_t>(a.float_value);
      uint64_t y = std::bit_cast<uint64_t>(b.float_value);
      return x == y ? 0 : (x < y ? -1 : 1);
    }
  }
  return 0;
}

void SortTags(std::vector<Tag>::iterator begin, std::vector<Tag>::iterator end) {
  std::sort(begin, end, [](const Tag& a, const Tag& b) { return CompareTags(a, b) < 0; });
}

std::string_view RefTypeName(RefType t) {
  return t == RefType::kChildOf ? "CHILD_OF" : "FOLLOWS_FROM";
}

// Jaeger's TraceID.String(): 16 hex digits when the high half is zero, else 32.
std::string TraceIdString(const TraceId& id) { return id.ToJaegerHex(); }

// Saturating conversion of a 128-bit intermediate to int64.
int64_t Saturate(__int128 v) {
  if (v > std::numeric_limits<int64_t>::max()) return std::numeric_limits<int64_t>::max();
  if (v < std::numeric_limits<int64_t>::min()) return std::numeric_limits<int64_t>::min();
  return static_cast<int64_t>(v);
}

// Applies `delta_ns` to a µs timestamp, clamped to the representable range.
uint64_t ShiftMicros(uint64_t us, int64_t delta_ns) {
  __int128 ns = static_cast<__int128>(us) * 1000 + delta_ns;
  if (ns < 0) return 0;
  __int128 shifted = ns / 1000;
  if (shifted > static_cast<__int128>(std::numeric_limits<uint64_t>::max())) {
    return std::numeric_limits<uint64_t>::max();
  }
  return static_cast<uint64_t>(shifted);
}

// The clock-skew delta (ns) for `child` against its already-adjusted `parent` (Jaeger's
// calculateSkew), on nanosecond timelines.
int64_t CalculateSkew(__int128 parent_start, __int128 parent_dur, __int128 child_start,
                      __int128 child_dur) {
  if (child_dur > parent_dur) {
    // Async child, or the parent timed out: only make sure the child does not start earlier.
    return child_start < parent_start ? Saturate(parent_start - child_start) : 0;
  }
  if (child_start >= parent_start && child_start + child_dur <= parent_start + parent_dur) {
    return 0;  // already inside the parent
  }
  // Assume the network latency splits evenly between request and response.
  __int128 latency = (parent_dur - child_dur) / 2;
  return Saturate(parent_start + latency - child_start);
}

}  // namespace

void DedupeSpanIds(JaegerTrace& trace) { model::jaeger::DedupeSharedSpanIds(trace); }

void AdjustClockSkew(JaegerTrace& trace, uint64_t max_adjustment_us) {
  const size_t n = trace.spans.size();
  const int64_t max_delta =
      max_adjustment_us > static_cast<uint64_t>(std::numeric_limits<int64_t>::max() / 1000)
          ? std::numeric_limits<int64_t>::max()
          : static_cast<int64_t>(max_adjustment_us * 1000);

  // One node per distinct span ID (the first span wins; later duplicates are left alone).
  struct Node {
    size_t span;
    std::string host;
    std::vector<size_t> children;  // node indices
    __int128 start_ns;             // adjusted as the walk proceeds
  };
  std::vector<Node> nodes;
  nodes.reserve(n);
  absl::flat_hash_map<uint64_t, size_t> node_by_id;
  node_by_id.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    Span& s = trace.spans[i];
    auto [it, inserted] = node_by_id.try_emplace(s.span_id.value, nodes.size());
    if (!inserted) {
      s.warnings.emplace_back("duplicate span IDs; skipping clock skew adjustment");
      continue;
    }
    nodes.push_back(Node{i, HostKey(trace, s), {}, static_cast<__int128>(s.start_time_us) * 1000});
  }

  std::vector<size_t> roots;
  for (size_t k = 0; k < nodes.size(); ++k) {
    Span& s = trace.spans[nodes[k].span];
    SpanId parent = s.ParentSpanId();
    if (parent.IsZero()) {
      roots.push_back(k);
      continue;
    }
    auto it = node_by_id.find(parent.value);
    if (it != node_by_id.end()) {
      nodes[it->second].children.push_back(k);
    } else {
      s.warnings.push_back("invalid parent span IDs=" + Hex16(parent.value) +
                           "; skipping clock skew adjustment");
      roots.push_back(k);  // a span with an unknown parent is treated as a root
    }
  }

  auto adjust_timestamps = [&](Node& node, int64_t delta) {
    if (delta == 0) return;
    Span& s = trace.spans[node.span];
    uint64_t magnitude =
        delta < 0 ? 0 - static_cast<uint64_t>(delta) : static_cast<uint64_t>(delta);
    if (magnitude > static_cast<uint64_t>(max_delta)) {
      if (max_delta == 0) {
        s.warnings.push_back("clock skew adjustment disabled; not applying calculated delta of " +
                             GoDuration(delta));
      } else {
        s.warnings.push_back("max clock skew adjustment delta of " + GoDuration(max_delta) +
                             " exceeded; not applying calculated delta of " + GoDuration(delta));
      }
      return;
    }
    node.start_ns += delta;
    s.start_time_us = ShiftMicros(s.start_time_us, delta);
    s.warnings.push_back("This span's timestamps were adjusted by " + GoDuration(delta));
    for (Log& log : s.logs) log.timestamp_us = ShiftMicros(log.timestamp_us, delta);
  };

  // Depth-first from each root, iteratively (traces can be arbitrarily deep). Each frame carries
  // the skew in force: a child on the same (known) host inherits it, any other child gets its own
  // delta computed against its already-adjusted parent.
  struct Frame {
    size_t node;
    size_t parent;  // SIZE_MAX for a root
    int64_t delta;
    const std::string* host;
  };
  std::vector<Frame> stack;
  for (size_t root : roots) {
    stack.push_back(Frame{root, SIZE_MAX, 0, &nodes[root].host});
    while (!stack.empty()) {
      Frame f = stack.back();
      stack.pop_back();
      Node& node = nodes[f.node];
      if (f.parent != SIZE_MAX && (node.host != *f.host || node.host.empty())) {
        const Node& parent = nodes[f.parent];
        const Span& ps = trace.spans[parent.span];
        const Span& cs = trace.spans[node.span];
        f.host = &node.host;
        f.delta = CalculateSkew(parent.start_ns, static_cast<__int128>(ps.duration_us) * 1000,
                                node.start_ns, static_cast<__int128>(cs.duration_us) * 1000);
      }
      adjust_timestamps(node, f.delta);
      for (auto c = node.children.rbegin(); c != node.children.rend(); ++c) {
        stack.push_back(Frame{*c, f.node, f.delta, f.host});
      }
    }
  }
}

void AdjustIpTags(JaegerTrace& trace) {
  auto adjust = [&trace](std::vector<Tag>& tags) {
    for (Tag& tag : tags) {
      if (tag.type != TagType::kInt64 || (tag.key != "ip" && tag.key != "peer.ipv4")) continue;
      std::string dotted = DottedIpv4(static_cast<uint32_t>(tag.int_value));
      tag = Tag::String(tag.key, trace.arena.CopyString(dotted));
    }
  };
  for (Span& span : trace.spans) adjust(span.tags);
  for (Process& process : trace.processes) {
    adjust(process.tags);
    SortTags(process.tags.begin(), process.tags.end());
  }
}

void MoveOtelTagsToProcess(JaegerTrace& trace) {
  static constexpr std::string_view kOtelKeys[] = {"telemetry.sdk.language", "telemetry.sdk.name",
                                                   "telemetry.sdk.version", "telemetry.distro.name",
                                                   "telemetry.distro.version"};
  auto is_otel_key = [](std::string_view key) {
    return std::find(std::begin(kOtelKeys), std::end(kOtelKeys), key) != std::end(kOtelKeys);
  };
  for (Process& process : trace.processes) SortTags(process.tags.begin(), process.tags.end());

  // Processes are shared between spans, so a span whose tags move gets a (possibly new) process
  // equal to its old one plus the moved tags; equal results share one entry.
  absl::flat_hash_map<size_t, std::vector<size_t>> by_hash;
  bool indexed = false;
  auto find_or_add = [&](Process p) -> size_t {
    if (!indexed) {
      for (size_t i = 0; i < trace.processes.size(); ++i) {
        by_hash[model::jaeger::ProcessHash(trace.processes[i])].push_back(i);
      }
      indexed = true;
    }
    size_t h = model::jaeger::ProcessHash(p);
    std::vector<size_t>& bucket = by_hash[h];
    for (size_t i : bucket) {
      if (model::jaeger::ProcessEquals(trace.processes[i], p)) return i;
    }
    trace.processes.push_back(std::move(p));
    bucket.push_back(trace.processes.size() - 1);
    return trace.processes.size() - 1;
  };

  std::vector<Tag> moved;
  for (Span& span : trace.spans) {
    moved.clear();
    size_t kept = 0;
    for (size_t i = 0; i < span.tags.size(); ++i) {
      if (is_otel_key(span.tags[i].key)) {
        moved.push_back(span.tags[i]);
      } else {
        span.tags[kept++] = span.tags[i];
      }
    }
    if (moved.empty()) continue;
    span.tags.resize(kept);
    Process p;
    if (span.process_index < trace.processes.size()) p = trace.processes[span.process_index];
    p.tags.insert(p.tags.end(), moved.begin(), moved.end());
    SortTags(p.tags.begin(), p.tags.end());
    span.process_index = find_or_add(std::move(p));
  }
}

void SortLogFields(JaegerTrace& trace) {
  for (Span& span : trace.spans) {
    for (Log& log : span.logs) {
      size_t offset = 0;
      for (size_t i = 0; i < log.fields.size(); ++i) {
        if (log.fields[i].key == "event" && log.fields[i].type == TagType::kString) {
          if (i > 0) std::swap(log.fields[0], log.fields[i]);
          offset = 1;
          break;
        }
      }
      if (log.fields.size() > 1) SortTags(log.fields.begin() + offset, log.fields.end());
    }
  }
}

void RemoveInvalidReferences(JaegerTrace& trace) {
  for (Span& span : trace.spans) {
    auto invalid = [](const Reference& r) { return r.trace_id.IsZero(); };
    if (std::none_of(span.references.begin(), span.references.end(), invalid)) continue;
    std::vector<Reference> kept;
    kept.reserve(span.references.size());
    for (const Reference& ref : span.references) {
      if (!invalid(ref)) {
        kept.push_back(ref);
        continue;
      }
      // Go's %+v of the reference struct.
      span.warnings.push_back("Invalid span reference removed {TraceID:" +
                              TraceIdString(ref.trace_id) + " SpanID:" + Hex16(ref.span_id.value) +
                              " RefType:" + std::string(RefTypeName(ref.type)) + "}");
    }
    span.references = std::move(kept);
  }
}

void ParentReferenceFirst(JaegerTrace& trace) {
  for (Span& span : trace.spans) {
    int first_child_of = -1;
    int first_other = -1;
    for (size_t i = 0; i < span.references.size(); ++i) {
      const Reference& ref = span.references[i];
      if (ref.trace_id != span.trace_id) continue;
      if (ref.type == RefType::kChildOf) {
        first_child_of = static_cast<int>(i);
        break;
      }
      if (first_other == -1) first_other = static_cast<int>(i);
    }
    int swap = first_child_of != -1 ? first_child_of : first_other;
    if (swap > 0) std::swap(span.references[0], span.references[static_cast<size_t>(swap)]);
  }
}

void ApplyStandardAdjusters(JaegerTrace& trace, const AdjusterOptions& options) {
  DedupeSpanIds(trace);
  AdjustClockSkew(trace, options.max_clock_skew_adjustment_us);
  AdjustIpTags(trace);
  MoveOtelTagsToProcess(trace);
  SortLogFields(trace);
  RemoveInvalidReferences(trace);
  ParentReferenceFirst(trace);
}

}  // namespace skua::query
