#include "util/thread_priority.h"

#include <gtest/gtest.h>

#ifdef __linux__
#include <sched.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

#include <cstring>
#include <thread>

namespace drift {
namespace {

using rocksdb::CpuPriority;

#ifdef __linux__
pid_t ThreadId() { return static_cast<pid_t>(::syscall(SYS_gettid)); }

int NiceOf(pid_t tid) {
  errno = 0;
  return ::getpriority(PRIO_PROCESS, static_cast<id_t>(tid));
}

// Runs fn on a new thread, so the test's own thread keeps its priority.
template <typename Fn>
void OnThread(Fn fn) {
  std::thread t(fn);
  t.join();
}

TEST(ThreadPriorityTest, LowSetsOnlyTheCallingThreadsNice) {
  const int before = NiceOf(ThreadId());
  OnThread([&] {
    ASSERT_TRUE(SetCurrentThreadCpuPriority(CpuPriority::kLow).ok());
    EXPECT_EQ(NiceOf(ThreadId()), 19);
    EXPECT_EQ(::sched_getscheduler(ThreadId()), SCHED_OTHER);
  });
  EXPECT_EQ(NiceOf(ThreadId()), before);
}

TEST(ThreadPriorityTest, IdleUsesSchedIdle) {
  OnThread([] {
    ASSERT_TRUE(SetCurrentThreadCpuPriority(CpuPriority::kIdle).ok());
    EXPECT_EQ(::sched_getscheduler(ThreadId()), SCHED_IDLE);
  });
  EXPECT_EQ(::sched_getscheduler(ThreadId()), SCHED_OTHER);
}

TEST(ThreadPriorityTest, ThreadNameIsTruncatedTo15Characters) {
  OnThread([] {
    SetCurrentThreadName("drift-maint-with-a-long-suffix");
    char name[32] = {};
    ASSERT_EQ(::pthread_getname_np(::pthread_self(), name, sizeof(name)), 0);
    EXPECT_STREQ(name, "drift-maint-wit");
  });
}
#endif

TEST(ThreadPriorityTest, InvalidPriorityIsInvalidArgument) {
  const auto bad = static_cast<CpuPriority>(7);
  EXPECT_FALSE(IsValidCpuPriority(bad));
  EXPECT_STREQ(CpuPriorityName(bad), "invalid");
  EXPECT_TRUE(SetCurrentThreadCpuPriority(bad).IsInvalidArgument());
}

TEST(ThreadPriorityTest, NamesRoundTrip) {
  for (CpuPriority p : {CpuPriority::kIdle, CpuPriority::kLow,
                        CpuPriority::kNormal, CpuPriority::kHigh}) {
    CpuPriority parsed = CpuPriority::kHigh;
    ASSERT_TRUE(ParseCpuPriority(CpuPriorityName(p), &parsed));
    EXPECT_EQ(parsed, p);
  }
  CpuPriority unchanged = CpuPriority::kNormal;
  EXPECT_FALSE(ParseCpuPriority("lowest", &unchanged));
  EXPECT_EQ(unchanged, CpuPriority::kNormal);
}

}  // namespace
}  // namespace drift
