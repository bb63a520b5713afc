// BlockMemory: the buffer of a block. Most come from new[]; the decoded float
// chunks that a search's re-rank reads at random (cached or pinned) come from
// regions advised for transparent huge pages: a query reads a few dozen rows
// out of hundreds of MB, and with 4 KiB pages nearly every row first misses
// the TLB (fashion-mnist on a Xeon: 4-5% of a query at nprobe 2-5).
//
// Huge-page memory is carved from 32 MiB regions aligned to 2 MiB, in size
// classes of 64 bytes up to kMaxHugePageBlock; a freed block goes to its
// class's free list for the next block of that class, regions are never
// returned to the system. The blob cache's capacity bounds what is live, and
// float chunks fall in few classes (one per dimension but for a bucket's
// last, shorter chunk), so free blocks are reused rather than piled up;
// blocks of many different sizes should not come from here.
// Under AddressSanitizer or ThreadSanitizer every block comes from new[], so
// the sanitizers see each one.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

namespace drift {

// Frees a block by how it was allocated (size_class 0: new[]).
struct BlockMemoryDeleter {
  uint32_t size_class = 0;
  void operator()(char* p) const;
};
using BlockMemory = std::unique_ptr<char[], BlockMemoryDeleter>;

// Blocks above this size always come from new[].
constexpr size_t kMaxHugePageBlock = size_t{256} << 10;

// `bytes` of uninitialized memory: from new[], or with `huge_pages` from the
// huge-page regions (new[] above kMaxHugePageBlock, under a sanitizer, or if
// no region can be mapped).
BlockMemory AllocateBlockMemory(size_t bytes, bool huge_pages);

// False under a sanitizer: every block then comes from new[].
bool HugePageRegionsEnabled();
// Bytes of huge-page regions mapped so far (process-wide).
size_t HugePageRegionBytes();

}  // namespace drift
