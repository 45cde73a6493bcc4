#include "receivers/grpc_server.h"

#include <chrono>
#include <vector>

#include <grpcpp/generic/async_generic_service.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>

#include "base/logging.h"

namespace skua::receivers {
namespace {

grpc::Status ToGrpcStatus(const absl::Status& s) {
  return grpc::Status(static_cast<grpc::StatusCode>(s.code()), std::string(s.message()));
}

// The client metadata of one call, as gRPC keeps it in the server context.
class ContextMetadata : public GrpcCallMetadata {
 public:
  explicit ContextMetadata(const grpc::GenericCallbackServerContext& ctx) : ctx_(ctx) {}
  std::vector<std::string_view> Values(std::string_view key) const override {
    std::vector<std::string_view> out;
    const grpc::string_ref wanted(key.data(), key.size());
    auto [begin, end] = ctx_.client_metadata().equal_range(wanted);
    for (auto it = begin; it != end; ++it) out.emplace_back(it->second.data(), it->second.size());
    return out;
  }

 private:
  const grpc::GenericCallbackServerContext& ctx_;
};

// Serves one unary call over the generic bidi API: read one message, answer, finish.
class UnaryReactor : public grpc::ServerGenericBidiReactor {
 public:
  UnaryReactor(const GrpcUnaryMetadataHandler* handler,
               const grpc::GenericCallbackServerContext* ctx)
      : handler_(handler), ctx_(ctx) {
    if (handler_ == nullptr) {
      Finish(grpc::Status(grpc::StatusCode::UNIMPLEMENTED, "unknown method"));
      return;
    }
    StartRead(&request_);
  }

  void OnReadDone(bool ok) override {
    if (!ok) {
      Finish(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "missing request message"));
      return;
    }
    std::vector<grpc::Slice> slices;
    std::string bytes;
    if (!request_.Dump(&slices).ok()) {
      Finish(grpc::Status(grpc::StatusCode::INTERNAL, "cannot read request message"));
      return;
    }
    size_t total = 0;
    for (const grpc::Slice& s : slices) total += s.size();
    bytes.reserve(total);
    for (const grpc::Slice& s : slices) bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
    request_.Clear();
    // The context outlives the reactor (gRPC frees it after OnDone).
    const ContextMetadata metadata(*ctx_);
    (*handler_)(metadata, std::move(bytes), [this](absl::Status status, std::string response) {
      if (!status.ok()) {
        Finish(ToGrpcStatus(status));
        return;
      }
      grpc::Slice slice(response);
      response_ = grpc::ByteBuffer(&slice, 1);
      StartWriteAndFinish(&response_, grpc::WriteOptions(), grpc::Status::OK);
    });
  }

  void OnDone() override { delete this; }

 private:
  const GrpcUnaryMetadataHandler* handler_;
  const grpc::GenericCallbackServerContext* ctx_;
  grpc::ByteBuffer request_;
  grpc::ByteBuffer response_;
};

}  // namespace

absl::StatusOr<std::string> TenantFromMetadata(const tenancy::TenancyOptions& options,
                                               const GrpcCallMetadata& metadata) {
  if (!options.enabled) return tenancy::ResolveTenant(options, {});
  return tenancy::ResolveTenant(options, metadata.Values(options.HeaderKey()));
}

class GrpcUnaryServer::Service : public grpc::CallbackGenericService {
 public:
  explicit Service(const std::map<std::string, GrpcUnaryMetadataHandler, std::less<>>& handlers)
      : handlers_(handlers) {}
  grpc::ServerGenericBidiReactor* CreateReactor(grpc::GenericCallbackServerContext* ctx) override {
    auto it = handlers_.find(ctx->method());
    return new UnaryReactor(it == handlers_.end() ? nullptr : &it->second, ctx);
  }

 private:
  const std::map<std::string, GrpcUnaryMetadataHandler, std::less<>>& handlers_;
};

GrpcUnaryServer::GrpcUnaryServer(GrpcServerOptions options) : options_(std::move(options)) {}

GrpcUnaryServer::~GrpcUnaryServer() { Stop(0); }

void GrpcUnaryServer::Register(std::string full_method, GrpcUnaryHandler handler) {
  RegisterWithMetadata(std::move(full_method),
                       [handler = std::move(handler)](const GrpcCallMetadata&, std::string request,
                                                      GrpcRespond respond) {
                         handler(std::move(request), std::move(respond));
                       });
}

void GrpcUnaryServer::RegisterWithMetadata(std::string full_method,
                                           GrpcUnaryMetadataHandler handler) {
  handlers_.emplace(std::move(full_method), std::move(handler));
}

absl::Status GrpcUnaryServer::Start() {
  std::string address = options_.host_port;
  if (!address.empty() && address[0] == ':') address = "0.0.0.0" + address;
  grpc::EnableDefaultHealthCheckService(true);
  service_ = std::make_unique<Service>(handlers_);
  grpc::ServerBuilder builder;
  builder.AddListeningPort(address, grpc::InsecureServerCredentials(), &port_);
  builder.SetMaxReceiveMessageSize(options_.max_receive_message_bytes);
  builder.RegisterCallbackGenericService(service_.get());
  server_ = builder.BuildAndStart();
  if (server_ == nullptr || port_ == 0) {
    server_.reset();
    return absl::UnavailableError("cannot listen for gRPC on " + options_.host_port);
  }
  if (auto* health = server_->GetHealthCheckService()) {
    health->SetServingStatus(true);
    for (const std::string& s : options_.health_services) health->SetServingStatus(s, true);
  }
  return absl::OkStatus();
}

void GrpcUnaryServer::Stop(int grace_seconds) {
  if (server_ == nullptr) return;
  server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(grace_seconds));
  server_->Wait();
  server_.reset();
}

}  // namespace skua::receivers
