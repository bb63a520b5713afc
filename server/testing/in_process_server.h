// An in-process DriftServer and a client of it, for tests.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "rocksdb/status.h"
#include "server/server.h"
#include "server/testing/test_client.h"

namespace drift {
namespace server {
namespace test {

class InProcessServer {
 public:
  InProcessServer() = default;
  InProcessServer(const InProcessServer&) = delete;
  InProcessServer& operator=(const InProcessServer&) = delete;
  // Stop(); a failure to shut down fails the test.
  ~InProcessServer();

  // Starts a server with `options` and a client presenting `token`.
  // Failure if one already runs.
  testing::AssertionResult Start(const ServerOptions& options,
                                 const std::string& token = "");
  // The client, then the server (graceful Shutdown); OK if none runs.
  rocksdb::Status Stop();

  bool running() const { return server_ != nullptr; }
  DriftServer* server() const { return server_.get(); }
  Client* client() const { return client_.get(); }
  const std::string& address() const { return server_->address(); }

 private:
  std::unique_ptr<DriftServer> server_;
  std::unique_ptr<Client> client_;
};

}  // namespace test
}  // namespace server
}  // namespace drift
