// ArenaWorker: a process-wide background thread that does one kind of work for
// every live FreshVectorArena (one per mutable or immutable memtable), a step
// at a time. Two exist: the graph indexer grows each arena's HNSW graph, and
// the prefaulter keeps each arena's reserve of blocks faulted in, so that a
// Put does not pay the kernel's page faults and zeroing of the arena's next
// block. Both run at the priority of the thread that first registered an
// arena (usually the one that opened the DB). Arenas register themselves;
// expired ones drop out.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "rocksdb/env.h"

namespace drift {

class FreshVectorArena;

class ArenaWorker {
 public:
  // One step of the work on `arena`; returns how much it did (0: caught up).
  using Step = size_t (*)(FreshVectorArena* arena);

  static ArenaWorker& GraphIndexer();
  static ArenaWorker& Prefaulter();

  void Register(std::weak_ptr<FreshVectorArena> arena);
  // Wakes the worker (an arena grew, or used up part of its reserve).
  void Notify();
  ~ArenaWorker();

 private:
  ArenaWorker(const char* thread_name, rocksdb::CpuPriority priority,
              Step step);
  void Loop();

  const char* const thread_name_;
  const rocksdb::CpuPriority priority_;
  const Step step_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::weak_ptr<FreshVectorArena>> arenas_;  // guarded by mu_
  bool stop_ = false;
  bool pending_ = false;
  std::thread thread_;  // started on first Register
};

}  // namespace drift
