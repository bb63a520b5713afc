#include "util/block_memory.h"

#include <sys/mman.h>

#include <cstdint>
#include <mutex>
#include <vector>

namespace drift {
namespace {

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr bool kUseHugePageRegions = false;
#else
constexpr bool kUseHugePageRegions = true;
#endif

constexpr size_t kClassBytes = 64;
constexpr size_t kHugePage = size_t{2} << 20;
constexpr size_t kRegionBytes = size_t{32} << 20;

// Never destroyed: blocks may be freed by static destructors of the host.
class HugePagePool {
 public:
  static HugePagePool& Get() {
    static HugePagePool* pool = new HugePagePool;
    return *pool;
  }

  // A block of class `size_class` (size_class * kClassBytes bytes), or null.
  char* Allocate(uint32_t size_class) {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<char*>& list = free_[size_class];
    if (!list.empty()) {
      char* p = list.back();
      list.pop_back();
      return p;
    }
    const size_t bytes = size_t{size_class} * kClassBytes;
    if (static_cast<size_t>(end_ - cursor_) < bytes && !MapRegion()) {
      return nullptr;
    }
    char* p = cursor_;
    cursor_ += bytes;
    return p;
  }

  void Free(char* p, uint32_t size_class) {
    std::lock_guard<std::mutex> lock(mu_);
    free_[size_class].push_back(p);
  }

  size_t mapped() const {
    std::lock_guard<std::mutex> lock(mu_);
    return mapped_;
  }

 private:
  HugePagePool() : free_(kMaxHugePageBlock / kClassBytes + 1) {}

  // A fresh region aligned to a huge page; the rest of the current one is
  // left unused (at most kMaxHugePageBlock).
  bool MapRegion() {
    void* raw = mmap(nullptr, kRegionBytes + kHugePage, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (raw == MAP_FAILED) return false;
    const uintptr_t begin = reinterpret_cast<uintptr_t>(raw);
    const uintptr_t aligned = (begin + kHugePage - 1) & ~(kHugePage - 1);
    if (aligned > begin) munmap(raw, aligned - begin);
    const uintptr_t end = aligned + kRegionBytes;
    const uintptr_t raw_end = begin + kRegionBytes + kHugePage;
    if (raw_end > end) munmap(reinterpret_cast<void*>(end), raw_end - end);
    // Advice only: without transparent huge pages the region still works.
    madvise(reinterpret_cast<void*>(aligned), kRegionBytes, MADV_HUGEPAGE);
    cursor_ = reinterpret_cast<char*>(aligned);
    end_ = cursor_ + kRegionBytes;
    mapped_ += kRegionBytes;
    return true;
  }

  mutable std::mutex mu_;
  std::vector<std::vector<char*>> free_;  // by size class
  char* cursor_ = nullptr;                // free space of the current region
  char* end_ = nullptr;
  size_t mapped_ = 0;
};

}  // namespace

void BlockMemoryDeleter::operator()(char* p) const {
  if (size_class == 0) {
    delete[] p;
  } else {
    HugePagePool::Get().Free(p, size_class);
  }
}

BlockMemory AllocateBlockMemory(size_t bytes, bool huge_pages) {
  if (huge_pages && kUseHugePageRegions && bytes > 0 &&
      bytes <= kMaxHugePageBlock) {
    const auto size_class =
        static_cast<uint32_t>((bytes + kClassBytes - 1) / kClassBytes);
    if (char* p = HugePagePool::Get().Allocate(size_class)) {
      return BlockMemory(p, BlockMemoryDeleter{size_class});
    }
  }
  return BlockMemory(new char[bytes]);
}

bool HugePageRegionsEnabled() { return kUseHugePageRegions; }

size_t HugePageRegionBytes() {
  return kUseHugePageRegions ? HugePagePool::Get().mapped() : 0;
}

}  // namespace drift
