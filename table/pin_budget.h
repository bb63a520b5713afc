// PinBudget: how many bytes of bucket blobs the readers of one table factory
// may keep pinned in their shared blob cache. A pinned blob skips the cache
// lookup (and the parse) on every later probe; the budget keeps pinned blobs
// from crowding out the rest of the cache.
#pragma once

#include <atomic>
#include <cstdint>

namespace drift {

class PinBudget {
 public:
  explicit PinBudget(uint64_t limit_bytes) : limit_(limit_bytes) {}
  PinBudget(const PinBudget&) = delete;
  PinBudget& operator=(const PinBudget&) = delete;

  // Takes `bytes` from the budget if they fit; false leaves it unchanged.
  bool TryAcquire(uint64_t bytes) {
    uint64_t used = used_.load(std::memory_order_relaxed);
    do {
      if (bytes > limit_ || used > limit_ - bytes) return false;
    } while (!used_.compare_exchange_weak(used, used + bytes,
                                          std::memory_order_relaxed));
    return true;
  }
  void Release(uint64_t bytes) {
    used_.fetch_sub(bytes, std::memory_order_relaxed);
  }
  uint64_t used() const { return used_.load(std::memory_order_relaxed); }
  uint64_t limit() const { return limit_; }

 private:
  const uint64_t limit_;
  std::atomic<uint64_t> used_{0};
};

}  // namespace drift
