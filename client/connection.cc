#include "client/connection.h"

#include <chrono>
#include <fstream>
#include <sstream>

namespace drift {
namespace client {

using rocksdb::Status;

namespace {

Status ReadFile(const std::string& path, std::string* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::InvalidArgument(path + ": cannot read");
  std::ostringstream text;
  text << in.rdbuf();
  *out = text.str();
  return Status::OK();
}

std::string Trim(const std::string& s) {
  const size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t\r\n") - b + 1);
}

Status Credentials(const ConnectionOptions& o,
                   std::shared_ptr<grpc::ChannelCredentials>* out) {
  if (!o.tls && o.tls_ca.empty() && o.tls_cert.empty() && o.tls_key.empty()) {
    *out = grpc::InsecureChannelCredentials();
    return Status::OK();
  }
  if (o.tls_cert.empty() != o.tls_key.empty()) {
    return Status::InvalidArgument("--tls_cert and --tls_key go together");
  }
  grpc::SslCredentialsOptions ssl;
  Status s;
  if (!o.tls_ca.empty()) s = ReadFile(o.tls_ca, &ssl.pem_root_certs);
  if (s.ok() && !o.tls_cert.empty()) {
    s = ReadFile(o.tls_cert, &ssl.pem_cert_chain);
  }
  if (s.ok() && !o.tls_key.empty()) {
    s = ReadFile(o.tls_key, &ssl.pem_private_key);
  }
  if (s.ok()) *out = grpc::SslCredentials(ssl);
  return s;
}

}  // namespace

Status Connection::Open(const ConnectionOptions& options,
                        std::unique_ptr<Connection>* out) {
  std::unique_ptr<Connection> c(new Connection());
  c->token_ = options.token;
  if (!options.token_file.empty()) {
    if (!options.token.empty()) {
      return Status::InvalidArgument("give --token or --token_file, not both");
    }
    Status s = ReadFile(options.token_file, &c->token_);
    if (!s.ok()) return s;
    c->token_ = Trim(c->token_);
  }
  std::shared_ptr<grpc::ChannelCredentials> credentials;
  Status s = Credentials(options, &credentials);
  if (!s.ok()) return s;
  grpc::ChannelArguments args;
  // Search results with vectors and Get of many keys can exceed gRPC's 4 MiB
  // default; the server enforces its own limit.
  args.SetMaxReceiveMessageSize(-1);
  c->stub_ = v1::Drift::NewStub(
      grpc::CreateCustomChannel(options.server, credentials, args));
  c->timeout_seconds_ = options.timeout_seconds;
  *out = std::move(c);
  return Status::OK();
}

std::unique_ptr<grpc::ClientContext> Connection::Context(
    double timeout_seconds) const {
  auto ctx = std::make_unique<grpc::ClientContext>();
  if (!token_.empty()) ctx->AddMetadata("authorization", "Bearer " + token_);
  const double timeout =
      timeout_seconds < 0 ? timeout_seconds_ : timeout_seconds;
  if (timeout > 0) {
    ctx->set_deadline(
        std::chrono::system_clock::now() +
        std::chrono::microseconds(static_cast<int64_t>(timeout * 1e6)));
  }
  return ctx;
}

const char* StatusCodeName(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::OK:
      return "OK";
    case grpc::StatusCode::CANCELLED:
      return "CANCELLED";
    case grpc::StatusCode::UNKNOWN:
      return "UNKNOWN";
    case grpc::StatusCode::INVALID_ARGUMENT:
      return "INVALID_ARGUMENT";
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return "DEADLINE_EXCEEDED";
    case grpc::StatusCode::NOT_FOUND:
      return "NOT_FOUND";
    case grpc::StatusCode::ALREADY_EXISTS:
      return "ALREADY_EXISTS";
    case grpc::StatusCode::PERMISSION_DENIED:
      return "PERMISSION_DENIED";
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return "RESOURCE_EXHAUSTED";
    case grpc::StatusCode::FAILED_PRECONDITION:
      return "FAILED_PRECONDITION";
    case grpc::StatusCode::ABORTED:
      return "ABORTED";
    case grpc::StatusCode::OUT_OF_RANGE:
      return "OUT_OF_RANGE";
    case grpc::StatusCode::UNIMPLEMENTED:
      return "UNIMPLEMENTED";
    case grpc::StatusCode::INTERNAL:
      return "INTERNAL";
    case grpc::StatusCode::UNAVAILABLE:
      return "UNAVAILABLE";
    case grpc::StatusCode::DATA_LOSS:
      return "DATA_LOSS";
    case grpc::StatusCode::UNAUTHENTICATED:
      return "UNAUTHENTICATED";
    default:
      return "UNKNOWN_CODE";
  }
}

}  // namespace client
}  // namespace drift
