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

// Serves one unary call over the generic bidi API: read one message, answer, finish.
class UnaryReactor : public grpc::ServerGenericBidiReactor {
 public:
  explicit UnaryReactor(const GrpcUnaryHandler* handler) : handler_(handler) {
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
    (*handler_)(std::move(bytes), [this](absl::Status status, std::string response) {
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
  const GrpcUnaryHandler* handler_;
  grpc::ByteBuffer request_;
  grpc::ByteBuffer response_;
};

}  // namespace

class GrpcUnaryServer::Service : public grpc::CallbackGenericService {
 public:
  explicit Service(const std::map<std::string, GrpcUnaryHandler, std::less<>>& handlers)
      : handlers_(handlers) {}
  grpc::ServerGenericBidiReactor* CreateReactor(grpc::GenericCallbackServerContext* ctx) override {
    auto it = handlers_.find(ctx->method());
    return new UnaryReactor(it == handlers_.end() ? nullptr : &it->second);
  }

 private:
  const std::map<std::string, GrpcUnaryHandler, std::less<>>& handlers_;
};

GrpcUnaryServer::GrpcUnaryServer(GrpcServerOptions options) : options_(std::move(options)) {}

GrpcUnaryServer::~GrpcUnaryServer() { Stop(0); }

void GrpcUnaryServer::Register(std::string full_method, GrpcUnaryHandler handler) {
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
