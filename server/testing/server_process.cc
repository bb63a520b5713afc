#include "server/testing/server_process.h"

#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <thread>

namespace drift {
namespace server {
namespace test {
namespace {

constexpr char kListening[] = "drift_server listening on ";

}  // namespace

ServerProcess::~ServerProcess() {
  if (pid_ > 0) Stop(SIGTERM);
}

testing::AssertionResult ServerProcess::Start(
    const std::vector<std::string>& args) {
  int out[2];
  if (pipe(out) != 0) return testing::AssertionFailure() << "pipe";
  pid_ = fork();
  if (pid_ < 0) {
    close(out[0]);
    close(out[1]);
    return testing::AssertionFailure() << "fork";
  }
  if (pid_ == 0) {
    dup2(out[1], STDOUT_FILENO);
    close(out[0]);
    close(out[1]);
    std::vector<char*> argv = {const_cast<char*>(DRIFT_SERVER_BIN)};
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execv(DRIFT_SERVER_BIN, argv.data());
    _exit(127);
  }
  close(out[1]);
  stdout_ = out[0];
  std::string line;
  const auto give_up =
      std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < give_up) {
    pollfd p{stdout_, POLLIN, 0};
    if (poll(&p, 1, 100) <= 0) continue;
    char c;
    if (read(stdout_, &c, 1) != 1) break;  // exited
    if (c != '\n') {
      line += c;
      continue;
    }
    if (line.rfind(kListening, 0) == 0) {
      address_ = line.substr(strlen(kListening));
      return testing::AssertionSuccess();
    }
    line.clear();
  }
  return testing::AssertionFailure() << "no '" << kListening << "' line";
}

int ServerProcess::Stop(int signal) {
  if (pid_ <= 0) return -1;  // never started (kill(-1) would hit everything)
  kill(pid_, signal);
  int status = 0;
  const auto give_up =
      std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (waitpid(pid_, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() > give_up) {
      kill(pid_, SIGKILL);
      waitpid(pid_, &status, 0);
      ADD_FAILURE() << "drift_server did not exit on signal " << signal;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  pid_ = -1;
  close(stdout_);
  stdout_ = -1;
  return status;
}

}  // namespace test
}  // namespace server
}  // namespace drift
