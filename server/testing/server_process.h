// A drift_server process for tests (the binary built beside them,
// DRIFT_SERVER_BIN), on the address it prints once it accepts requests.
#pragma once

#include <gtest/gtest.h>
#include <sys/types.h>

#include <string>
#include <vector>

namespace drift {
namespace server {
namespace test {

class ServerProcess {
 public:
  ServerProcess() = default;
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;
  // Stop(SIGTERM) if it still runs.
  ~ServerProcess();

  // Runs drift_server with `args` (add --listen=127.0.0.1:0 for a free port)
  // and waits (<= 30 s) for the line of stdout that names its address;
  // failure if it exits first.
  testing::AssertionResult Start(const std::vector<std::string>& args);
  // Sends `signal` and reaps the process (SIGKILL and a test failure if it
  // has not exited 30 s later); its wait status.
  int Stop(int signal);

  const std::string& address() const { return address_; }

 private:
  pid_t pid_ = -1;
  int stdout_ = -1;
  std::string address_;
};

}  // namespace test
}  // namespace server
}  // namespace drift
