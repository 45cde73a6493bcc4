// Every default listen port, once (jaeger-compat §1.1).
#pragma once

namespace skua::server {

inline constexpr int kOtlpGrpcPort = 4317;
inline constexpr int kOtlpHttpPort = 4318;
inline constexpr int kJaegerGrpcPort = 14250;
inline constexpr int kJaegerThriftHttpPort = 14268;
inline constexpr int kCollectorAdminPort = 14269;  // also the all-in-one's admin port
inline constexpr int kZipkinPort = 9411;
inline constexpr int kAgentCompactUdpPort = 6831;
inline constexpr int kAgentBinaryUdpPort = 6832;
inline constexpr int kQueryHttpPort = 16686;
inline constexpr int kQueryGrpcPort = 16685;
inline constexpr int kQueryAdminPort = 16687;

}  // namespace skua::server
