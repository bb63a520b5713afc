// rocksdb::Status -> grpc::Status, the contract documented at the top of
// proto/drift.proto. One place, so every RPC reports an error class the same
// way and a client can act on the code alone (retry UNAVAILABLE, fix the
// request on INVALID_ARGUMENT, ...).
#pragma once

#include <grpcpp/support/status.h>

#include <string>

#include "rocksdb/status.h"

namespace drift {
namespace server {

// The gRPC code of a RocksDB/Drift status:
//   ok -> OK; NotFound -> NOT_FOUND; InvalidArgument -> INVALID_ARGUMENT;
//   NotSupported -> UNIMPLEMENTED; Corruption -> DATA_LOSS;
//   IOError(NoSpace) / Busy / TryAgain -> RESOURCE_EXHAUSTED / UNAVAILABLE;
//   ShutdownInProgress -> UNAVAILABLE;
//   TimedOut / Expired -> DEADLINE_EXCEEDED; Aborted -> ABORTED;
//   Incomplete (more results than allowed) -> OUT_OF_RANGE; anything else
//   (IOError, ...) -> INTERNAL.
grpc::StatusCode GrpcCode(const rocksdb::Status& status);

// The status with that code; the message is `context` (if not empty), ": ",
// and status.ToString(), so the RocksDB class stays visible to operators.
grpc::Status ToGrpcStatus(const rocksdb::Status& status,
                          const std::string& context = "");

}  // namespace server
}  // namespace drift
