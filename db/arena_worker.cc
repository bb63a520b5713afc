#include "db/arena_worker.h"

#include <chrono>

#include "db/fresh_vector_arena.h"
#include "util/thread_priority.h"

namespace drift {

ArenaWorker& ArenaWorker::GraphIndexer() {
  // 256 rows per exclusive lock of a graph. Not niced: searches of the
  // memtable wait for that lock, so a starved batch would stall them.
  static ArenaWorker worker(
      "drift-graph", rocksdb::CpuPriority::kNormal,
      [](FreshVectorArena* arena) { return arena->graph()->IndexMore(256); });
  return worker;
}

ArenaWorker& ArenaWorker::Prefaulter() {
  // It serves the write path: the priority it inherits.
  static ArenaWorker worker(
      "drift-prefault", rocksdb::CpuPriority::kNormal,
      [](FreshVectorArena* arena) { return arena->RefillReserve(); });
  return worker;
}

ArenaWorker::ArenaWorker(const char* thread_name, rocksdb::CpuPriority priority,
                         Step step)
    : thread_name_(thread_name), priority_(priority), step_(step) {}

ArenaWorker::~ArenaWorker() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void ArenaWorker::Register(std::weak_ptr<FreshVectorArena> arena) {
  std::lock_guard<std::mutex> lock(mu_);
  arenas_.push_back(std::move(arena));
  if (!thread_.joinable()) thread_ = std::thread([this] { Loop(); });
}

void ArenaWorker::Notify() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    pending_ = true;
  }
  cv_.notify_one();
}

void ArenaWorker::Loop() {
  SetCurrentThreadName(thread_name_);
  if (priority_ != rocksdb::CpuPriority::kNormal) {
    // Where the kernel refuses, the thread keeps the inherited priority.
    SetCurrentThreadCpuPriority(priority_).PermitUncheckedError();
  }
  std::unique_lock<std::mutex> lock(mu_);
  while (!stop_) {
    pending_ = false;
    std::vector<std::shared_ptr<FreshVectorArena>> live;
    for (auto it = arenas_.begin(); it != arenas_.end();) {
      if (auto a = it->lock()) {
        live.push_back(std::move(a));
        ++it;
      } else {
        it = arenas_.erase(it);
      }
    }
    lock.unlock();
    size_t done = 0;
    for (const auto& arena : live) done += step_(arena.get());
    live.clear();  // a memtable freed meanwhile is destroyed here, not later
    lock.lock();
    if (done == 0 && !stop_ && !pending_) {
      cv_.wait_for(lock, std::chrono::milliseconds(100));
    }
  }
}

}  // namespace drift
