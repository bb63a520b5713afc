#include "util/parallel.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

namespace drift {

using rocksdb::Status;

void ParallelFor(size_t n, unsigned threads,
                 const std::function<void(size_t)>& fn) {
  const size_t helpers =
      std::min<size_t>(threads > 0 ? threads - 1 : 0, n > 0 ? n - 1 : 0);
  if (helpers == 0) {
    for (size_t i = 0; i < n; ++i) fn(i);
    return;
  }
  std::atomic<size_t> next{0};
  auto work = [&] {
    for (size_t i; (i = next.fetch_add(1)) < n;) fn(i);
  };
  std::vector<std::thread> pool;
  pool.reserve(helpers);
  for (size_t t = 0; t < helpers; ++t) pool.emplace_back(work);
  work();
  for (std::thread& t : pool) t.join();
}

namespace {

// Shared by the caller and the helpers of one OrderedPipeline. Every field
// is guarded by `mu`. Tasks are claimed in index order; a task is claimable
// while next < consumed + window, so at most `window` results wait.
struct PipelineState {
  std::mutex mu;
  std::condition_variable cv;
  size_t next = 0;      // first unclaimed task
  size_t consumed = 0;  // tasks handed to consume
  bool stop = false;    // the caller gave up (an error): claim nothing more
  std::vector<char> done;
  std::vector<Status> status;
};

}  // namespace

Status OrderedPipeline(size_t n, unsigned threads, size_t window,
                       const std::function<Status(size_t)>& produce,
                       const std::function<Status(size_t)>& consume) {
  window = std::max<size_t>(window, 1);
  PipelineState st;
  st.done.assign(n, 0);
  st.status.resize(n);
  auto claimable = [&] {
    return !st.stop && st.next < n && st.next < st.consumed + window;
  };
  // Runs one claimed task with `lock` released; records its outcome.
  auto run = [&](std::unique_lock<std::mutex>* lock) {
    const size_t i = st.next++;
    lock->unlock();
    Status s = produce(i);
    lock->lock();
    st.status[i] = std::move(s);
    st.done[i] = 1;
    st.cv.notify_all();
  };
  auto helper = [&] {
    std::unique_lock<std::mutex> lock(st.mu);
    while (!st.stop && st.next < n) {
      if (claimable()) {
        run(&lock);
      } else {
        st.cv.wait(lock);
      }
    }
  };
  const size_t helpers =
      std::min<size_t>(threads > 0 ? threads - 1 : 0,
                       std::min(n, window) > 0 ? std::min(n, window) - 1 : 0);
  std::vector<std::thread> pool;
  pool.reserve(helpers);
  for (size_t t = 0; t < helpers; ++t) pool.emplace_back(helper);

  Status result;
  for (size_t i = 0; i < n && result.ok(); ++i) {
    {
      std::unique_lock<std::mutex> lock(st.mu);
      // Task i is claimable itself or in a helper's hands; meanwhile the
      // caller produces later tasks rather than idle.
      while (!st.done[i]) {
        if (claimable()) {
          run(&lock);
        } else {
          st.cv.wait(lock);
        }
      }
      result = std::move(st.status[i]);
    }
    if (result.ok()) result = consume(i);
    std::lock_guard<std::mutex> lock(st.mu);
    st.consumed = i + 1;
    st.cv.notify_all();
  }
  {
    std::lock_guard<std::mutex> lock(st.mu);
    st.stop = true;
    st.cv.notify_all();
  }
  for (std::thread& t : pool) t.join();
  return result;
}

}  // namespace drift
