// A fixture for tests of in-process servers: a directory of the test's own,
// TempDir(<test suite name>), and the servers the test starts, which
// TearDown stops (the last started first) before it removes the directory.
#pragma once

#include <gtest/gtest.h>

#include <deque>
#include <string>

#include "server/options.h"
#include "server/testing/in_process_server.h"

namespace drift {
namespace server {
namespace test {

class ServerFixture : public testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;

  // A new server slot (not started), valid until TearDown.
  InProcessServer* NewServer();
  // Options of a server on 127.0.0.1:0 with its database in <dir>/<db> (no
  // database if `db` is empty) and a shutdown grace of 2 s.
  ServerOptions LoopbackOptions(const std::string& db) const;

  std::string dir_;

 private:
  std::deque<InProcessServer> servers_;  // stable addresses
};

}  // namespace test
}  // namespace server
}  // namespace drift
