// W1's properties (workload-and-targets.md §1), measured over tens of thousands of generated spans
// rather than restated from the generator's tables.
#include "tracegen/workload.h"

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "gtest/gtest.h"
#include "model/convert/otlp.h"

namespace skua::tracegen {
namespace {

using model::Span;
using model::SpanKind;

constexpr uint64_t kStart = 1'700'000'000'000'000'000ull;

std::vector<model::SpanSet> Generate(W1Options options, size_t min_spans) {
  W1Generator gen(options);
  std::vector<model::SpanSet> requests;
  size_t spans = 0;
  while (spans < min_spans) {
    requests.push_back(gen.NextRequest());
    spans += requests.back().size();
  }
  EXPECT_EQ(gen.spans_generated(), spans);
  return requests;
}

struct TraceView {
  std::vector<const Span*> spans;
  uint64_t first_start = ~0ull;
};

class W1Test : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    W1Options o;
    o.seed = 42;
    o.repeat_ids = true;
    o.start_time_unix_nano = kStart;
    requests_ = new std::vector<model::SpanSet>(Generate(o, 60'000));
    traces_ = new std::map<model::TraceId, TraceView>();
    for (const auto& r : *requests_) {
      for (const Span& s : r.spans()) {
        TraceView& t = (*traces_)[s.trace_id];
        t.spans.push_back(&s);
        t.first_start = std::min(t.first_start, s.start_time_unix_nano);
      }
    }
    // Traces still partly pending in the generator when we stopped are the most recent ones: a
    // pending request waits at most 256 traces. Keep only traces older than the last 300.
    std::vector<std::pair<uint64_t, model::TraceId>> order;
    for (const auto& [id, t] : *traces_) order.push_back({t.first_start, id});
    std::sort(order.begin(), order.end());
    complete_ = new std::vector<const TraceView*>();
    for (size_t i = 0; i + 300 < order.size(); ++i)
      complete_->push_back(&(*traces_)[order[i].second]);
  }
  static void TearDownTestSuite() {
    delete complete_;
    delete traces_;
    delete requests_;
  }
  static size_t SpanCount() {
    size_t n = 0;
    for (const auto& r : *requests_) n += r.size();
    return n;
  }

  static std::vector<model::SpanSet>* requests_;
  static std::map<model::TraceId, TraceView>* traces_;
  static std::vector<const TraceView*>* complete_;
};
std::vector<model::SpanSet>* W1Test::requests_ = nullptr;
std::map<model::TraceId, TraceView>* W1Test::traces_ = nullptr;
std::vector<const TraceView*>* W1Test::complete_ = nullptr;

TEST_F(W1Test, SpansPerTraceUniformFiveToThirtyWithOneRoot) {
  ASSERT_GT(complete_->size(), 2000u);
  std::map<size_t, int> histogram;
  for (const TraceView* t : *complete_) {
    ASSERT_GE(t->spans.size(), 5u);
    ASSERT_LE(t->spans.size(), 30u);
    histogram[t->spans.size()]++;
    int roots = 0;
    for (const Span* s : t->spans) roots += s->parent_span_id.IsZero() ? 1 : 0;
    ASSERT_EQ(roots, 1);
  }
  // Chi-square against uniform over the 26 sizes; 52.6 is the 0.1 % critical value at 25 dof.
  double expected = static_cast<double>(complete_->size()) / 26.0;
  double chi2 = 0;
  for (size_t k = 5; k <= 30; ++k) {
    double d = histogram[k] - expected;
    chi2 += d * d / expected;
  }
  EXPECT_LT(chi2, 52.6);
}

TEST_F(W1Test, ParentsExistAndKindsFollowTheCallTree) {
  for (const TraceView* t : *complete_) {
    absl::flat_hash_map<uint64_t, const Span*> by_id;
    std::map<uint64_t, std::vector<const Span*>> children;
    for (const Span* s : t->spans) {
      ASSERT_TRUE(by_id.emplace(s->span_id.value, s).second) << "duplicate span ID";
      if (!s->parent_span_id.IsZero()) children[s->parent_span_id.value].push_back(s);
    }
    for (const Span* s : t->spans) {
      const Span* parent = nullptr;
      if (!s->parent_span_id.IsZero()) {
        auto it = by_id.find(s->parent_span_id.value);
        ASSERT_NE(it, by_id.end()) << "parent missing";
        parent = it->second;
      }
      const auto& kids = children[s->span_id.value];
      switch (s->kind) {
        case SpanKind::kServer:
          // A root, or the callee side of a client span in another service with the same name.
          if (parent != nullptr) {
            EXPECT_EQ(parent->kind, SpanKind::kClient);
            EXPECT_NE(parent->service_name(), s->service_name());
            EXPECT_EQ(parent->name, s->name);
            EXPECT_GE(s->start_time_unix_nano, parent->start_time_unix_nano);
            EXPECT_LE(s->end_time_unix_nano, parent->end_time_unix_nano);
          }
          break;
        case SpanKind::kClient:
          // Either one server child in the callee, or a database call (leaf; no instrumented
          // callee).
          if (kids.empty()) {
            EXPECT_NE(model::FindAttribute(s->attributes, "db.system"), nullptr) << s->name;
            std::string_view verb = s->name.substr(0, s->name.find(' '));
            EXPECT_TRUE(verb == "SELECT" || verb == "INSERT" || verb == "UPDATE") << s->name;
          } else {
            ASSERT_EQ(kids.size(), 1u);
            EXPECT_EQ(kids[0]->kind, SpanKind::kServer);
          }
          break;
        case SpanKind::kProducer:
          ASSERT_EQ(kids.size(), 1u);
          EXPECT_EQ(kids[0]->kind, SpanKind::kConsumer);
          EXPECT_NE(kids[0]->service_name(), s->service_name());
          break;
        case SpanKind::kConsumer:
          ASSERT_NE(parent, nullptr);
          EXPECT_EQ(parent->kind, SpanKind::kProducer);
          break;
        case SpanKind::kInternal:
          ASSERT_NE(parent, nullptr);
          EXPECT_EQ(parent->service_name(), s->service_name());
          EXPECT_EQ(s->name.substr(0, s->service_name().size() + 1),
                    std::string(s->service_name()) + ".");
          break;
        default:
          ADD_FAILURE() << "unexpected kind";
      }
      if (parent != nullptr && s->kind != SpanKind::kConsumer) {
        EXPECT_GE(s->start_time_unix_nano, parent->start_time_unix_nano);
        EXPECT_LE(s->end_time_unix_nano, parent->end_time_unix_nano);
      }
      EXPECT_GE(s->end_time_unix_nano, s->start_time_unix_nano);
    }
  }
}

TEST_F(W1Test, EveryKindOccurs) {
  std::map<SpanKind, size_t> kinds;
  for (const auto& r : *requests_) {
    for (const Span& s : r.spans()) kinds[s.kind]++;
  }
  for (SpanKind k : {SpanKind::kServer, SpanKind::kClient, SpanKind::kInternal, SpanKind::kProducer,
                     SpanKind::kConsumer}) {
    EXPECT_GT(kinds[k], 100u) << model::SpanKindName(k);
  }
}

TEST_F(W1Test, SevenToNineAttributesPerSpan) {
  std::map<size_t, size_t> counts;
  for (const auto& r : *requests_) {
    for (const Span& s : r.spans()) counts[s.attributes.size()]++;
  }
  for (const auto& [n, c] : counts) {
    EXPECT_GE(n, 7u);
    EXPECT_LE(n, 9u);
  }
  EXPECT_GT(counts[7], 0u);
  EXPECT_GT(counts[8], 0u);
  EXPECT_GT(counts[9], 0u);
}

TEST_F(W1Test, TwoPercentErrorsEachWithOneExceptionEvent) {
  size_t errors = 0, total = 0;
  for (const auto& r : *requests_) {
    for (const Span& s : r.spans()) {
      ++total;
      if (s.status.code != model::StatusCode::kError) {
        EXPECT_TRUE(s.events.empty());
        continue;
      }
      ++errors;
      ASSERT_EQ(s.events.size(), 1u);
      EXPECT_EQ(s.events[0].name, "exception");
      const model::AnyValue* type = model::FindAttribute(s.events[0].attributes, "exception.type");
      const model::AnyValue* msg =
          model::FindAttribute(s.events[0].attributes, "exception.message");
      const model::AnyValue* stack =
          model::FindAttribute(s.events[0].attributes, "exception.stacktrace");
      ASSERT_TRUE(type && msg && stack);
      EXPECT_FALSE(type->string_value().empty());
      EXPECT_FALSE(msg->string_value().empty());
      EXPECT_GE(std::count(stack->string_value().begin(), stack->string_value().end(), '\n'), 2);
    }
  }
  double rate = static_cast<double>(errors) / total;
  // Binomial standard deviation at 60k spans is 0.057 %; allow about 5 of them.
  EXPECT_NEAR(rate, 0.02, 0.003);
}

TEST_F(W1Test, RequestsHoldAtMost256SpansOfOneResource) {
  for (const auto& r : *requests_) {
    ASSERT_FALSE(r.empty());
    EXPECT_LE(r.size(), 256u);
    const model::Resource* res = r.spans()[0].resource;
    ASSERT_NE(res, nullptr);
    for (const Span& s : r.spans()) {
      EXPECT_EQ(s.resource, res);
      EXPECT_EQ(s.scope, r.spans()[0].scope);
    }
  }
}

TEST_F(W1Test, TwentyServicesNineResourceAttributesThreeHundredOperations) {
  std::set<std::string> services, names;
  for (const auto& r : *requests_) {
    const model::Resource& res = *r.spans()[0].resource;
    EXPECT_EQ(res.attributes.size(), 9u);
    for (const char* key :
         {"service.name", "service.version", "host.name", "k8s.pod.name", "telemetry.sdk.name",
          "telemetry.sdk.language", "telemetry.sdk.version"}) {
      EXPECT_NE(model::FindAttribute(res.attributes, key), nullptr) << key;
    }
    EXPECT_FALSE(r.spans()[0].scope->name.empty());
    EXPECT_FALSE(r.spans()[0].scope->version.empty());
    services.insert(std::string(res.service_name));
    for (const Span& s : r.spans()) names.insert(std::string(s.name));
  }
  EXPECT_EQ(services.size(), 20u);
  EXPECT_LE(names.size(), 300u);
  // The rarest operations (of services reached only through several hops) need more spans to
  // show up: every one of the 300 appears within 300k spans.
  W1Options o;
  o.seed = 42;
  W1Generator gen(o);
  while (gen.spans_generated() < 300'000 && names.size() < 300) {
    for (const Span& s : gen.NextRequest().spans()) names.insert(std::string(s.name));
  }
  EXPECT_EQ(names.size(), 300u);
  // HTTP-, SQL- and gRPC-shaped names (§1 examples).
  EXPECT_TRUE(names.count("GET /product/{id}"));
  EXPECT_TRUE(names.count("SELECT orders"));
  EXPECT_TRUE(names.count("shop.Cart/GetCart"));
}

TEST_F(W1Test, EncodedSizeNearTheReferenceFigures) {
  size_t proto = 0, json = 0;
  for (const auto& r : *requests_) {
    proto += model::convert::EncodeOtlpProto(r.spans()).size();
    json += model::convert::EncodeOtlpJson(r.spans()).size();
  }
  double spans = static_cast<double>(SpanCount());
  // §1: about 365 bytes per span as OTLP protobuf, about 760 as OTLP/JSON.
  EXPECT_NEAR(proto / spans, 365, 365 * 0.15);
  EXPECT_NEAR(json / spans, 760, 760 * 0.15);
  RecordProperty("proto_bytes_per_span", std::to_string(proto / spans));
  RecordProperty("json_bytes_per_span", std::to_string(json / spans));
  std::printf("W1: %.1f bytes/span OTLP protobuf, %.1f OTLP/JSON\n", proto / spans, json / spans);
}

std::string EncodeAll(const std::vector<model::SpanSet>& requests) {
  std::string out;
  for (const auto& r : requests) out += model::convert::EncodeOtlpProto(r.spans());
  return out;
}

TEST(W1Determinism, SameSeedAndRepeatIdsGiveIdenticalBytes) {
  W1Options o;
  o.seed = 7;
  o.repeat_ids = true;
  o.start_time_unix_nano = kStart;
  EXPECT_EQ(EncodeAll(Generate(o, 5000)), EncodeAll(Generate(o, 5000)));
  W1Options other = o;
  other.seed = 8;
  EXPECT_NE(EncodeAll(Generate(o, 5000)), EncodeAll(Generate(other, 5000)));
}

TEST(W1Determinism, SaltedIdsChangeOnlyIds) {
  W1Options o;
  o.seed = 7;
  o.start_time_unix_nano = kStart;
  auto a = Generate(o, 3000);
  auto b = Generate(o, 3000);
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    ASSERT_EQ(a[i].size(), b[i].size());
    for (size_t j = 0; j < a[i].size(); ++j) {
      const Span& x = a[i].spans()[j];
      const Span& y = b[i].spans()[j];
      EXPECT_EQ(x.name, y.name);
      EXPECT_EQ(x.start_time_unix_nano, y.start_time_unix_nano);
      EXPECT_TRUE(model::AttributesEqual(x.attributes, y.attributes));
      EXPECT_NE(x.trace_id, y.trace_id);
      EXPECT_NE(x.span_id, y.span_id);
    }
  }
}

TEST(W1Options, SmallRequestLimitIsHonoured) {
  W1Options o;
  o.max_spans_per_request = 3;
  W1Generator gen(o);
  for (int i = 0; i < 500; ++i) {
    model::SpanSet r = gen.NextRequest();
    ASSERT_GE(r.size(), 1u);
    ASSERT_LE(r.size(), 3u);
  }
}

TEST(W1Options, RequestsOutliveTheGenerator) {
  model::SpanSet r;
  {
    W1Generator gen(W1Options{});
    r = gen.NextRequest();
  }
  // Everything the spans point to lives in the request's own arena.
  std::string bytes = model::convert::EncodeOtlpProto(r.spans());
  auto decoded = model::convert::DecodeOtlpProto(bytes);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(decoded->size(), r.size());
  EXPECT_EQ(decoded->spans()[0].service_name(), r.spans()[0].service_name());
}

}  // namespace
}  // namespace skua::tracegen
