// glog for the command-line tools (drift_dump, drift_ldb, drift_stress,
// db_bench_drift). What a tool did goes to glog's INFO log, files under
// $GLOG_log_dir or --log_dir (default /tmp; the latest is <tool>.INFO), so a
// run can be traced afterwards; stdout and stderr stay for results and for
// the error messages scripts rely on (--logtostderr sends the log there too).
// Header-only, like gflags_help.h.
#pragma once

#include <glog/logging.h>

#include <chrono>
#include <string>

namespace drift {
namespace tools {

// argv joined by spaces (take it before flag parsing removes the flags).
inline std::string CommandLine(int argc, char** argv) {
  std::string line;
  for (int i = 0; i < argc; ++i) {
    if (i > 0) line += ' ';
    line += argv[i];
  }
  return line;
}

// Starts glog (unbuffered: a tool may end in exit()) and logs the command.
inline void InitToolLogging(const char* argv0, const std::string& command) {
  FLAGS_logbuflevel = -1;
  google::InitGoogleLogging(argv0);
  LOG(INFO) << "command: " << command;
}

// Runs a tool's body and logs its exit code and duration.
template <typename Body>
int RunLogged(const char* argv0, const std::string& command, Body body) {
  InitToolLogging(argv0, command);
  const auto start = std::chrono::steady_clock::now();
  const int code = body();
  LOG(INFO) << "exit code " << code << " after "
            << std::chrono::duration<double>(std::chrono::steady_clock::now() -
                                             start)
                   .count()
            << " s";
  return code;
}

}  // namespace tools
}  // namespace drift
