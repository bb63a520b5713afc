// SegmentFeedback: what the segments a table factory wrote teach the builders
// that follow.
#pragma once

#include <atomic>
#include <cstdint>

namespace drift {

struct SegmentFeedback {
  // With DriftTableOptions::dimension 0: the dimension the first vector-shaped
  // value taught (0: none yet). Set once.
  std::atomic<uint32_t> dimension{0};
  // File bytes per vector component, alignment padding excluded, of the last
  // compressed vector section of at least kMinValues components (0: none
  // yet; flushes that store floats raw teach nothing, so until a compaction
  // has written a section its builders estimate from a sample of their own
  // rows, DriftTableBuilder::MaybeSampleBytesPerValue).
  // FileSize() estimates with it, so compaction outputs are cut near
  // target_file_size after compression, not at the raw float size.
  std::atomic<float> section_bytes_per_value{0};
  static constexpr uint64_t kMinValues = 1 << 15;
};

}  // namespace drift
