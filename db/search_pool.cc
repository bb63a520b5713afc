#include "db/search_pool.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <mutex>

namespace drift {

using rocksdb::Status;

std::shared_ptr<rocksdb::ThreadPool> NewSearchPool(int threads) {
  return std::shared_ptr<rocksdb::ThreadPool>(rocksdb::NewThreadPool(threads),
                                              [](rocksdb::ThreadPool* pool) {
                                                pool->JoinAllThreads();
                                                delete pool;
                                              });
}

namespace {

// Shared by the caller and the pool jobs; a job that starts after the call
// returned finds no task left and touches nothing but this.
struct Run {
  Run(size_t n, const std::function<Status(size_t)>& task) : n(n), task(task) {}
  const size_t n;
  // Valid while finished < n: a job dereferences it only after claiming a
  // task, and the caller waits for every claimed task.
  const std::function<Status(size_t)>& task;
  std::atomic<size_t> next{0};
  // Lowest failed index so far: later tasks are skipped, earlier ones still
  // run, so the lowest failing task is found.
  std::atomic<size_t> first_failed{SIZE_MAX};
  std::mutex mu;
  std::condition_variable done_cv;
  size_t finished = 0;  // claimed tasks that returned (or were skipped)
  Status status;        // of task first_failed

  // Claims and runs tasks until none is left.
  void Work() {
    for (;;) {
      const size_t i = next.fetch_add(1, std::memory_order_relaxed);
      if (i >= n) return;
      Status s;
      if (i < first_failed.load(std::memory_order_acquire)) s = task(i);
      std::lock_guard<std::mutex> lock(mu);
      if (!s.ok() && i < first_failed.load(std::memory_order_relaxed)) {
        first_failed.store(i, std::memory_order_release);
        status = s;
      }
      if (++finished == n) done_cv.notify_all();
    }
  }
};

}  // namespace

Status RunOnPool(rocksdb::ThreadPool* pool, unsigned helpers, size_t n,
                 const std::function<Status(size_t)>& task, size_t* failed) {
  *failed = SIZE_MAX;
  if (n == 0) return Status::OK();
  auto run = std::make_shared<Run>(n, task);
  if (pool != nullptr) {
    // The caller works too: n - 1 helpers at most.
    const size_t jobs = std::min<size_t>(helpers, n - 1);
    for (size_t j = 0; j < jobs; ++j) {
      pool->SubmitJob([run] { run->Work(); });
    }
  }
  run->Work();
  std::unique_lock<std::mutex> lock(run->mu);
  run->done_cv.wait(lock, [&run] { return run->finished == run->n; });
  *failed = run->first_failed.load();
  return run->status;
}

}  // namespace drift
