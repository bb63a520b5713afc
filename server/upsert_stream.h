// The message loop of UpsertStream, shared by the primary (DriftService)
// and the router (RouterService), so a stream behaves the same on both.
#pragma once

#include <grpcpp/grpcpp.h>

#include <cstdint>
#include <functional>

#include "drift.grpc.pb.h"
#include "server/admission.h"

namespace drift {
namespace server {

// Commits one message (its collection set): adds the records it committed
// to *committed (on a router, also those of the shards that committed
// their part when another failed) and returns its status.
using CommitUpsert = std::function<grpc::Status(const v1::UpsertRequest& msg,
                                                uint64_t* committed)>;

// Reads the stream's messages in order. Each is refused while `admission`
// shuts down or once the deadline passed; a message without a collection
// takes the first message's, one naming another is INVALID_ARGUMENT. A
// failure ends the stream with its code and "(N records of this stream
// were committed)"; *committed counts them either way.
grpc::Status ReadUpsertStream(const grpc::ServerContext& ctx,
                              const Admission& admission,
                              grpc::ServerReader<v1::UpsertRequest>* reader,
                              const CommitUpsert& commit, uint64_t* committed);

}  // namespace server
}  // namespace drift
