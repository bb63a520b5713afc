// How the `drift` CLI reaches a drift_server: the channel (plain, or TLS with
// an optional client certificate), the bearer token sent on every call, and
// the deadline of each call.
#pragma once

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>

#include "drift.grpc.pb.h"
#include "rocksdb/status.h"

namespace drift {
namespace client {

struct ConnectionOptions {
  std::string server = "127.0.0.1:50051";
  std::string token;       // sent as "authorization: Bearer <token>"
  std::string token_file;  // the token read from a file (whitespace trimmed)
  bool tls = false;        // TLS with the system's root certificates
  std::string tls_ca;      // TLS, trusting these PEM CA certificates
  std::string tls_cert;    // client certificate (PEM) for mutual TLS
  std::string tls_key;     // its private key (PEM)
  double timeout_seconds = 60;  // per call; 0: no deadline
};

class Connection {
 public:
  // InvalidArgument when a token or certificate file cannot be read, or
  // --token and --token_file are both given.
  static rocksdb::Status Open(const ConnectionOptions& options,
                              std::unique_ptr<Connection>* out);

  v1::Drift::Stub* stub() { return stub_.get(); }
  // A context carrying the token and the deadline (`timeout_seconds` < 0:
  // the connection's).
  std::unique_ptr<grpc::ClientContext> Context(
      double timeout_seconds = -1) const;

 private:
  Connection() = default;
  std::string token_;
  double timeout_seconds_ = 0;
  std::unique_ptr<v1::Drift::Stub> stub_;
};

// "INVALID_ARGUMENT", "NOT_FOUND", ...: the canonical name of a gRPC code.
const char* StatusCodeName(grpc::StatusCode code);

}  // namespace client
}  // namespace drift
