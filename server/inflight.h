// The requests a service is running, counted so that shutdown can wait for
// them (DriftService, RouterService) and overload can be refused.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <thread>

namespace drift {
namespace server {

class InflightRequests {
 public:
  // Counts one request for its lifetime; *before receives the count of the
  // others. Check the shutdown flag after constructing it (both seq_cst):
  // either WaitIdle sees the request, or the request sees the shutdown.
  class Slot {
   public:
    Slot(InflightRequests* requests, uint64_t* before)
        : count_(&requests->count_) {
      *before = count_->fetch_add(1);
    }
    ~Slot() { count_->fetch_sub(1); }
    Slot(const Slot&) = delete;
    Slot& operator=(const Slot&) = delete;

   private:
    std::atomic<uint64_t>* count_;
  };

  uint64_t count() const { return count_.load(); }

  // Waits until no request runs, or until `deadline`; true if idle.
  bool WaitIdle(std::chrono::steady_clock::time_point deadline) const {
    while (count_.load() > 0) {
      if (std::chrono::steady_clock::now() >= deadline) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    return true;
  }

 private:
  std::atomic<uint64_t> count_{0};
};

}  // namespace server
}  // namespace drift
