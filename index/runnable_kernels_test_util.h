// Test helpers: the ISA levels and kernel tables this CPU can run, so kernel
// tests compare every one of them against the scalar reference.
#pragma once

#include <gtest/gtest.h>

#include <vector>

#include "index/kernel_table.h"
#include "util/cpu_features.h"

namespace drift {
namespace test {

inline std::vector<IsaLevel> RunnableIsas() {
  std::vector<IsaLevel> out;
  for (IsaLevel l : {IsaLevel::kScalar, IsaLevel::kAvx2, IsaLevel::kAvx512}) {
    if (ClampToSupported(l) == l) out.push_back(l);
  }
  return out;
}

// The kernel tables of RunnableIsas(), plus the avx512 variant KernelsFor()
// does not pick here (the plain one on a CPU with VNNI and VPOPCNTDQ), so
// both avx512 tables are checked where the CPU can run them.
inline std::vector<const internal::Kernels*> RunnableTables() {
  std::vector<const internal::Kernels*> out;
  for (IsaLevel isa : RunnableIsas()) {
    out.push_back(&internal::KernelsFor(isa));
    if (isa != IsaLevel::kAvx512) continue;
    if (internal::CpuHasVnniAndPopcnt()) {
      EXPECT_EQ(out.back(), &internal::kAvx512VnniPopcntKernels);
      out.push_back(&internal::kAvx512Kernels);
    } else {
      EXPECT_EQ(out.back(), &internal::kAvx512Kernels);
    }
  }
  return out;
}

}  // namespace test
}  // namespace drift
