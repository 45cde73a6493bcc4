// Test-only OTLP requests built with the libprotobuf-generated classes (proto/), and checks that a
// decoded SpanSet carries exactly what such a request holds. Shared by the OTLP codec tests.
#pragma once

#include <cstdint>
#include <string>

#include "gtest/gtest.h"
#include "model/span.h"
#include "model/span_set.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.pb.h"

namespace skua::model::convert::testing {

namespace pb_common = ::opentelemetry::proto::common::v1;
namespace pb_trace = ::opentelemetry::proto::trace::v1;
namespace pb_collector = ::opentelemetry::proto::collector::trace::v1;

// 8 big-endian bytes of `v`.
inline std::string BigEndian64(uint64_t v) {
  std::string s(8, '\0');
  for (int i = 7; i >= 0; --i) {
    s[i] = static_cast<char>(v & 0xff);
    v >>= 8;
  }
  return s;
}

inline std::string TraceIdBytes(uint64_t high, uint64_t low) {
  return BigEndian64(high) + BigEndian64(low);
}

inline pb_common::KeyValue* AddString(google::protobuf::RepeatedPtrField<pb_common::KeyValue>* kvs,
                                      const std::string& key, const std::string& value) {
  pb_common::KeyValue* kv = kvs->Add();
  kv->set_key(key);
  kv->mutable_value()->set_string_value(value);
  return kv;
}

inline pb_common::KeyValue* AddInt(google::protobuf::RepeatedPtrField<pb_common::KeyValue>* kvs,
                                   const std::string& key, int64_t value) {
  pb_common::KeyValue* kv = kvs->Add();
  kv->set_key(key);
  kv->mutable_value()->set_int_value(value);
  return kv;
}

// Adds one attribute of every AnyValue kind, including the defaults that only a oneof can carry
// (empty string, false, 0), bytes with NUL and high bytes, nested arrays and maps, and an empty
// value.
inline void AddEveryValueType(google::protobuf::RepeatedPtrField<pb_common::KeyValue>* kvs) {
  AddString(kvs, "str", "hello \"world\"\n\xc3\xa9");
  AddString(kvs, "empty.str", "");
  {
    auto* kv = kvs->Add();
    kv->set_key("bool.true");
    kv->mutable_value()->set_bool_value(true);
  }
  {
    auto* kv = kvs->Add();
    kv->set_key("bool.false");
    kv->mutable_value()->set_bool_value(false);
  }
  AddInt(kvs, "int.neg", -1234567890123LL);
  AddInt(kvs, "int.zero", 0);
  AddInt(kvs, "int.min", INT64_MIN);
  {
    auto* kv = kvs->Add();
    kv->set_key("double");
    kv->mutable_value()->set_double_value(-2.5e-300);
  }
  {
    auto* kv = kvs->Add();
    kv->set_key("bytes");
    kv->mutable_value()->set_bytes_value(std::string("\x00\x01\xfe\xff", 4));
  }
  {
    auto* kv = kvs->Add();
    kv->set_key("array");
    auto* arr = kv->mutable_value()->mutable_array_value();
    arr->add_values()->set_int_value(1);
    arr->add_values()->set_string_value("two");
    auto* inner = arr->add_values()->mutable_array_value();
    inner->add_values()->set_bool_value(true);
    inner->add_values();                       // empty value inside an array
    arr->add_values()->mutable_array_value();  // empty array
  }
  {
    auto* kv = kvs->Add();
    kv->set_key("map");
    auto* map = kv->mutable_value()->mutable_kvlist_value();
    AddString(map->mutable_values(), "a", "x");
    auto* nested = map->add_values();
    nested->set_key("nested");
    AddInt(nested->mutable_value()->mutable_kvlist_value()->mutable_values(), "b", 7);
  }
  {
    auto* kv = kvs->Add();
    kv->set_key("empty.value");
    kv->mutable_value();
  }
}

// A request that exercises every field: two resources, one with two scopes; a span with every
// field set, a minimal root span, events, links and a status.
inline pb_collector::ExportTraceServiceRequest MakeFullRequest() {
  pb_collector::ExportTraceServiceRequest req;
  auto* rs = req.add_resource_spans();
  auto* res = rs->mutable_resource();
  AddString(res->mutable_attributes(), "service.name", "checkout");
  AddString(res->mutable_attributes(), "host.name", "node-1");
  AddInt(res->mutable_attributes(), "process.pid", 4242);
  res->set_dropped_attributes_count(3);
  rs->set_schema_url("https://opentelemetry.io/schemas/1.21.0");

  auto* ss = rs->add_scope_spans();
  ss->mutable_scope()->set_name("io.opentelemetry.http");
  ss->mutable_scope()->set_version("1.2.3");
  AddString(ss->mutable_scope()->mutable_attributes(), "scope.attr", "v");
  ss->mutable_scope()->set_dropped_attributes_count(1);
  ss->set_schema_url("https://opentelemetry.io/schemas/1.20.0");

  auto* span = ss->add_spans();
  span->set_trace_id(TraceIdBytes(0x0102030405060708ULL, 0x090a0b0c0d0e0f10ULL));
  span->set_span_id(BigEndian64(0xa1a2a3a4a5a6a7a8ULL));
  span->set_trace_state("vendor=1,other=2");
  span->set_parent_span_id(BigEndian64(0xb1b2b3b4b5b6b7b8ULL));
  span->set_flags(0x301);
  span->set_name("GET /api/cart/{id}");
  span->set_kind(pb_trace::Span::SPAN_KIND_SERVER);
  span->set_start_time_unix_nano(1718900000123456789ULL);
  span->set_end_time_unix_nano(1718900000987654321ULL);
  AddEveryValueType(span->mutable_attributes());
  span->set_dropped_attributes_count(5);
  auto* event = span->add_events();
  event->set_time_unix_nano(1718900000500000000ULL);
  event->set_name("exception");
  AddString(event->mutable_attributes(), "exception.type", "IOError");
  AddString(event->mutable_attributes(), "exception.stacktrace", "at a()\n\tat b()\n");
  event->set_dropped_attributes_count(2);
  span->add_events()->set_name("bare event");
  span->set_dropped_events_count(6);
  auto* link = span->add_links();
  link->set_trace_id(TraceIdBytes(0x1111111111111111ULL, 0x2222222222222222ULL));
  link->set_span_id(BigEndian64(0x3333333333333333ULL));
  link->set_trace_state("k=v");
  AddInt(link->mutable_attributes(), "link.n", 9);
  link->set_dropped_attributes_count(4);
  link->set_flags(0x101);
  span->set_dropped_links_count(7);
  span->mutable_status()->set_code(pb_trace::Status::STATUS_CODE_ERROR);
  span->mutable_status()->set_message("boom");

  auto* root = ss->add_spans();
  root->set_trace_id(TraceIdBytes(0, 0x42));
  root->set_span_id(BigEndian64(0x43));
  root->set_name("root");

  auto* ss2 = rs->add_scope_spans();
  ss2->mutable_scope()->set_name("second-scope");
  auto* s3 = ss2->add_spans();
  s3->set_trace_id(TraceIdBytes(0x1, 0x2));
  s3->set_span_id(BigEndian64(0x3));
  s3->set_kind(pb_trace::Span::SPAN_KIND_CLIENT);
  s3->mutable_status()->set_code(pb_trace::Status::STATUS_CODE_OK);

  auto* rs2 = req.add_resource_spans();
  AddString(rs2->mutable_resource()->mutable_attributes(), "service.name", "payments");
  auto* ss3 = rs2->add_scope_spans();
  ss3->mutable_scope();
  auto* s4 = ss3->add_spans();
  s4->set_trace_id(TraceIdBytes(0xffffffffffffffffULL, 0xffffffffffffffffULL));
  s4->set_span_id(BigEndian64(0xffffffffffffffffULL));
  s4->set_kind(pb_trace::Span::SPAN_KIND_CONSUMER);
  return req;
}

inline void ExpectAttributesMatch(const google::protobuf::RepeatedPtrField<pb_common::KeyValue>& pb,
                                  Attributes model);

inline void ExpectValueMatches(const pb_common::AnyValue& pb, const AnyValue& v) {
  switch (pb.value_case()) {
    case pb_common::AnyValue::VALUE_NOT_SET:
      EXPECT_EQ(v.type(), ValueType::kEmpty);
      break;
    case pb_common::AnyValue::kStringValue:
      ASSERT_EQ(v.type(), ValueType::kString);
      EXPECT_EQ(v.string_value(), pb.string_value());
      break;
    case pb_common::AnyValue::kBoolValue:
      ASSERT_EQ(v.type(), ValueType::kBool);
      EXPECT_EQ(v.bool_value(), pb.bool_value());
      break;
    case pb_common::AnyValue::kIntValue:
      ASSERT_EQ(v.type(), ValueType::kInt);
      EXPECT_EQ(v.int_value(), pb.int_value());
      break;
    case pb_common::AnyValue::kDoubleValue:
      ASSERT_EQ(v.type(), ValueType::kDouble);
      EXPECT_EQ(v.double_value(), pb.double_value());
      break;
    case pb_common::AnyValue::kBytesValue:
      ASSERT_EQ(v.type(), ValueType::kBytes);
      EXPECT_EQ(v.string_value(), pb.bytes_value());
      break;
    case pb_common::AnyValue::kArrayValue: {
      ASSERT_EQ(v.type(), ValueType::kArray);
      ASSERT_EQ(v.array_value().size(), static_cast<size_t>(pb.array_value().values_size()));
      for (int i = 0; i < pb.array_value().values_size(); ++i) {
        ExpectValueMatches(pb.array_value().values(i), v.array_value()[i]);
      }
      break;
    }
    case pb_common::AnyValue::kKvlistValue:
      ASSERT_EQ(v.type(), ValueType::kKvList);
      ExpectAttributesMatch(pb.kvlist_value().values(), v.kvlist_value());
      break;
  }
}

inline void ExpectAttributesMatch(const google::protobuf::RepeatedPtrField<pb_common::KeyValue>& pb,
                                  Attributes model) {
  ASSERT_EQ(model.size(), static_cast<size_t>(pb.size()));
  for (int i = 0; i < pb.size(); ++i) {
    SCOPED_TRACE(pb.Get(i).key());
    EXPECT_EQ(model[i].key, pb.Get(i).key());
    ExpectValueMatches(pb.Get(i).value(), model[i].value);
  }
}

inline TraceId TraceIdOf(const std::string& bytes) {
  return bytes.empty() ? TraceId()
                       : TraceId::FromBytes(reinterpret_cast<const uint8_t*>(bytes.data()));
}
inline SpanId SpanIdOf(const std::string& bytes) {
  return bytes.empty() ? SpanId()
                       : SpanId::FromBytes(reinterpret_cast<const uint8_t*>(bytes.data()));
}

inline void ExpectSpanMatches(const pb_trace::Span& pb, const Span& s) {
  EXPECT_EQ(s.trace_id, TraceIdOf(pb.trace_id()));
  EXPECT_EQ(s.span_id, SpanIdOf(pb.span_id()));
  EXPECT_EQ(s.parent_span_id, SpanIdOf(pb.parent_span_id()));
  EXPECT_EQ(s.trace_state, pb.trace_state());
  EXPECT_EQ(s.flags, pb.flags());
  EXPECT_EQ(s.name, pb.name());
  EXPECT_EQ(static_cast<int>(s.kind), static_cast<int>(pb.kind()));
  EXPECT_EQ(s.start_time_unix_nano, pb.start_time_unix_nano());
  EXPECT_EQ(s.end_time_unix_nano, pb.end_time_unix_nano());
  ExpectAttributesMatch(pb.attributes(), s.attributes);
  EXPECT_EQ(s.dropped_attributes_count, pb.dropped_attributes_count());
  ASSERT_EQ(s.events.size(), static_cast<size_t>(pb.events_size()));
  for (int i = 0; i < pb.events_size(); ++i) {
    const auto& e = pb.events(i);
    EXPECT_EQ(s.events[i].time_unix_nano, e.time_unix_nano());
    EXPECT_EQ(s.events[i].name, e.name());
    ExpectAttributesMatch(e.attributes(), s.events[i].attributes);
    EXPECT_EQ(s.events[i].dropped_attributes_count, e.dropped_attributes_count());
  }
  EXPECT_EQ(s.dropped_events_count, pb.dropped_events_count());
  ASSERT_EQ(s.links.size(), static_cast<size_t>(pb.links_size()));
  for (int i = 0; i < pb.links_size(); ++i) {
    const auto& l = pb.links(i);
    EXPECT_EQ(s.links[i].trace_id, TraceIdOf(l.trace_id()));
    EXPECT_EQ(s.links[i].span_id, SpanIdOf(l.span_id()));
    EXPECT_EQ(s.links[i].trace_state, l.trace_state());
    ExpectAttributesMatch(l.attributes(), s.links[i].attributes);
    EXPECT_EQ(s.links[i].dropped_attributes_count, l.dropped_attributes_count());
    EXPECT_EQ(s.links[i].flags, l.flags());
  }
  EXPECT_EQ(s.dropped_links_count, pb.dropped_links_count());
  EXPECT_EQ(static_cast<int>(s.status.code), static_cast<int>(pb.status().code()));
  EXPECT_EQ(s.status.message, pb.status().message());
}

// Checks that `set` holds the spans of `req` in order, with their resources and scopes, and that
// spans of one ResourceSpans / ScopeSpans share one Resource / Scope object.
inline void ExpectSetMatchesRequest(const pb_collector::ExportTraceServiceRequest& req,
                                    const SpanSet& set) {
  size_t k = 0;
  for (const auto& rs : req.resource_spans()) {
    const Resource* resource = nullptr;
    for (const auto& ss : rs.scope_spans()) {
      const Scope* scope = nullptr;
      for (const auto& pb_span : ss.spans()) {
        ASSERT_LT(k, set.size());
        const Span& s = set.spans()[k++];
        SCOPED_TRACE(::testing::Message() << "span " << k - 1 << " " << pb_span.name());
        ExpectSpanMatches(pb_span, s);
        ASSERT_NE(s.resource, nullptr);
        ASSERT_NE(s.scope, nullptr);
        if (resource == nullptr) {
          resource = s.resource;
          ExpectAttributesMatch(rs.resource().attributes(), resource->attributes);
          EXPECT_EQ(resource->dropped_attributes_count, rs.resource().dropped_attributes_count());
          EXPECT_EQ(resource->schema_url, rs.schema_url());
        } else {
          EXPECT_EQ(s.resource, resource) << "spans of one ResourceSpans share their Resource";
        }
        if (scope == nullptr) {
          scope = s.scope;
          EXPECT_EQ(scope->name, ss.scope().name());
          EXPECT_EQ(scope->version, ss.scope().version());
          ExpectAttributesMatch(ss.scope().attributes(), scope->attributes);
          EXPECT_EQ(scope->dropped_attributes_count, ss.scope().dropped_attributes_count());
          EXPECT_EQ(scope->schema_url, ss.schema_url());
        } else {
          EXPECT_EQ(s.scope, scope) << "spans of one ScopeSpans share their Scope";
        }
      }
    }
  }
  EXPECT_EQ(k, set.size());
}

}  // namespace skua::model::convert::testing
