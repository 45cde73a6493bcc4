#include "query/http/query_api.h"

#include <algorithm>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <span>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "base/json.h"
#include "base/status.h"
#include "config/duration.h"
#include "model/span.h"
#include "query/http/ui_json.h"
#include "simdjson.h"
#include "tenancy/tenancy.h"

namespace skua::query::http {
namespace {

constexpr int32_t kDefaultSearchLimit = 100;  // Jaeger's defaultQueryLimit
constexpr int64_t kMaxInt64 = std::numeric_limits<int64_t>::max();

// ---------------------------------------------------------------------------------------------
// Go-compatible parsing. Jaeger's 400 messages embed Go's error texts, so the parsers below
// reproduce strconv's grammar and wording (time.ParseDuration's is config::ParseGoDuration).

constexpr char kLowerHex[] = "0123456789abcdef";

void AppendHexByte(unsigned char c, std::string& out) {
  out += "\\x";
  out += kLowerHex[c >> 4];
  out += kLowerHex[c & 0xF];
}

// Length of the valid UTF-8 sequence starting at s[i], or 0 if invalid.
size_t Utf8SequenceLength(std::string_view s, size_t i) {
  const auto c = static_cast<unsigned char>(s[i]);
  size_t n;
  uint32_t min;
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2, min = 0x80;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3, min = 0x800;
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4, min = 0x10000;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  uint32_t cp = c & (0x7F >> n);
  for (size_t k = 1; k < n; ++k) {
    const auto cc = static_cast<unsigned char>(s[i + k]);
    if ((cc & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (cc & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return n;
}

// strconv.Quote(): Go string-literal syntax (control characters and invalid UTF-8 escaped).
std::string StrconvQuote(std::string_view s) {
  std::string out = "\"";
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x80) {
      if (size_t n = Utf8SequenceLength(s, i); n > 0) {
        out.append(s.substr(i, n));
        i += n;
      } else {
        AppendHexByte(c, out);
        ++i;
      }
      continue;
    }
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\a':
        out += "\\a";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\v':
        out += "\\v";
        break;
      default:
        if (c < ' ' || c == 0x7F) {
          AppendHexByte(c, out);
        } else {
          out += static_cast<char>(c);
        }
    }
    ++i;
  }
  out += '"';
  return out;
}

absl::Status NumError(std::string_view fn, std::string_view num, std::string_view what) {
  return absl::InvalidArgumentError(
      absl::StrCat("strconv.", ToAbsl(fn), ": parsing ", StrconvQuote(num), ": ", ToAbsl(what)));
}

// strconv.ParseInt(s, 10, bits).
absl::StatusOr<int64_t> ParseGoInt(std::string_view s, int bits) {
  constexpr std::string_view kFn = "ParseInt";
  if (s.empty()) return NumError(kFn, s, "invalid syntax");
  size_t i = 0;
  bool neg = false;
  if (s[0] == '+' || s[0] == '-') {
    neg = s[0] == '-';
    i = 1;
  }
  if (i == s.size()) return NumError(kFn, s, "invalid syntax");
  const uint64_t max_unsigned = bits == 64 ? UINT64_MAX : (uint64_t{1} << bits) - 1;
  uint64_t n = 0;
  bool range = false;
  for (; i < s.size(); ++i) {
    const char c = s[i];
    if (c < '0' || c > '9') return NumError(kFn, s, "invalid syntax");
    // Go stops at the first overflow without looking at the remaining characters.
    if (n >= UINT64_MAX / 10 + 1) {
      range = true;
      break;
    }
    n *= 10;
    const uint64_t n1 = n + static_cast<uint64_t>(c - '0');
    if (n1 < n || n1 > max_unsigned) {
      range = true;
      break;
    }
    n = n1;
  }
  const uint64_t cutoff = uint64_t{1} << (bits - 1);
  if (range || (!neg && n >= cutoff) || (neg && n > cutoff)) {
    return NumError(kFn, s, "value out of range");
  }
  return neg ? static_cast<int64_t>(0 - n) : static_cast<int64_t>(n);
}

// strconv.ParseUint(s, 16, 64) for at most 16 digits (no range error possible).
absl::StatusOr<uint64_t> ParseGoHex64(std::string_view s) {
  if (s.empty() || s.size() > 16) return NumError("ParseUint", s, "invalid syntax");
  uint64_t v = 0;
  for (char c : s) {
    int d;
    if (c >= '0' && c <= '9') {
      d = c - '0';
    } else if (c >= 'a' && c <= 'f') {
      d = c - 'a' + 10;
    } else if (c >= 'A' && c <= 'F') {
      d = c - 'A' + 10;
    } else {
      return NumError("ParseUint", s, "invalid syntax");
    }
    v = (v << 4) | static_cast<uint64_t>(d);
  }
  return v;
}

// Jaeger's model.TraceIDFromString: 1..32 hex digits, the last 16 are the low half.
absl::StatusOr<model::TraceId> ParseTraceIdGo(std::string_view s) {
  if (s.size() > 32) {
    return absl::InvalidArgumentError(
        absl::StrCat("TraceID cannot be longer than 32 hex characters: ", ToAbsl(s)));
  }
  model::TraceId id;
  if (s.size() > 16) {
    const size_t high_len = s.size() - 16;
    absl::StatusOr<uint64_t> high = ParseGoHex64(s.substr(0, high_len));
    if (!high.ok()) return high.status();
    absl::StatusOr<uint64_t> low = ParseGoHex64(s.substr(high_len));
    if (!low.ok()) return low.status();
    id.high = *high;
    id.low = *low;
  } else {
    absl::StatusOr<uint64_t> low = ParseGoHex64(s);
    if (!low.ok()) return low.status();
    id.low = *low;
  }
  return id;
}

// strconv.ParseBool's true spellings (anything else, including errors, is false for raw=).
bool GoParseBoolTrue(std::string_view s) {
  return s == "1" || s == "t" || s == "T" || s == "TRUE" || s == "true" || s == "True";
}

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// url.QueryUnescape: %XX decoded, '+' → ' '; nullopt on a malformed escape.
std::optional<std::string> QueryUnescape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%') {
      if (i + 2 >= s.size()) return std::nullopt;
      const int hi = HexDigit(s[i + 1]);
      const int lo = HexDigit(s[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else if (s[i] == '+') {
      out += ' ';
    } else {
      out += s[i];
    }
  }
  return out;
}

// Converts µs/ms timestamps to Unix ns for storage, clamping instead of wrapping around.
uint64_t ToUnixNanos(int64_t value, int64_t nanos_per_unit) {
  if (value <= 0) return 0;
  if (static_cast<uint64_t>(value) > UINT64_MAX / static_cast<uint64_t>(nanos_per_unit)) {
    return UINT64_MAX;
  }
  return static_cast<uint64_t>(value) * static_cast<uint64_t>(nanos_per_unit);
}

// ---------------------------------------------------------------------------------------------
// Responses (jaeger-compat §2.3).

std::string_view FirstParam(const net::HttpRequest& req, std::string_view key) {
  std::optional<std::string_view> v = req.QueryParam(key);
  return v.has_value() ? *v : std::string_view();
}

void AppendEnvelopeTail(size_t total, std::string_view errors_json, std::string& out) {
  absl::StrAppend(&out, ",\"total\":", total, ",\"limit\":0,\"offset\":0,\"errors\":",
                  errors_json.empty() ? absl::string_view("null") : ToAbsl(errors_json), "}");
}

// Go's http.Error with the JSON envelope as the body.
void WriteError(net::HttpResponse& resp, int code, std::string_view msg) {
  std::string body = "{\"data\":null";
  std::string errors = absl::StrCat("[{\"code\":", code, ",\"msg\":");
  AppendJsonString(msg, errors);
  errors += "}]";
  AppendEnvelopeTail(0, errors, body);
  body += '\n';
  resp.status = code;
  resp.content_type = "text/plain; charset=utf-8";
  resp.body = std::move(body);
  resp.headers.emplace_back("X-Content-Type-Options", "nosniff");
}

int HttpCodeFor(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kInvalidArgument:
      return 400;
    case absl::StatusCode::kNotFound:
      return 404;
    case absl::StatusCode::kUnimplemented:
      return 501;
    case absl::StatusCode::kUnavailable:
      return 503;
    default:
      return 500;
  }
}

void WriteStatusError(net::HttpResponse& resp, const absl::Status& status) {
  WriteError(resp, HttpCodeFor(status), ToStd(status.message()));
}

// Success: compact JSON, or 4-space indentation when prettyPrint is set to anything but "" or
// "false" (§2.1).
void WriteJson(const net::HttpRequest& req, net::HttpResponse& resp, std::string body) {
  const std::string_view pretty = FirstParam(req, "prettyPrint");
  resp.status = 200;
  resp.content_type = "application/json";
  resp.body = (!pretty.empty() && pretty != "false") ? PrettyPrintJson(body) : std::move(body);
}

absl::Status ParseError(std::string_view param, const absl::Status& cause) {
  return absl::InvalidArgumentError(
      absl::StrCat("unable to parse param '", ToAbsl(param), "': ", cause.message()));
}

// Parses the `tags` JSON object into `tags` (later keys win).
absl::Status ParseTagsJson(std::string_view json, std::map<std::string, std::string>& tags) {
  constexpr std::string_view kPrefix = "malformed 'tags' parameter, cannot unmarshal JSON: ";
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (auto err = parser.parse(json.data(), json.size(), /*realloc_if_needed=*/true).get(doc); err) {
    return absl::InvalidArgumentError(absl::StrCat(ToAbsl(kPrefix), simdjson::error_message(err)));
  }
  auto type_name = [](simdjson::dom::element_type t) -> std::string_view {
    switch (t) {
      case simdjson::dom::element_type::ARRAY:
        return "array";
      case simdjson::dom::element_type::OBJECT:
        return "object";
      case simdjson::dom::element_type::STRING:
        return "string";
      case simdjson::dom::element_type::BOOL:
        return "bool";
      default:
        return "number";
    }
  };
  if (doc.is_null()) return absl::OkStatus();  // Go: null leaves the map empty
  simdjson::dom::object object;
  if (doc.get(object) != simdjson::SUCCESS) {
    return absl::InvalidArgumentError(absl::StrCat(ToAbsl(kPrefix), "json: cannot unmarshal ",
                                                   ToAbsl(type_name(doc.type())),
                                                   " into Go value of type map[string]string"));
  }
  for (simdjson::dom::key_value_pair field : object) {
    std::string value;
    simdjson::dom::element v = field.value;
    switch (v.type()) {
      case simdjson::dom::element_type::STRING:
        value = std::string(v.get_string().value_unsafe());
        break;
      case simdjson::dom::element_type::INT64:
        value = model::ValueToString(model::AnyValue::Int(v.get_int64().value_unsafe()));
        break;
      case simdjson::dom::element_type::UINT64:
        value = absl::StrCat(v.get_uint64().value_unsafe());
        break;
      case simdjson::dom::element_type::DOUBLE:
        value = model::ValueToString(model::AnyValue::Double(v.get_double().value_unsafe()));
        break;
      case simdjson::dom::element_type::BOOL:
        value = v.get_bool().value_unsafe() ? "true" : "false";
        break;
      case simdjson::dom::element_type::NULL_VALUE:
        break;  // Go stores the zero value ""
      default:
        return absl::InvalidArgumentError(absl::StrCat(ToAbsl(kPrefix), "json: cannot unmarshal ",
                                                       ToAbsl(type_name(v.type())),
                                                       " into Go value of type string"));
    }
    tags[std::string(field.key)] = std::move(value);
  }
  return absl::OkStatus();
}

// The parsed /api/traces request (query_parser.go parseTraceQueryParams).
struct SearchRequest {
  storage::TraceQuery query;
  std::vector<model::TraceId> trace_ids;
  bool empty_result = false;  // a negative maxDuration: nothing can match
};

// ---------------------------------------------------------------------------------------------

class QueryApi {
 public:
  QueryApi(QueryService& service, QueryApiOptions options, net::HttpHandler fallback)
      : service_(service), options_(std::move(options)), fallback_(std::move(fallback)) {
    tenancy_.enabled = options_.multi_tenancy;
    tenancy_.header = options_.tenant_header;
    tenancy_.tenants = options_.tenants;
    std::string_view base = options_.base_path;
    while (!base.empty() && base.back() == '/') base.remove_suffix(1);
    api_prefix_ = absl::StrCat(ToAbsl(base), "/api");
  }

  void Handle(const net::HttpRequest& req, net::HttpResponse& resp) const {
    std::string_view path = req.raw_path.empty() ? std::string_view(req.path) : req.raw_path;
    if (size_t q = path.find('?'); q != std::string_view::npos) path = path.substr(0, q);
    if (path != api_prefix_ &&
        !(path.starts_with(api_prefix_) && path.size() > api_prefix_.size() &&
          path[api_prefix_.size()] == '/')) {
      if (fallback_) fallback_(req, resp);
      AddHeaders(resp);
      return;
    }
    HandleApi(req, path.substr(std::min(path.size(), api_prefix_.size() + 1)), resp);
    AddHeaders(resp);
  }

 private:
  enum class Route {
    kNone,
    kServices,
    kLegacyOperations,
    kOperations,
    kSearch,
    kTrace,
    kDependencies,
    kMetrics
  };

  void AddHeaders(net::HttpResponse& resp) const {
    for (const auto& h : options_.additional_headers) resp.headers.push_back(h);
  }

  int64_t NowNanos() const {
    return options_.now_unix_nanos ? options_.now_unix_nanos() : absl::GetCurrentTimeNanos();
  }

  // `rest` is the encoded path after "{base}/api/".
  void HandleApi(const net::HttpRequest& req, std::string_view rest,
                 net::HttpResponse& resp) const {
    std::vector<std::string_view> parts;
    for (size_t from = 0;;) {
      const size_t slash = rest.find('/', from);
      parts.push_back(rest.substr(from, slash == std::string_view::npos ? slash : slash - from));
      if (slash == std::string_view::npos) break;
      from = slash + 1;
    }
    Route route = Route::kNone;
    const size_t n = parts.size();
    if (n == 1 && parts[0] == "services") {
      route = Route::kServices;
    } else if (n == 3 && parts[0] == "services" && !parts[1].empty() && parts[2] == "operations") {
      route = Route::kLegacyOperations;
    } else if (n == 1 && parts[0] == "operations") {
      route = Route::kOperations;
    } else if (n == 1 && parts[0] == "traces") {
      route = Route::kSearch;
    } else if (n == 2 && parts[0] == "traces" && !parts[1].empty()) {
      route = Route::kTrace;
    } else if (n == 1 && parts[0] == "dependencies") {
      route = Route::kDependencies;
    } else if (n == 2 && parts[0] == "metrics" &&
               (parts[1] == "latencies" || parts[1] == "calls" || parts[1] == "errors" ||
                parts[1] == "minstep")) {
      route = Route::kMetrics;
    }
    if (route == Route::kNone) {
      WriteError(resp, 404, "page not found");
      return;
    }
    if (req.method != "GET") {
      WriteError(resp, 405, "method not allowed");
      resp.headers.emplace_back("Allow", "GET");
      return;
    }
    // The rule every receiver applies too (tenancy::ResolveTenant): 401 with Jaeger's text.
    absl::StatusOr<std::string> resolved = tenancy::TenantFromHttpRequest(tenancy_, req);
    if (!resolved.ok()) {
      tenancy::WriteHttpRefusal(resolved.status(), resp);
      return;
    }
    const std::string tenant = *std::move(resolved);
    switch (route) {
      case Route::kServices:
        return GetServices(req, tenant, resp);
      case Route::kLegacyOperations:
        return GetLegacyOperations(req, tenant, parts[1], resp);
      case Route::kOperations:
        return GetOperations(req, tenant, resp);
      case Route::kSearch:
        return Search(req, tenant, resp);
      case Route::kTrace:
        return GetTrace(req, tenant, parts[1], resp);
      case Route::kDependencies:
        return GetDependencies(req, tenant, resp);
      case Route::kMetrics:
        // Jaeger without a metrics backend: ErrDisabled turns any status into 501.
        return WriteError(resp, 501, "metrics querying is currently disabled");
      case Route::kNone:
        break;
    }
  }

  static void AppendStringList(std::span<const std::string> items, std::string& out) {
    out += '[';
    for (size_t i = 0; i < items.size(); ++i) {
      if (i > 0) out += ',';
      AppendJsonString(items[i], out);
    }
    out += ']';
  }

  void GetServices(const net::HttpRequest& req, const std::string& tenant,
                   net::HttpResponse& resp) const {
    absl::StatusOr<std::vector<std::string>> services = service_.GetServices(tenant);
    if (!services.ok()) return WriteStatusError(resp, services.status());
    std::string out = "{\"data\":";
    AppendStringList(*services, out);
    AppendEnvelopeTail(services->size(), {}, out);
    WriteJson(req, resp, std::move(out));
  }

  void GetLegacyOperations(const net::HttpRequest& req, const std::string& tenant,
                           std::string_view encoded_service, net::HttpResponse& resp) const {
    // Jaeger ignores an unescape error and asks for service "", which has no operations.
    std::optional<std::string> service = QueryUnescape(encoded_service);
    std::vector<std::string> names;
    if (service.has_value() && !service->empty()) {
      storage::OperationQuery query;
      query.service_name = std::move(*service);  // every span kind
      absl::StatusOr<std::vector<storage::Operation>> ops = service_.GetOperations(tenant, query);
      if (!ops.ok()) return WriteStatusError(resp, ops.status());
      for (storage::Operation& op : *ops) names.push_back(std::move(op.name));
      std::sort(names.begin(), names.end());
      names.erase(std::unique(names.begin(), names.end()), names.end());
    }
    std::string out = "{\"data\":";
    AppendStringList(names, out);
    AppendEnvelopeTail(names.size(), {}, out);
    WriteJson(req, resp, std::move(out));
  }

  void GetOperations(const net::HttpRequest& req, const std::string& tenant,
                     net::HttpResponse& resp) const {
    storage::OperationQuery query;
    query.service_name = std::string(FirstParam(req, "service"));
    if (query.service_name.empty()) {
      return WriteError(resp, 400, "parameter 'service' is required");
    }
    // Jaeger: an empty or absent spanKind means every kind.
    if (std::string_view kind = FirstParam(req, "spanKind"); !kind.empty()) {
      query.span_kind = std::string(kind);
    }
    absl::StatusOr<std::vector<storage::Operation>> ops = service_.GetOperations(tenant, query);
    if (!ops.ok()) return WriteStatusError(resp, ops.status());
    std::string out = "{\"data\":[";
    for (size_t i = 0; i < ops->size(); ++i) {
      if (i > 0) out += ',';
      out += "{\"name\":";
      AppendJsonString((*ops)[i].name, out);
      out += ",\"spanKind\":";
      AppendJsonString((*ops)[i].span_kind, out);
      out += '}';
    }
    out += ']';
    AppendEnvelopeTail(ops->size(), {}, out);
    WriteJson(req, resp, std::move(out));
  }

  // An integer parameter (Go's strconv.ParseInt, 64 bits); nullopt when absent or empty, which
  // Jaeger treats alike.
  static absl::StatusOr<std::optional<int64_t>> ParseIntParam(const net::HttpRequest& req,
                                                              std::string_view name) {
    const std::string_view value = FirstParam(req, name);
    if (value.empty()) return std::nullopt;
    absl::StatusOr<int64_t> v = ParseGoInt(value, 64);
    if (!v.ok()) return ParseError(name, v.status());
    return *v;
  }

  static absl::StatusOr<int64_t> ParseDurationParam(const net::HttpRequest& req,
                                                    std::string_view name) {
    const std::string_view value = FirstParam(req, name);
    if (value.empty()) return 0;
    absl::StatusOr<int64_t> d = config::ParseGoDuration(value);
    if (!d.ok()) return ParseError(name, d.status());
    return *d;
  }

  absl::StatusOr<SearchRequest> ParseSearch(const net::HttpRequest& req) const {
    SearchRequest out;
    storage::TraceQuery& q = out.query;
    q.service_name = std::string(FirstParam(req, "service"));
    q.operation_name = std::string(FirstParam(req, "operation"));

    const int64_t now = NowNanos();
    const int64_t lookback = absl::ToInt64Nanoseconds(options_.default_search_lookback);
    // start/end are µs; the defaults are now − lookback and now.
    absl::StatusOr<std::optional<int64_t>> start = ParseIntParam(req, "start");
    if (!start.ok()) return start.status();
    absl::StatusOr<std::optional<int64_t>> end = ParseIntParam(req, "end");
    if (!end.ok()) return end.status();
    q.start_time_min = start->has_value()
                           ? ToUnixNanos(**start, 1'000)
                           : static_cast<uint64_t>(std::max<int64_t>(0, now - lookback));
    q.start_time_max = end->has_value() ? ToUnixNanos(**end, 1'000)
                                        : static_cast<uint64_t>(std::max<int64_t>(0, now));

    // tag=k:v (split on the first ':'), then tags={json}; a later key overrides an earlier one.
    std::map<std::string, std::string> tags;
    for (std::string_view tag : req.QueryParams("tag")) {
      const size_t colon = tag.find(':');
      if (colon == std::string_view::npos) {
        return absl::InvalidArgumentError(absl::StrCat(
            "malformed 'tag' parameter, expecting key:value, received: ", ToAbsl(tag)));
      }
      tags[std::string(tag.substr(0, colon))] = std::string(tag.substr(colon + 1));
    }
    for (std::string_view json : req.QueryParams("tags")) {
      if (absl::Status s = ParseTagsJson(json, tags); !s.ok()) return s;
    }
    q.tags.assign(tags.begin(), tags.end());

    const std::string_view limit = FirstParam(req, "limit");
    q.num_traces = kDefaultSearchLimit;
    if (!limit.empty()) {
      absl::StatusOr<int64_t> v = ParseGoInt(limit, 32);
      if (!v.ok()) return ParseError("limit", v.status());
      if (*v > 0) q.num_traces = static_cast<int32_t>(*v);
    }

    absl::StatusOr<int64_t> min_duration = ParseDurationParam(req, "minDuration");
    if (!min_duration.ok()) return min_duration.status();
    absl::StatusOr<int64_t> max_duration = ParseDurationParam(req, "maxDuration");
    if (!max_duration.ok()) return max_duration.status();

    for (std::string_view id : req.QueryParams("traceID")) {
      absl::StatusOr<model::TraceId> trace_id = ParseTraceIdGo(id);
      if (!trace_id.ok()) return ParseError("traceID", trace_id.status());
      out.trace_ids.push_back(*trace_id);
    }

    // validateQuery.
    if (out.trace_ids.empty() && q.service_name.empty()) {
      return absl::InvalidArgumentError("parameter 'service' is required");
    }
    if (*min_duration != 0 && *max_duration != 0 && *max_duration < *min_duration) {
      return absl::InvalidArgumentError("'maxDuration' should be greater than 'minDuration'");
    }
    // Durations are never negative: a negative minimum bounds nothing, a negative maximum
    // excludes every span.
    q.duration_min = static_cast<uint64_t>(std::max<int64_t>(0, *min_duration));
    q.duration_max = static_cast<uint64_t>(std::max<int64_t>(0, *max_duration));
    out.empty_result = *max_duration < 0;
    return out;
  }

  void AppendTrace(const model::SpanSet& trace, bool adjust, std::string& out) const {
    model::jaeger::JaegerTrace view = service_.JaegerView(trace, adjust);
    AppendTraceJson(view, out);
  }

  void Search(const net::HttpRequest& req, const std::string& tenant,
              net::HttpResponse& resp) const {
    absl::StatusOr<SearchRequest> parsed = ParseSearch(req);
    if (!parsed.ok()) return WriteError(resp, 400, ToStd(parsed.status().message()));

    std::string out = "{\"data\":[";
    std::string errors;
    if (!parsed->trace_ids.empty()) {
      // Multi-get (§2.1): found traces in request order, missing ones listed in `errors`.
      absl::StatusOr<std::vector<model::SpanSet>> traces =
          service_.GetTraces(tenant, parsed->trace_ids);
      if (!traces.ok()) return WriteStatusError(resp, traces.status());
      absl::flat_hash_map<model::TraceId, size_t, model::TraceIdHash> index;
      for (size_t i = 0; i < traces->size(); ++i) {
        index.emplace((*traces)[i].spans().front().trace_id, i);
      }
      bool first = true;
      for (const model::TraceId& id : parsed->trace_ids) {
        auto it = index.find(id);
        if (it == index.end()) {
          errors += errors.empty() ? "[" : ",";
          errors += "{\"msg\":\"trace not found\",\"traceID\":";
          AppendJsonString(id.ToJaegerHex(), errors);
          errors += '}';
          continue;
        }
        if (!first) out += ',';
        first = false;
        AppendTrace((*traces)[it->second], /*adjust=*/true, out);
      }
      if (!errors.empty()) errors += ']';
    } else if (!parsed->empty_result) {
      absl::StatusOr<std::vector<model::SpanSet>> traces =
          service_.FindTraces(tenant, std::move(parsed->query));
      if (!traces.ok()) return WriteStatusError(resp, traces.status());
      for (size_t i = 0; i < traces->size(); ++i) {
        if (i > 0) out += ',';
        AppendTrace((*traces)[i], /*adjust=*/true, out);
      }
    }
    out += ']';
    AppendEnvelopeTail(0, errors, out);
    WriteJson(req, resp, std::move(out));
  }

  void GetTrace(const net::HttpRequest& req, const std::string& tenant, std::string_view id_text,
                net::HttpResponse& resp) const {
    absl::StatusOr<model::TraceId> id = ParseTraceIdGo(id_text);
    if (!id.ok()) return WriteError(resp, 400, ToStd(id.status().message()));
    absl::StatusOr<model::SpanSet> trace = service_.GetTrace(tenant, *id);
    if (!trace.ok()) return WriteStatusError(resp, trace.status());
    const bool raw = GoParseBoolTrue(FirstParam(req, "raw"));
    std::string out = "{\"data\":[";
    AppendTrace(*trace, /*adjust=*/!raw, out);
    out += ']';
    AppendEnvelopeTail(0, {}, out);
    WriteJson(req, resp, std::move(out));
  }

  void GetDependencies(const net::HttpRequest& req, const std::string& tenant,
                       net::HttpResponse& resp) const {
    // endTs and lookback are milliseconds.
    absl::StatusOr<std::optional<int64_t>> end_ms = ParseIntParam(req, "endTs");
    if (!end_ms.ok()) return WriteError(resp, 400, ToStd(end_ms.status().message()));
    absl::StatusOr<std::optional<int64_t>> lookback_ms = ParseIntParam(req, "lookback");
    if (!lookback_ms.ok()) return WriteError(resp, 400, ToStd(lookback_ms.status().message()));
    int64_t lookback_ns = absl::ToInt64Nanoseconds(options_.default_dependencies_lookback);
    if (lookback_ms->has_value()) {
      const int64_t v = **lookback_ms;
      lookback_ns = v <= 0 ? v
                           : static_cast<int64_t>(std::min<uint64_t>(
                                 ToUnixNanos(v, 1'000'000), static_cast<uint64_t>(kMaxInt64)));
    }
    const uint64_t end_ns = end_ms->has_value()
                                ? ToUnixNanos(**end_ms, 1'000'000)
                                : static_cast<uint64_t>(std::max<int64_t>(0, NowNanos()));
    const std::string_view service = FirstParam(req, "service");

    std::vector<storage::DependencyLink> links;
    // A negative lookback is an empty window.
    if (lookback_ns >= 0) {
      absl::StatusOr<std::vector<storage::DependencyLink>> got =
          service_.GetDependencies(tenant, end_ns, static_cast<uint64_t>(lookback_ns));
      if (!got.ok()) return WriteStatusError(resp, got.status());
      links = std::move(*got);
    }
    std::string out = "{\"data\":[";
    bool first = true;
    for (const storage::DependencyLink& link : links) {
      if (!service.empty() && link.parent != service && link.child != service) continue;
      if (!first) out += ',';
      first = false;
      out += "{\"parent\":";
      AppendJsonString(link.parent, out);
      out += ",\"child\":";
      AppendJsonString(link.child, out);
      absl::StrAppend(&out, ",\"callCount\":", link.call_count, "}");
    }
    out += ']';
    AppendEnvelopeTail(0, {}, out);
    WriteJson(req, resp, std::move(out));
  }

  QueryService& service_;
  const QueryApiOptions options_;
  const net::HttpHandler fallback_;
  tenancy::TenancyOptions tenancy_;  // from options_.multi_tenancy, tenant_header, tenants
  std::string api_prefix_;  // "{base without trailing /}/api"
};

}  // namespace

absl::Status QueryApiOptions::Validate() const {
  if (base_path.empty() || base_path[0] != '/') {
    return absl::InvalidArgumentError(
        absl::StrCat("base_path must start with '/', got \"", base_path, "\""));
  }
  if (default_search_lookback <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("default_search_lookback must be positive");
  }
  if (default_dependencies_lookback <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("default_dependencies_lookback must be positive");
  }
  if (multi_tenancy && tenant_header.empty()) {
    return absl::InvalidArgumentError("tenant_header must not be empty with multi_tenancy");
  }
  const tenancy::TenancyOptions tenancy_options{
      .enabled = multi_tenancy, .header = tenant_header, .tenants = tenants};
  SKUA_RETURN_IF_ERROR(tenancy_options.Validate());
  return absl::OkStatus();
}

net::HttpHandler NewQueryApiHandler(QueryService& service, QueryApiOptions options,
                                    net::HttpHandler fallback) {
  // shared_ptr: std::function must be copyable, and every copy serves with the same state.
  auto api = std::make_shared<const QueryApi>(service, std::move(options), std::move(fallback));
  return [api](const net::HttpRequest& req, net::HttpResponse& resp) { api->Handle(req, resp); };
}

}  // namespace skua::query::http
