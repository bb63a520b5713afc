#include "server/status_mapping.h"

namespace drift {
namespace server {

grpc::StatusCode GrpcCode(const rocksdb::Status& s) {
  using rocksdb::Status;
  if (s.ok()) return grpc::StatusCode::OK;
  switch (s.code()) {
    case Status::kNotFound:
      return grpc::StatusCode::NOT_FOUND;
    case Status::kInvalidArgument:
      return grpc::StatusCode::INVALID_ARGUMENT;
    case Status::kNotSupported:
      return grpc::StatusCode::UNIMPLEMENTED;
    case Status::kCorruption:
      return grpc::StatusCode::DATA_LOSS;
    case Status::kIOError:
      return s.IsNoSpace() ? grpc::StatusCode::RESOURCE_EXHAUSTED
                           : grpc::StatusCode::INTERNAL;
    case Status::kShutdownInProgress:
    case Status::kBusy:
    case Status::kTryAgain:
      return grpc::StatusCode::UNAVAILABLE;
    case Status::kTimedOut:
    case Status::kExpired:
      return grpc::StatusCode::DEADLINE_EXCEEDED;
    case Status::kAborted:
      return grpc::StatusCode::ABORTED;
    case Status::kIncomplete:
      return grpc::StatusCode::OUT_OF_RANGE;
    default:
      return grpc::StatusCode::INTERNAL;
  }
}

grpc::Status ToGrpcStatus(const rocksdb::Status& s,
                          const std::string& context) {
  if (s.ok()) return grpc::Status::OK;
  std::string message = s.ToString();
  if (!context.empty()) message = context + ": " + message;
  return grpc::Status(GrpcCode(s), message);
}

}  // namespace server
}  // namespace drift
