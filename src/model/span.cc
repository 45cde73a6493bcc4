#include "model/span.h"

#include <cinttypes>
#include <cstdio>

#include "base/json.h"

namespace skua::model {

const AnyValue* FindAttribute(Attributes attributes, std::string_view key) {
  for (const KeyValue& kv : attributes) {
    if (kv.key == key) return &kv.value;
  }
  return nullptr;
}

std::string_view SpanKindName(SpanKind kind) {
  switch (kind) {
    case SpanKind::kUnspecified: return "";
    case SpanKind::kInternal: return "internal";
    case SpanKind::kServer: return "server";
    case SpanKind::kClient: return "client";
    case SpanKind::kProducer: return "producer";
    case SpanKind::kConsumer: return "consumer";
  }
  return "";
}

SpanKind SpanKindFromName(std::string_view name) {
  if (name == "internal") return SpanKind::kInternal;
  if (name == "server") return SpanKind::kServer;
  if (name == "client") return SpanKind::kClient;
  if (name == "producer") return SpanKind::kProducer;
  if (name == "consumer") return SpanKind::kConsumer;
  return SpanKind::kUnspecified;
}

bool ValueEquals(const AnyValue& a, const AnyValue& b) {
  if (a.type() != b.type()) return false;
  switch (a.type()) {
    case ValueType::kEmpty: return true;
    case ValueType::kString:
    case ValueType::kBytes: return a.string_value() == b.string_value();
    case ValueType::kBool: return a.bool_value() == b.bool_value();
    case ValueType::kInt: return a.int_value() == b.int_value();
    case ValueType::kDouble: return a.double_value() == b.double_value();
    case ValueType::kArray: {
      auto x = a.array_value(), y = b.array_value();
      if (x.size() != y.size()) return false;
      for (size_t i = 0; i < x.size(); ++i) {
        if (!ValueEquals(x[i], y[i])) return false;
      }
      return true;
    }
    case ValueType::kKvList: return AttributesEqual(a.kvlist_value(), b.kvlist_value());
  }
  return false;
}

bool AttributesEqual(Attributes a, Attributes b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].key != b[i].key || !ValueEquals(a[i].value, b[i].value)) return false;
  }
  return true;
}

bool ResourceEquals(const Resource& a, const Resource& b) {
  return a.dropped_attributes_count == b.dropped_attributes_count && a.schema_url == b.schema_url &&
         AttributesEqual(a.attributes, b.attributes);
}

bool ScopeEquals(const Scope& a, const Scope& b) {
  return a.name == b.name && a.version == b.version &&
         a.dropped_attributes_count == b.dropped_attributes_count && a.schema_url == b.schema_url &&
         AttributesEqual(a.attributes, b.attributes);
}

namespace {
constexpr char kHexDigits[] = "0123456789abcdef";

void AppendDouble(double d, std::string& out, const char* fmt) {
  char buf[32];
  int n = snprintf(buf, sizeof buf, fmt, d);
  out.append(buf, n);
}
}  // namespace

void AppendValueString(const AnyValue& value, std::string& out) {
  switch (value.type()) {
    case ValueType::kEmpty: return;
    case ValueType::kString: out += value.string_value(); return;
    case ValueType::kBool: out += value.bool_value() ? "true" : "false"; return;
    case ValueType::kInt: {
      char buf[24];
      int n = snprintf(buf, sizeof buf, "%" PRId64, value.int_value());
      out.append(buf, n);
      return;
    }
    case ValueType::kDouble: AppendDouble(value.double_value(), out, "%.10g"); return;
    case ValueType::kBytes:
      for (unsigned char c : value.string_value()) {
        out += kHexDigits[c >> 4];
        out += kHexDigits[c & 15];
      }
      return;
    case ValueType::kArray:
    case ValueType::kKvList: AppendValueJson(value, out); return;
  }
}

std::string ValueToString(const AnyValue& value) {
  std::string s;
  AppendValueString(value, s);
  return s;
}

void AppendValueJson(const AnyValue& value, std::string& out) {
  switch (value.type()) {
    case ValueType::kEmpty: out += "null"; return;
    case ValueType::kString: AppendJsonString(value.string_value(), out); return;
    case ValueType::kBool: out += value.bool_value() ? "true" : "false"; return;
    case ValueType::kInt: AppendValueString(value, out); return;
    case ValueType::kDouble: {
      double d = value.double_value();
      if (d != d || d - d != 0) {  // NaN or infinity: not representable in JSON
        AppendJsonString(d != d ? "NaN" : (d > 0 ? "Infinity" : "-Infinity"), out);
      } else {
        AppendDouble(d, out, "%.17g");
      }
      return;
    }
    case ValueType::kBytes:
      out += '"';
      AppendBase64(value.string_value(), out);
      out += '"';
      return;
    case ValueType::kArray: {
      out += '[';
      bool first = true;
      for (const AnyValue& v : value.array_value()) {
        if (!first) out += ',';
        first = false;
        AppendValueJson(v, out);
      }
      out += ']';
      return;
    }
    case ValueType::kKvList: {
      out += '{';
      bool first = true;
      for (const KeyValue& kv : value.kvlist_value()) {
        if (!first) out += ',';
        first = false;
        AppendJsonString(kv.key, out);
        out += ':';
        AppendValueJson(kv.value, out);
      }
      out += '}';
      return;
    }
  }
}

}  // namespace skua::model
