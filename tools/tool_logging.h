// glog for the command-line tools (drift_dump, drift_ldb, drift_stress,
// db_bench_drift). What a tool did goes to glog's INFO log when asked for:
// files under --log_dir or $GLOG_log_dir (the latest is <tool>.INFO), so a
// run can be traced afterwards; without either no log file is written (glog's
// default would leave one in /tmp per run). stdout and stderr stay for results
// and for the error messages scripts rely on (--logtostderr sends the log
// there instead). Header-only, like gflags_help.h.
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
// Log files only with --log_dir / $GLOG_log_dir (glog reads the variable into
// FLAGS_log_dir); messages of ERROR and above still reach stderr.
inline void InitToolLogging(const char* argv0, const std::string& command) {
  FLAGS_logbuflevel = -1;
  google::InitGoogleLogging(argv0);
  if (FLAGS_log_dir.empty()) {
    for (int severity = 0; severity < google::NUM_SEVERITIES; ++severity) {
      google::SetLogDestination(severity, "");  // "": no file
    }
  }
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
