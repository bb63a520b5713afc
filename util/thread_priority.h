// CPU priority and name of the calling thread, for Drift's background
// maintenance thread: at rocksdb::CpuPriority::kLow or kIdle it runs on spare
// cores and yields to foreground writers, searches and RocksDB's own flush and
// compaction threads (the same mapping RocksDB's thread pools use for
// Env::LowerThreadPoolCPUPriority).
#pragma once

#include <string>

#include "rocksdb/env.h"
#include "rocksdb/status.h"

namespace drift {

// Sets the calling thread's (not the process's) scheduling: kIdle =
// SCHED_IDLE, kLow = nice 19, kNormal = nice 0 under SCHED_OTHER, kHigh =
// nice -20 (needs CAP_SYS_NICE). Returns NotSupported where threads cannot be
// prioritised (non-Linux) and IOError if the kernel refuses.
rocksdb::Status SetCurrentThreadCpuPriority(rocksdb::CpuPriority priority);

// True for the four values of rocksdb::CpuPriority.
bool IsValidCpuPriority(rocksdb::CpuPriority priority);

// "idle", "low", "normal", "high" (or "invalid"), and back; false if unknown.
const char* CpuPriorityName(rocksdb::CpuPriority priority);
bool ParseCpuPriority(const std::string& name, rocksdb::CpuPriority* priority);

// Names the calling thread (at most 15 characters are kept), as top, ps -L
// and gdb show it. Best effort.
void SetCurrentThreadName(const char* name);

}  // namespace drift
