#include "server/upsert_stream.h"

#include <string>

namespace drift {
namespace server {

grpc::Status ReadUpsertStream(const grpc::ServerContext& ctx,
                              const Admission& admission,
                              grpc::ServerReader<v1::UpsertRequest>* reader,
                              const CommitUpsert& commit, uint64_t* committed) {
  const auto fail = [&](const grpc::Status& st) {
    return grpc::Status(st.error_code(),
                        st.error_message() + " (" + std::to_string(*committed) +
                            " records of this stream were committed)");
  };
  std::string collection;  // named by the first message
  v1::UpsertRequest msg;
  for (int n = 0; reader->Read(&msg); ++n) {
    if (admission.shutting_down()) return fail(admission.ShuttingDown());
    if (DeadlinePassed(ctx)) {
      return fail(
          grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED, "deadline passed"));
    }
    if (collection.empty()) {
      collection = msg.collection();
    } else if (msg.collection().empty()) {
      msg.set_collection(collection);
    } else if (msg.collection() != collection) {
      return fail(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                               "message " + std::to_string(n) +
                                   " names another collection than the "
                                   "stream's"));
    }
    const grpc::Status st = commit(msg, committed);
    if (!st.ok()) return fail(st);
  }
  return grpc::Status::OK;
}

}  // namespace server
}  // namespace drift
