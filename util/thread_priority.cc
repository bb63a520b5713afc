#include "util/thread_priority.h"

#include <cerrno>
#include <cstring>
#include <string>

#ifdef __linux__
#include <pthread.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

namespace drift {

using rocksdb::CpuPriority;
using rocksdb::Status;

bool IsValidCpuPriority(CpuPriority priority) {
  switch (priority) {
    case CpuPriority::kIdle:
    case CpuPriority::kLow:
    case CpuPriority::kNormal:
    case CpuPriority::kHigh:
      return true;
  }
  return false;
}

const char* CpuPriorityName(CpuPriority priority) {
  switch (priority) {
    case CpuPriority::kIdle:
      return "idle";
    case CpuPriority::kLow:
      return "low";
    case CpuPriority::kNormal:
      return "normal";
    case CpuPriority::kHigh:
      return "high";
  }
  return "invalid";
}

bool ParseCpuPriority(const std::string& name, CpuPriority* priority) {
  for (CpuPriority p : {CpuPriority::kIdle, CpuPriority::kLow,
                        CpuPriority::kNormal, CpuPriority::kHigh}) {
    if (name == CpuPriorityName(p)) {
      *priority = p;
      return true;
    }
  }
  return false;
}

Status SetCurrentThreadCpuPriority(CpuPriority priority) {
  if (!IsValidCpuPriority(priority)) {
    return Status::InvalidArgument("drift: invalid CpuPriority " +
                                   std::to_string(static_cast<int>(priority)));
  }
#ifdef __linux__
  // On Linux, setpriority on a thread id sets that thread's nice value only.
  const pid_t tid = static_cast<pid_t>(::syscall(SYS_gettid));
  sched_param param{};
  const int policy = priority == CpuPriority::kIdle ? SCHED_IDLE : SCHED_OTHER;
  if (::sched_setscheduler(tid, policy, &param) != 0) {
    return Status::IOError("drift: sched_setscheduler", std::strerror(errno));
  }
  const int nice = priority == CpuPriority::kLow    ? 19
                   : priority == CpuPriority::kHigh ? -20
                                                    : 0;
  if (priority != CpuPriority::kIdle &&
      ::setpriority(PRIO_PROCESS, static_cast<id_t>(tid), nice) != 0) {
    return Status::IOError("drift: setpriority", std::strerror(errno));
  }
  return Status::OK();
#else
  return Status::NotSupported("drift: thread CPU priority on this platform");
#endif
}

void SetCurrentThreadName(const char* name) {
#ifdef __linux__
  char truncated[16];
  std::strncpy(truncated, name, sizeof(truncated) - 1);
  truncated[sizeof(truncated) - 1] = '\0';
  ::pthread_setname_np(::pthread_self(), truncated);
#else
  (void)name;
#endif
}

}  // namespace drift
