// W1 (workload-and-targets.md §1). The generator first draws a trace's call tree as light nodes
// (service, operation, kind, parent, times), then writes each node as a span into the pending
// request of its service; a pending request is handed out when it is full, or when it has waited
// for kMaxPendingTraces traces (as an SDK's batch processor flushes on a timer), so rarely called
// services still export. Everything random comes from our own xoshiro256** streams: std
// distributions differ between standard libraries and would break byte-identical corpora.
#include "tracegen/workload.h"

#include <atomic>
#include <chrono>
#include <cstring>
#include <deque>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/str_cat.h"
#include "model/span.h"

namespace skua::tracegen {
namespace {

using model::AnyValue;
using model::KeyValue;
using model::SpanKind;

// ---------------------------------------------------------------------------------------------
// Random numbers.

uint64_t SplitMix64(uint64_t& state) {
  uint64_t z = (state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// xoshiro256** seeded through splitmix64, with the few draws the generator needs. Integer
// ranges use the multiply-shift reduction (tiny bias, fully specified, identical everywhere).
class Rng {
 public:
  explicit Rng(uint64_t seed) {
    for (uint64_t& word : s_) word = SplitMix64(seed);
  }
  uint64_t Next() {
    const uint64_t result = Rotl(s_[1] * 5, 7) * 9;
    const uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = Rotl(s_[3], 45);
    return result;
  }
  // Uniform in [0, n); n > 0.
  uint64_t Below(uint64_t n) {
    return static_cast<uint64_t>((static_cast<unsigned __int128>(Next()) * n) >> 64);
  }
  // Uniform in [lo, hi].
  int64_t Between(int64_t lo, int64_t hi) {
    return lo + static_cast<int64_t>(Below(static_cast<uint64_t>(hi - lo) + 1));
  }
  // True with probability per_million / 1e6.
  bool Chance(uint32_t per_million) { return Below(1'000'000) < per_million; }
  template <typename T, size_t N>
  const T& Pick(const T (&items)[N]) {
    return items[Below(N)];
  }
  template <typename T>
  const T& Pick(const std::vector<T>& items) {
    return items[Below(items.size())];
  }

 private:
  static uint64_t Rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  uint64_t s_[4];
};

// ---------------------------------------------------------------------------------------------
// The static shape of the shop: 20 services, 300 operations.

enum class Protocol : uint8_t { kHttp, kGrpc, kSql };
enum class Lang : uint8_t { kGo, kJava, kPython, kNode, kDotnet };

struct ServiceSpec {
  const char* name;
  Protocol protocol;  // how the service is called
  Lang lang;
  const char* rpc_name;  // gRPC service (e.g. "shop.Cart"); route prefix for HTTP services
  std::vector<const char*> served;    // HTTP routes ("GET /api/cart/{id}"), gRPC methods, SQL
  std::vector<const char*> callees;   // services it calls
  std::vector<const char*> produces;  // Kafka topics it publishes to
  std::vector<const char*> consumes;  // Kafka topics it processes
};

constexpr int kOpsPerService = 15;  // 20 × 15 = the 300 operations of W1

const std::vector<ServiceSpec>& Specs() {
  static const auto* specs = new std::vector<ServiceSpec>{
      {"frontend",
       Protocol::kHttp,
       Lang::kNode,
       "",
       {"GET /", "GET /product/{id}", "GET /cart", "POST /cart/items", "POST /checkout",
        "GET /account/orders/{id}", "GET /find", "POST /login"},
       {"cart", "catalog", "checkout", "recommendations", "search", "users", "currency", "reviews",
        "auth"},
       {},
       {}},
      {"api-gateway",
       Protocol::kHttp,
       Lang::kGo,
       "",
       {"GET /api/orders/{id}", "POST /api/orders", "GET /api/users/{id}", "PUT /api/users/{id}",
        "GET /api/catalog/{id}", "GET /api/search", "POST /api/payments",
        "GET /api/shipping/{id}/status"},
       {"orders", "users", "auth", "catalog", "search", "shipping", "payments"},
       {},
       {}},
      {"checkout",
       Protocol::kGrpc,
       Lang::kGo,
       "shop.Checkout",
       {"PlaceOrder", "GetQuote", "ValidateCart", "ApplyCoupon", "CancelOrder", "GetReceipt"},
       {"cart", "payments", "shipping", "inventory", "pricing", "currency", "orders", "users",
        "notifications"},
       {"order-events"},
       {}},
      {"cart",
       Protocol::kGrpc,
       Lang::kDotnet,
       "shop.Cart",
       {"GetCart", "AddItem", "RemoveItem", "EmptyCart", "MergeCarts", "UpdateQuantity",
        "ListCarts"},
       {"catalog", "pricing", "inventory", "db-proxy"},
       {},
       {}},
      {"payments",
       Protocol::kGrpc,
       Lang::kJava,
       "shop.Payments",
       {"Charge", "Refund", "Authorize", "Capture", "GetPayment", "ListPayments", "VoidPayment"},
       {"currency", "auth", "fraud-detection", "db-proxy"},
       {"payment-events"},
       {}},
      {"catalog",
       Protocol::kGrpc,
       Lang::kGo,
       "shop.Catalog",
       {"GetProduct", "ListProducts", "SearchProducts", "GetCategory", "ListCategories",
        "GetVariants", "BatchGetProducts"},
       {"inventory", "pricing", "reviews", "db-proxy"},
       {},
       {}},
      {"inventory",
       Protocol::kGrpc,
       Lang::kJava,
       "shop.Inventory",
       {"GetStock", "Reserve", "Release", "Restock", "BatchGetStock", "ListWarehouses", "Adjust"},
       {"db-proxy"},
       {},
       {}},
      {"shipping",
       Protocol::kHttp,
       Lang::kPython,
       "",
       {"POST /v1/shipments", "GET /v1/shipments/{id}", "GET /v1/quotes", "POST /v1/labels",
        "DELETE /v1/shipments/{id}", "GET /v1/carriers", "PUT /v1/shipments/{id}/address"},
       {"currency", "db-proxy"},
       {"shipment-events"},
       {}},
      {"users",
       Protocol::kGrpc,
       Lang::kJava,
       "shop.Users",
       {"GetUser", "CreateUser", "UpdateUser", "DeleteUser", "GetPreferences", "ListAddresses",
        "BatchGetUsers"},
       {"auth", "db-proxy"},
       {},
       {}},
      {"auth",
       Protocol::kGrpc,
       Lang::kGo,
       "shop.Auth",
       {"VerifyToken", "IssueToken", "RefreshToken", "RevokeToken", "CheckPermission", "GetSession",
        "Login"},
       {"db-proxy"},
       {},
       {}},
      {"recommendations",
       Protocol::kGrpc,
       Lang::kPython,
       "shop.Recommendations",
       {"ListRecommendations", "GetSimilar", "GetTrending", "RecordView", "GetPersonalized",
        "GetBundles"},
       {"catalog", "users", "db-proxy"},
       {},
       {}},
      {"search",
       Protocol::kHttp,
       Lang::kJava,
       "",
       {"GET /search", "GET /search/suggest", "GET /search/facets", "POST /search/index/{id}",
        "DELETE /search/index/{id}", "GET /search/related/{id}"},
       {"catalog", "pricing"},
       {},
       {}},
      {"pricing",
       Protocol::kGrpc,
       Lang::kDotnet,
       "shop.Pricing",
       {"GetPrice", "BatchGetPrices", "GetDiscounts", "ApplyPromotion", "GetTaxes",
        "ListPriceHistory"},
       {"currency", "db-proxy"},
       {},
       {}},
      {"currency",
       Protocol::kGrpc,
       Lang::kNode,
       "shop.Currency",
       {"Convert", "GetSupportedCurrencies", "GetRate", "BatchConvert", "RefreshRates"},
       {},
       {},
       {}},
      {"reviews",
       Protocol::kHttp,
       Lang::kPython,
       "",
       {"GET /reviews/{id}", "GET /products/{id}/reviews", "POST /reviews", "PUT /reviews/{id}",
        "DELETE /reviews/{id}", "GET /products/{id}/rating"},
       {"users", "db-proxy"},
       {},
       {}},
      {"orders",
       Protocol::kGrpc,
       Lang::kJava,
       "shop.Orders",
       {"GetOrder", "CreateOrder", "ListOrders", "UpdateStatus", "CancelOrder", "GetHistory",
        "Archive"},
       {"users", "db-proxy"},
       {"order-status"},
       {}},
      {"notifications",
       Protocol::kGrpc,
       Lang::kGo,
       "shop.Notifications",
       {"Send", "GetPreferences", "ListNotifications", "MarkRead"},
       {"users", "email", "db-proxy"},
       {"email-requests"},
       {"order-events", "shipment-events"}},
      {"email",
       Protocol::kGrpc,
       Lang::kPython,
       "shop.Email",
       {"SendEmail", "RenderTemplate", "GetStatus", "Unsubscribe"},
       {"users"},
       {},
       {"order-status", "email-requests"}},
      {"fraud-detection",
       Protocol::kGrpc,
       Lang::kPython,
       "shop.Fraud",
       {"Score", "Check", "Report", "GetRules", "ReviewCase"},
       {"users", "db-proxy"},
       {},
       {"payment-events"}},
      {"db-proxy",
       Protocol::kSql,
       Lang::kGo,
       "",
       {"SELECT orders", "INSERT orders", "UPDATE orders", "SELECT users", "UPDATE users",
        "SELECT products", "SELECT inventory", "UPDATE inventory", "SELECT payments",
        "INSERT payments", "SELECT reviews", "INSERT reviews", "SELECT prices"},
       {},
       {},
       {}},
  };
  return *specs;
}

// Verbs that name the internal operations filling each service up to kOpsPerService.
constexpr const char* kInternalVerbs[] = {
    "validate",  "serialize", "cache.lookup", "compute", "render", "authorize",    "load_config",
    "transform", "aggregate", "enrich",       "encode",  "decode", "retry_policy", "rate_limit"};

constexpr const char* kDbStatements[][2] = {
    // table, statement; index follows the SQL operation's table.
    {"orders", "id, user_id, status, total_cents, currency, created_at FROM orders WHERE id = $1"},
    {"users", "id, email, name, locale, created_at FROM users WHERE id = $1"},
    {"products", "id, sku, title, price_cents, category_id FROM products WHERE id = ANY($1)"},
    {"inventory", "sku, warehouse_id, quantity FROM inventory WHERE sku = $1"},
    {"payments", "id, order_id, amount_cents, state FROM payments WHERE order_id = $1"},
    {"reviews", "id, product_id, user_id, rating, body FROM reviews WHERE product_id = $1"},
    {"prices", "sku, currency, amount_cents, valid_from FROM prices WHERE sku = $1"},
};

constexpr const char* kUserAgents[] = {
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_2) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.2 Safari/605.1.15",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148",
    "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0",
    "shop-android/4.12.0 (Pixel 7; Android 14)",
    "curl/8.5.0",
};

constexpr const char* kErrors[][2] = {
    // exception.type per language is chosen separately; these are messages and status texts.
    {"connection reset by peer", "upstream connect error"},
    {"deadline exceeded after 2s", "timeout"},
    {"no rows in result set", "not found"},
    {"too many connections", "pool exhausted"},
    {"invalid argument: quantity must be positive", "invalid request"},
    {"service unavailable: circuit open", "unavailable"},
};

struct LangInfo {
  const char* sdk_language;
  const char* sdk_version;
  const char* exception_type;
};
constexpr LangInfo kLangs[] = {
    {"go", "1.21.0", "*net.OpError"},
    {"java", "1.32.0", "java.net.SocketTimeoutException"},
    {"python", "1.21.0", "ConnectionError"},
    {"nodejs", "1.18.1", "Error"},
    {"dotnet", "1.7.0", "System.Net.Http.HttpRequestException"},
};

// What a node of the call tree is, beyond its OTLP kind.
enum class Shape : uint8_t {
  // Served operations.
  kHttpServer,
  kGrpcServer,
  kSqlServer,
  // The caller's side of a call; a kSqlClient span may be a leaf (an uninstrumented database).
  kHttpClient,
  kGrpcClient,
  kSqlClient,
  kInternal,
  kProducer,
  kConsumer,
};

// One operation: its span name and how spans of it look.
struct Operation {
  std::string name;
  Shape shape;     // the served shape, kInternal, kProducer or kConsumer
  int topic = -1;  // for producer / consumer operations
  int table = 0;   // for SQL operations: index into kDbStatements
};

struct Service {
  const ServiceSpec* spec;
  std::vector<Operation> ops;  // exactly kOpsPerService
  std::vector<int> served;     // indexes into ops callers can reach (server operations)
  std::vector<int> internal;   // indexes of internal operations
  std::vector<int> producer;   // indexes of producer operations
  std::vector<int> consumer;   // indexes of consumer operations
  std::vector<int> callees;    // service indexes
  std::string host;            // host.name
  std::string pod;             // k8s.pod.name
  std::string ip;              // its address as peers see it
  std::string fqdn;            // its Kubernetes service name as callers dial it
  int port = 8080;
  // Resource and scope, in storage that lives as long as the generator (copied into each request).
  std::vector<KeyValue> resource_attributes;
  model::Resource resource;
  model::Scope scope;
  std::vector<std::string> strings;  // backing for the resource values
};

struct Topic {
  std::string name;
  int producer_service = -1;
  int producer_op = -1;
  int consumer_service = -1;
  int consumer_op = -1;
};

// One span of a trace being drawn.
struct Node {
  int service;
  int op;  // index into the service's ops of the span's name
  Shape shape;
  SpanKind kind;
  int parent;     // index into the trace's nodes, -1 for the root
  int peer = -1;  // service called (clients), calling service (servers), -1 otherwise
  uint64_t start;
  uint64_t end;
  uint64_t span_id;
  uint64_t request_id;  // random id in paths / message ids, shared by both sides of a call
  bool error = false;
};

}  // namespace

struct W1Generator::Impl {
  W1Options options;
  Rng rng;     // content: shapes, names, attribute values, times
  Rng id_rng;  // trace and span IDs (salted unless repeat_ids)
  std::vector<Service> services;
  std::vector<Topic> topics;
  uint64_t next_trace_start;
  uint64_t spans_returned = 0;
  uint64_t traces = 0;

  struct Pending {
    model::SpanSet set;
    uint64_t first_trace = 0;
    const model::Resource* resource = nullptr;
    const model::Scope* scope = nullptr;
  };
  std::vector<Pending> pending;  // per service
  std::deque<model::SpanSet> ready;
  std::vector<Node> nodes;  // scratch: the current trace
  size_t trace_total = 0;   // spans the current trace will have

  static constexpr uint64_t kMaxPendingTraces = 256;

  explicit Impl(W1Options o);
  void BuildServices();
  void GenerateTrace();
  void AddChild(int parent);
  int NewNode(int service, int op, Shape shape, SpanKind kind, int parent, int peer, uint64_t start,
              uint64_t end, uint64_t request_id);
  void Emit(int service);
  void StartPending(int service);
  void WriteSpan(const Node& node, const model::TraceId& trace_id);
};

namespace {

uint64_t ProcessSalt() {
  static std::atomic<uint64_t> instances{0};
  std::random_device device;
  uint64_t salt = (uint64_t{device()} << 32) ^ device();
  salt ^= static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
  salt ^= instances.fetch_add(1) * 0xD1B54A32D192ED03ull;
  return salt;
}

uint64_t NowUnixNanos() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count());
}

Shape ServedShape(Protocol p) {
  switch (p) {
    case Protocol::kHttp:
      return Shape::kHttpServer;
    case Protocol::kGrpc:
      return Shape::kGrpcServer;
    case Protocol::kSql:
      return Shape::kSqlServer;
  }
  return Shape::kGrpcServer;
}

Shape ClientShape(Shape served) {
  switch (served) {
    case Shape::kHttpServer:
      return Shape::kHttpClient;
    case Shape::kSqlServer:
      return Shape::kSqlClient;
    default:
      return Shape::kGrpcClient;
  }
}

}  // namespace

W1Generator::Impl::Impl(W1Options o)
    : options(o),
      rng(o.seed),
      id_rng(o.repeat_ids ? o.seed ^ 0x5EED1D5ull : o.seed ^ ProcessSalt()) {
  if (options.max_spans_per_request == 0) options.max_spans_per_request = 1;
  next_trace_start = options.start_time_unix_nano ? options.start_time_unix_nano : NowUnixNanos();
  BuildServices();
  pending.resize(services.size());
  for (size_t i = 0; i < services.size(); ++i) StartPending(static_cast<int>(i));
}

void W1Generator::Impl::BuildServices() {
  const auto& specs = Specs();
  services.resize(specs.size());
  auto service_index = [&](std::string_view name) {
    for (size_t i = 0; i < specs.size(); ++i) {
      if (name == specs[i].name) return static_cast<int>(i);
    }
    return -1;
  };
  // Topics: each has exactly one producing and one consuming service, so every name is unique.
  for (size_t i = 0; i < specs.size(); ++i) {
    for (const char* t : specs[i].produces) {
      topics.push_back({t, static_cast<int>(i), -1, -1, -1});
    }
  }
  auto topic_index = [&](std::string_view name) {
    for (size_t i = 0; i < topics.size(); ++i) {
      if (topics[i].name == name) return static_cast<int>(i);
    }
    return -1;
  };
  // A fixed rng (not the content stream) so the shop is the same for every seed.
  Rng shape_rng(0x5A0B);
  for (size_t i = 0; i < specs.size(); ++i) {
    const ServiceSpec& spec = specs[i];
    Service& svc = services[i];
    svc.spec = &spec;
    for (const char* op : spec.served) {
      Operation o;
      o.shape = ServedShape(spec.protocol);
      if (spec.protocol == Protocol::kGrpc) {
        o.name = absl::StrCat(spec.rpc_name, "/", op);
      } else {
        o.name = op;
      }
      if (spec.protocol == Protocol::kSql) {
        std::string_view table = std::string_view(op).substr(std::string_view(op).find(' ') + 1);
        for (size_t t = 0; t < std::size(kDbStatements); ++t) {
          if (table == kDbStatements[t][0]) o.table = static_cast<int>(t);
        }
      }
      svc.served.push_back(static_cast<int>(svc.ops.size()));
      svc.ops.push_back(std::move(o));
    }
    for (const char* t : spec.produces) {
      int ti = topic_index(t);
      topics[ti].producer_op = static_cast<int>(svc.ops.size());
      svc.producer.push_back(static_cast<int>(svc.ops.size()));
      svc.ops.push_back({absl::StrCat(t, " publish"), Shape::kProducer, ti});
    }
    for (const char* t : spec.consumes) {
      int ti = topic_index(t);
      topics[ti].consumer_service = static_cast<int>(i);
      topics[ti].consumer_op = static_cast<int>(svc.ops.size());
      svc.consumer.push_back(static_cast<int>(svc.ops.size()));
      svc.ops.push_back({absl::StrCat(t, " process"), Shape::kConsumer, ti});
    }
    for (size_t v = 0; svc.ops.size() < kOpsPerService; ++v) {
      svc.internal.push_back(static_cast<int>(svc.ops.size()));
      svc.ops.push_back({absl::StrCat(spec.name, ".", kInternalVerbs[v]), Shape::kInternal});
    }
    for (const char* c : spec.callees) svc.callees.push_back(service_index(c));

    // Identity: a pod and host per service, fixed for the run.
    const char kAlnum[] = "bcdfghjklmnpqrstvwxz2456789";
    std::string pod_suffix;
    for (int k = 0; k < 5; ++k) pod_suffix += kAlnum[shape_rng.Below(sizeof(kAlnum) - 1)];
    svc.pod = absl::StrCat(spec.name, "-", absl::Hex(shape_rng.Next() & 0xFFFFFFFFFFull), "-",
                           pod_suffix);
    int a = static_cast<int>(shape_rng.Between(0, 15)),
        b = static_cast<int>(shape_rng.Between(2, 250));
    svc.ip = absl::StrCat("10.0.", a, ".", b);
    svc.fqdn = absl::StrCat(spec.name, ".shop.svc.cluster.local");
    svc.host = absl::StrCat("ip-10-0-", a, "-", b, ".ec2.internal");
    svc.port =
        spec.protocol == Protocol::kSql ? 5432 : (spec.protocol == Protocol::kGrpc ? 50051 : 8080);

    const LangInfo& lang = kLangs[static_cast<int>(spec.lang)];
    svc.strings = {
        spec.name,
        absl::StrCat("1.", shape_rng.Between(0, 14), ".", shape_rng.Between(0, 9)),
        svc.host,
        svc.pod,
    };
    svc.resource_attributes = {
        {"service.name", AnyValue::String(svc.strings[0])},
        {"service.version", AnyValue::String(svc.strings[1])},
        {"deployment.environment", AnyValue::String("production")},
        {"host.name", AnyValue::String(svc.strings[2])},
        {"k8s.namespace.name", AnyValue::String("shop")},
        {"k8s.pod.name", AnyValue::String(svc.strings[3])},
        {"telemetry.sdk.name", AnyValue::String("opentelemetry")},
        {"telemetry.sdk.language", AnyValue::String(lang.sdk_language)},
        {"telemetry.sdk.version", AnyValue::String(lang.sdk_version)},
    };
    svc.resource.attributes = svc.resource_attributes;
    svc.resource.service_name = svc.strings[0];
    static constexpr const char* kScopes[] = {
        "go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp",
        "io.opentelemetry.grpc-1.6",
        "opentelemetry.instrumentation.flask",
        "@opentelemetry/instrumentation-http",
        "OpenTelemetry.Instrumentation.AspNetCore",
    };
    svc.scope.name = kScopes[static_cast<int>(spec.lang)];
    svc.scope.version = lang.sdk_version;
  }
}

void W1Generator::Impl::StartPending(int service) {
  Pending& p = pending[service];
  p.set = model::SpanSet(16 * 1024);
  p.set.spans().reserve(options.max_spans_per_request < 512 ? options.max_spans_per_request : 512);
  p.resource = p.set.CopyResource(services[service].resource);
  p.scope = p.set.CopyScope(services[service].scope);
}

void W1Generator::Impl::Emit(int service) {
  ready.push_back(std::move(pending[service].set));
  StartPending(service);
}

int W1Generator::Impl::NewNode(int service, int op, Shape shape, SpanKind kind, int parent,
                               int peer, uint64_t start, uint64_t end, uint64_t request_id) {
  Node n;
  n.service = service;
  n.op = op;
  n.shape = shape;
  n.kind = kind;
  n.parent = parent;
  n.peer = peer;
  n.start = start;
  n.end = end;
  n.request_id = request_id;
  do {
    n.span_id = id_rng.Next();
  } while (n.span_id == 0);
  // 2 % of spans fail (§1 errors).
  n.error = rng.Chance(20'000);
  nodes.push_back(n);
  return static_cast<int>(nodes.size()) - 1;
}

// Adds one child (or a client/server or producer/consumer pair) under nodes[parent].
void W1Generator::Impl::AddChild(int parent) {
  const Node p = nodes[parent];
  const Service& svc = services[p.service];
  const uint64_t dur = p.end - p.start;
  // A sub-interval of the parent: starts in its first 60 %, ends before it does.
  uint64_t start = p.start + rng.Below(dur * 6 / 10 + 1);
  uint64_t end = start + 1000 + rng.Below((p.end - start) * 9 / 10 + 1);
  if (end > p.end) end = p.end;
  const size_t room = trace_total - nodes.size();  // spans still to add in this trace
  const uint64_t request_id = rng.Next();

  enum Action { kInternal, kCall, kProduce, kDbLeaf } action = kInternal;
  if (svc.spec->protocol == Protocol::kSql) {
    // db-proxy forwards to the database (not instrumented: a leaf client span) or works locally.
    action = rng.Below(100) < 75 ? kDbLeaf : kInternal;
  } else {
    uint64_t roll = rng.Below(100);
    if (room >= 2 && !svc.callees.empty() && roll < 70) {
      action = kCall;
    } else if (room >= 2 && !svc.producer.empty() && roll < 78) {
      action = kProduce;
    }
  }
  switch (action) {
    case kInternal: {
      NewNode(p.service, rng.Pick(svc.internal), Shape::kInternal, SpanKind::kInternal, parent, -1,
              start, end, request_id);
      break;
    }
    case kDbLeaf: {
      // The client span of a query the proxy forwards: named like the statement it serves (or,
      // under one of its internal spans, like any statement it serves).
      int op = p.shape == Shape::kSqlServer ? p.op : static_cast<int>(rng.Pick(svc.served));
      NewNode(p.service, op, Shape::kSqlClient, SpanKind::kClient, parent, -1, start, end,
              request_id);
      break;
    }
    case kCall: {
      int callee = rng.Pick(svc.callees);
      const Service& cs = services[callee];
      int op = rng.Pick(cs.served);
      Shape served = cs.ops[op].shape;
      int client = NewNode(p.service, -1, ClientShape(served), SpanKind::kClient, parent, callee,
                           start, end, request_id);
      nodes[client].op = op;  // the client span carries the callee's operation name
      // The server side sits inside the client span, less the network time.
      uint64_t cdur = end - start;
      uint64_t net = cdur / 20 + rng.Below(cdur / 10 + 1);
      NewNode(callee, op, served, SpanKind::kServer, client, p.service, start + net / 2,
              end - net / 2 > start + net / 2 ? end - net / 2 : start + net / 2, request_id);
      break;
    }
    case kProduce: {
      const Topic& topic = topics[services[p.service].ops[rng.Pick(svc.producer)].topic];
      int producer = NewNode(p.service, topic.producer_op, Shape::kProducer, SpanKind::kProducer,
                             parent, -1, start, start + (end - start) / 4 + 200, request_id);
      // The consumer processes the message a little later, possibly after the parent ended.
      uint64_t cstart = nodes[producer].end + 100'000 + rng.Below(5'000'000);
      NewNode(topic.consumer_service, topic.consumer_op, Shape::kConsumer, SpanKind::kConsumer,
              producer, p.service, cstart, cstart + 200'000 + rng.Below(20'000'000), request_id);
      break;
    }
  }
}

void W1Generator::Impl::GenerateTrace() {
  const int total = static_cast<int>(rng.Between(5, 30));  // §1: 5–30 spans, uniform
  nodes.clear();
  trace_total = total;
  model::TraceId trace_id;
  do {
    trace_id.high = id_rng.Next();
    trace_id.low = id_rng.Next();
  } while (trace_id.IsZero());

  const uint64_t start = next_trace_start;
  next_trace_start += 500'000 + rng.Below(1'000'000);  // ~1 ms between traces
  const uint64_t duration = 2'000'000 + rng.Below(300'000'000);
  const int root_service = rng.Chance(600'000) ? 0 : 1;  // frontend or api-gateway
  const Service& root = services[root_service];
  int root_op = rng.Pick(root.served);
  NewNode(root_service, root_op, root.ops[root_op].shape, SpanKind::kServer, -1, -1, start,
          start + duration, rng.Next());

  while (static_cast<int>(nodes.size()) < total) {
    // Parents: server, consumer and internal spans (client and producer spans get their one child
    // with them). Prefer recent spans so trees grow deep as well as wide.
    int parent;
    do {
      size_t n = nodes.size();
      parent = rng.Chance(500'000) ? static_cast<int>(n - 1 - rng.Below(n < 4 ? n : 4))
                                   : static_cast<int>(rng.Below(n));
    } while (nodes[parent].kind == SpanKind::kClient || nodes[parent].kind == SpanKind::kProducer);
    AddChild(parent);
  }

  for (const Node& n : nodes) {
    if (pending[n.service].set.size() >= options.max_spans_per_request) Emit(n.service);
    Pending& p = pending[n.service];
    if (p.set.empty()) p.first_trace = traces;
    WriteSpan(n, trace_id);
  }
  ++traces;
  for (size_t s = 0; s < pending.size(); ++s) {
    Pending& p = pending[s];
    if (p.set.size() >= options.max_spans_per_request ||
        (!p.set.empty() && traces - p.first_trace >= kMaxPendingTraces)) {
      Emit(static_cast<int>(s));
    }
  }
}

namespace {

// Builds attribute lists in a request's arena.
class AttrWriter {
 public:
  AttrWriter(Arena& arena, KeyValue* out) : arena_(arena), out_(out) {}
  void Str(std::string_view key, std::string_view literal_or_arena) {
    out_[n_++] = {key, AnyValue::String(literal_or_arena)};
  }
  void Copy(std::string_view key, std::string_view transient) {
    out_[n_++] = {key, AnyValue::String(arena_.CopyString(transient))};
  }
  void Int(std::string_view key, int64_t v) { out_[n_++] = {key, AnyValue::Int(v)}; }
  void Bool(std::string_view key, bool v) { out_[n_++] = {key, AnyValue::Bool(v)}; }
  size_t size() const { return n_; }

 private:
  Arena& arena_;
  KeyValue* out_;
  size_t n_ = 0;
};

std::string IdText(uint64_t id) { return absl::StrCat(id % 10'000'000); }

// A request ID as a UUID-shaped string; the low half repeats `id` so both sides of a call agree.
std::string RequestIdText(uint64_t id) {
  uint64_t hi = id * 0x9E3779B97F4A7C15ull;
  return absl::StrCat(absl::Hex(hi >> 32, absl::kZeroPad8), "-",
                      absl::Hex((hi >> 16) & 0xFFFF, absl::kZeroPad4), "-4",
                      absl::Hex(hi & 0xFFF, absl::kZeroPad3), "-",
                      absl::Hex(0x8000 | (id >> 48 & 0x3FFF), absl::kZeroPad4), "-",
                      absl::Hex(id & 0xFFFFFFFFFFFFull, absl::kZeroPad12));
}

// "/api/cart/{id}" with "{id}" replaced by a number drawn from `id`.
std::string FillRoute(std::string_view route, uint64_t id) {
  std::string out;
  size_t brace = route.find("{id}");
  if (brace == std::string_view::npos) {
    out = std::string(route);
    if (route.find('?') == std::string_view::npos && (id & 3) == 0) {
      absl::StrAppend(&out, "?page=", id % 20 + 1);
    }
    return out;
  }
  out.append(route.substr(0, brace));
  out += IdText(id);
  out.append(route.substr(brace + 4));
  return out;
}

}  // namespace

void W1Generator::Impl::WriteSpan(const Node& n, const model::TraceId& trace_id) {
  Pending& p = pending[n.service];
  Arena& arena = p.set.arena();
  const Service& svc = services[n.service];
  model::Span& span = p.set.spans().emplace_back();
  span.trace_id = trace_id;
  span.span_id.value = n.span_id;
  span.parent_span_id.value = n.parent >= 0 ? nodes[n.parent].span_id : 0;
  span.flags = 1;  // sampled
  span.kind = n.kind;
  span.start_time_unix_nano = n.start;
  span.end_time_unix_nano = n.end;
  span.resource = p.resource;
  span.scope = p.scope;

  // The operation: a client span is named after the callee's operation.
  const Service& named = (n.shape == Shape::kHttpClient || n.shape == Shape::kGrpcClient ||
                          (n.shape == Shape::kSqlClient && n.peer >= 0))
                             ? services[n.peer]
                             : svc;
  const Operation& op = named.ops[n.op];
  span.name = arena.CopyString(op.name);

  KeyValue* attrs = arena.AllocateArray<KeyValue>(9);
  AttrWriter w(arena, attrs);
  const int extra = static_cast<int>(rng.Below(3));  // 7–9 attributes (§1)
  const int http_status =
      n.error ? (rng.Chance(500'000) ? 500 : 503) : (rng.Chance(50'000) ? 404 : 200);
  const int grpc_status = n.error ? (rng.Chance(500'000) ? 13 : 14) : 0;

  switch (n.shape) {
    case Shape::kHttpServer:
    case Shape::kHttpClient: {
      std::string_view route = op.name;
      size_t sp = route.find(' ');
      std::string_view method = route.substr(0, sp);
      std::string_view path_template = route.substr(sp + 1);
      w.Copy("http.request.method", method);
      if (n.shape == Shape::kHttpServer) {
        w.Copy("http.route", path_template);
        w.Copy("url.path", FillRoute(path_template, n.request_id));
        w.Int("http.response.status_code", http_status);
        w.Str("user_agent.original", n.peer < 0 ? kUserAgents[n.request_id % std::size(kUserAgents)]
                                                : "Go-http-client/1.1");
        w.Copy("client.address", n.peer >= 0 ? std::string_view(services[n.peer].ip)
                                             : absl::StrCat("203.0.113.", n.request_id % 250 + 1));
        w.Copy("server.address", svc.fqdn);
        if (extra >= 1) w.Str("network.protocol.version", "1.1");
        if (extra >= 2) w.Str("url.scheme", "http");
      } else {
        const Service& callee = services[n.peer];
        w.Copy("url.full", absl::StrCat("http://", callee.fqdn, ":", callee.port,
                                        FillRoute(path_template, n.request_id)));
        w.Int("http.response.status_code", http_status);
        w.Str("peer.service", callee.spec->name);
        w.Copy("server.address", callee.fqdn);
        w.Int("server.port", callee.port);
        w.Str("user_agent.original", "Go-http-client/1.1");
        if (extra >= 1) w.Str("network.protocol.version", "1.1");
        if (extra >= 2) w.Int("http.request.resend_count", 0);
      }
      break;
    }
    case Shape::kGrpcServer:
    case Shape::kGrpcClient: {
      std::string_view full = op.name;
      size_t slash = full.find('/');
      w.Str("rpc.system", "grpc");
      w.Copy("rpc.service", full.substr(0, slash));
      w.Copy("rpc.method", full.substr(slash + 1));
      w.Int("rpc.grpc.status_code", grpc_status);
      if (n.shape == Shape::kGrpcServer) {
        w.Copy("server.address", svc.fqdn);
        w.Int("server.port", svc.port);
        w.Copy("client.address", services[n.peer].ip);
        if (extra >= 1) w.Copy("app.request.id", RequestIdText(n.request_id));
        if (extra >= 2) w.Str("network.transport", "tcp");
      } else {
        const Service& callee = services[n.peer];
        w.Str("peer.service", callee.spec->name);
        w.Copy("server.address", callee.fqdn);
        w.Int("server.port", callee.port);
        if (extra >= 1) w.Copy("app.request.id", RequestIdText(n.request_id));
        if (extra >= 2) w.Str("network.transport", "tcp");
      }
      break;
    }
    case Shape::kSqlServer:
    case Shape::kSqlClient: {
      const auto& stmt = kDbStatements[op.table];
      std::string_view verb = std::string_view(op.name).substr(0, op.name.find(' '));
      w.Str("db.system", "postgresql");
      w.Str("db.name", "shop");
      w.Copy("db.statement",
             verb == "SELECT" ? absl::StrCat("SELECT ", stmt[1])
             : verb == "INSERT"
                 ? absl::StrCat("INSERT INTO ", stmt[0], " VALUES ($1, $2, $3, $4)")
                 : absl::StrCat("UPDATE ", stmt[0], " SET state = $2 WHERE id = $1"));
      w.Copy("db.operation", verb);
      w.Str("db.sql.table", stmt[0]);
      if (n.shape == Shape::kSqlServer) {
        w.Copy("client.address", services[n.peer].ip);
        w.Int("server.port", svc.port);
      } else {
        w.Str("peer.service", n.peer >= 0 ? std::string_view("db-proxy") : "postgres");
        w.Str("server.address", n.peer >= 0 ? std::string_view("db-proxy") : "pg-primary.shop");
      }
      if (extra >= 1) w.Str("db.user", "shop_app");
      if (extra >= 2) w.Int("db.rows_affected", static_cast<int64_t>(n.request_id % 40));
      break;
    }
    case Shape::kInternal: {
      std::string_view name = op.name;
      w.Copy("code.function", name.substr(name.rfind('.') + 1));
      w.Copy("code.namespace", absl::StrCat("shop.", svc.spec->name));
      w.Copy("code.filepath", absl::StrCat("src/", svc.spec->name, "/handler.go"));
      w.Int("code.lineno", static_cast<int64_t>(40 + n.request_id % 400));
      w.Int("thread.id", static_cast<int64_t>(1 + n.request_id % 64));
      w.Bool("app.cache.hit", (n.request_id >> 8) & 1);
      w.Int("app.items", static_cast<int64_t>((n.request_id >> 16) % 50));
      if (extra >= 1) w.Copy("app.tenant", absl::StrCat("tenant-", (n.request_id >> 24) % 100));
      if (extra >= 2) w.Str("thread.name", "worker");
      break;
    }
    case Shape::kProducer:
    case Shape::kConsumer: {
      const Topic& topic = topics[op.topic];
      w.Str("messaging.system", "kafka");
      w.Copy("messaging.destination.name", topic.name);
      w.Str("messaging.operation", n.shape == Shape::kProducer ? "publish" : "process");
      w.Copy("messaging.message.id", absl::StrCat(absl::Hex(n.request_id, absl::kZeroPad16)));
      w.Int("messaging.kafka.destination.partition", static_cast<int64_t>(n.request_id % 12));
      if (n.shape == Shape::kProducer) {
        w.Str("peer.service", "kafka");
        w.Str("server.address", "kafka-0.kafka");
      } else {
        w.Copy("messaging.kafka.consumer.group", svc.spec->name);
        w.Int("messaging.kafka.message.offset", static_cast<int64_t>(n.request_id % 1'000'000));
      }
      if (extra >= 1)
        w.Int("messaging.message.body.size", static_cast<int64_t>(n.request_id % 4096));
      if (extra >= 2) w.Str("network.transport", "tcp");
      break;
    }
  }
  span.attributes = {attrs, w.size()};

  if (n.error) {
    const auto& err = rng.Pick(kErrors);
    span.status.code = model::StatusCode::kError;
    span.status.message = err[1];
    // One `exception` event: type, message and a multi-line stack trace in the service's language.
    const LangInfo& lang = kLangs[static_cast<int>(svc.spec->lang)];
    std::string stack;
    switch (svc.spec->lang) {
      case Lang::kGo:
        stack = absl::StrCat("goroutine ", 1 + n.request_id % 900, " [running]:\n", "shop/",
                             svc.spec->name, "/internal.(*Handler).Serve(0xc000",
                             absl::Hex(n.request_id & 0xFFFFFF), ")\n\t/src/", svc.spec->name,
                             "/internal/handler.go:", 40 + n.request_id % 300, " +0x1a5\n",
                             "net/http.HandlerFunc.ServeHTTP(...)\n\t/usr/local/go/src/net/http/"
                             "server.go:2136\nmain.main()\n\t/src/",
                             svc.spec->name, "/main.go:58");
        break;
      case Lang::kJava:
        stack = absl::StrCat(lang.exception_type, ": ", err[0], "\n\tat shop.", svc.spec->name,
                             ".Handler.handle(Handler.java:", 40 + n.request_id % 300, ")\n",
                             "\tat io.grpc.stub.ServerCalls$UnaryServerCallHandler.onHalfClose("
                             "ServerCalls.java:182)\n\tat java.base/java.lang.Thread.run("
                             "Thread.java:833)");
        break;
      case Lang::kPython:
        stack = absl::StrCat("Traceback (most recent call last):\n  File \"/app/", svc.spec->name,
                             "/handlers.py\", line ", 40 + n.request_id % 300, ", in handle\n",
                             "    result = self.backend.call(request)\n  File \"/app/",
                             svc.spec->name, "/backend.py\", line 88, in call\n    raise ",
                             lang.exception_type, "(msg)\n", lang.exception_type, ": ", err[0]);
        break;
      case Lang::kNode:
        stack = absl::StrCat("Error: ", err[0], "\n    at Handler.handle (/app/", svc.spec->name,
                             "/src/handler.js:", 40 + n.request_id % 300,
                             ":17)\n    at processTicksAndRejections "
                             "(node:internal/process/task_queues:95:5)");
        break;
      case Lang::kDotnet:
        stack =
            absl::StrCat(lang.exception_type, ": ", err[0], "\n   at Shop.", svc.spec->name,
                         ".Handler.HandleAsync() in /src/Handler.cs:line ", 40 + n.request_id % 300,
                         "\n   at Grpc.AspNetCore.Server.Internal.CallHandlers."
                         "UnaryServerCallHandler`3.HandleCallAsyncCore()");
        break;
    }
    KeyValue* ev_attrs = arena.AllocateArray<KeyValue>(3);
    ev_attrs[0] = {"exception.type", AnyValue::String(lang.exception_type)};
    ev_attrs[1] = {"exception.message", AnyValue::String(err[0])};
    ev_attrs[2] = {"exception.stacktrace", AnyValue::String(arena.CopyString(stack))};
    model::Event* event = arena.New<model::Event>();
    event->name = "exception";
    event->time_unix_nano = n.end - (n.end - n.start) / 8;
    event->attributes = {ev_attrs, 3};
    span.events = {event, 1};
  }
  // Successful spans keep status UNSET, as instrumentations leave it (OTel semantic conventions).
}

W1Generator::W1Generator(W1Options options) : impl_(new Impl(options)) {}
W1Generator::~W1Generator() { delete impl_; }

model::SpanSet W1Generator::NextRequest() {
  while (impl_->ready.empty()) impl_->GenerateTrace();
  model::SpanSet out = std::move(impl_->ready.front());
  impl_->ready.pop_front();
  impl_->spans_returned += out.size();
  return out;
}

uint64_t W1Generator::spans_generated() const { return impl_->spans_returned; }
uint64_t W1Generator::traces_generated() const { return impl_->traces; }

}  // namespace skua::tracegen
