// Options of the drift memtable representation (fresh vectors, level 0).
#pragma once

#include <cstdint>

namespace drift {

// Configurable from option strings, e.g.
//   memtable_factory={id=DriftMemTable;dimension=128}
struct DriftMemTableOptions {
  static const char* kName() { return "DriftMemTableOptions"; }

  // Number of float32 components of a vector; 0 = learn from the first vector.
  uint32_t dimension = 0;
};

}  // namespace drift
