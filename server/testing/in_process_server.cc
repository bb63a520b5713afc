#include "server/testing/in_process_server.h"

#include <utility>

namespace drift {
namespace server {
namespace test {

InProcessServer::~InProcessServer() {
  const rocksdb::Status s = Stop();
  EXPECT_TRUE(s.ok()) << "shutdown: " << s.ToString();
}

testing::AssertionResult InProcessServer::Start(const ServerOptions& options,
                                                const std::string& token) {
  if (running()) return testing::AssertionFailure() << "already running";
  const rocksdb::Status s = DriftServer::Start(options, &server_);
  if (!s.ok()) {
    server_.reset();
    return testing::AssertionFailure()
           << "DriftServer::Start(" << options.listen << "): " << s.ToString();
  }
  client_ = std::make_unique<Client>(server_->address(), token);
  return testing::AssertionSuccess();
}

rocksdb::Status InProcessServer::Stop() {
  client_.reset();
  if (!server_) return rocksdb::Status::OK();
  rocksdb::Status s = server_->Shutdown();
  server_.reset();
  return s;
}

}  // namespace test
}  // namespace server
}  // namespace drift
