#include "index/distance.h"

#include <algorithm>
#include <limits>
#include <vector>

#include "index/kernel_table.h"

namespace drift {
namespace internal {

bool CpuHasVnniAndPopcnt() {
  const CpuFeatures& f = DetectCpuFeatures();
  return f.avx512_vpopcntdq && f.avx512_vnni;
}

const Kernels& KernelsFor(IsaLevel level) {
  switch (ClampToSupported(level)) {
    case IsaLevel::kAvx512:
      return CpuHasVnniAndPopcnt() ? kAvx512VnniPopcntKernels : kAvx512Kernels;
    case IsaLevel::kAvx2:
      return kAvx2Kernels;
    case IsaLevel::kScalar:
      break;
  }
  return kScalarKernels;
}

const Kernels& ActiveKernels() {
  static const Kernels* const kernels = &KernelsFor(ActiveIsa());
  return *kernels;
}

namespace {

// Rows of x per block: a multiple of every ISA's tile height (2, 3, 4).
constexpr size_t kRowBlock = 48;
// Target bytes of one centroid block, so it stays in L2 (>= 512 KiB per
// core) next to the row block while the tiles stream over it.
constexpr size_t kCentroidBlockBytes = 192 << 10;

size_t CentroidBlock(size_t k, size_t d) {
  size_t rows = kCentroidBlockBytes / (d * sizeof(float));
  rows = std::max<size_t>(12, rows / 12 * 12);  // multiple of 4 and 6
  return std::min(rows, k);
}

}  // namespace

void AssignNearestWith(const Kernels& kernels, const float* x, size_t n,
                       const float* centroids, size_t k, size_t d,
                       uint32_t* assign, float* dist) {
  if (n == 0 || k == 0) return;
  std::vector<float> norms(k);
  for (size_t c = 0; c < k; ++c) {
    const float* row = centroids + c * d;
    norms[c] = kernels.inner_product(row, row, d);
  }
  const size_t col_block = CentroidBlock(k, d);
  std::vector<float> dots(kRowBlock * col_block);
  float best[kRowBlock];
  uint32_t best_idx[kRowBlock];
  for (size_t i0 = 0; i0 < n; i0 += kRowBlock) {
    const size_t rows = std::min(kRowBlock, n - i0);
    std::fill(best, best + rows, std::numeric_limits<float>::infinity());
    std::fill(best_idx, best_idx + rows, 0);
    for (size_t c0 = 0; c0 < k; c0 += col_block) {
      const size_t cols = std::min(col_block, k - c0);
      kernels.dot_block(x + i0 * d, rows, centroids + c0 * d, cols, d,
                        dots.data());
      for (size_t r = 0; r < rows; ++r) {
        const float* dot = dots.data() + r * cols;
        // Centroids are visited in increasing index and only a strictly
        // smaller value wins: ties keep the lowest index.
        for (size_t c = 0; c < cols; ++c) {
          float v = norms[c0 + c] - 2.0f * dot[c];
          if (v < best[r]) {
            best[r] = v;
            best_idx[r] = static_cast<uint32_t>(c0 + c);
          }
        }
      }
    }
    for (size_t r = 0; r < rows; ++r) {
      assign[i0 + r] = best_idx[r];
      if (dist != nullptr) {
        dist[i0 + r] = kernels.l2sqr(x + (i0 + r) * d,
                                     centroids + size_t{best_idx[r]} * d, d);
      }
    }
  }
}

}  // namespace internal

float L2Sqr(const float* a, const float* b, size_t d) {
  return internal::ActiveKernels().l2sqr(a, b, d);
}

float InnerProduct(const float* a, const float* b, size_t d) {
  return internal::ActiveKernels().inner_product(a, b, d);
}

void L2SqrMany(const float* q, const float* base, size_t n, size_t d,
               float* out) {
  internal::ActiveKernels().l2sqr_many(q, base, n, d, out);
}

void L2SqrHalfMany(const float* q, const uint16_t* base, size_t n, size_t d,
                   float* out) {
  internal::ActiveKernels().l2sqr_half_many(q, base, n, d, out);
}

void AssignNearest(const float* x, size_t n, const float* centroids, size_t k,
                   size_t d, uint32_t* assign, float* dist) {
  internal::AssignNearestWith(internal::ActiveKernels(), x, n, centroids, k, d,
                              assign, dist);
}

}  // namespace drift
