#include "index/distance.h"

#include <algorithm>
#include <limits>
#include <vector>

namespace drift {

float L2Sqr(const float* a, const float* b, size_t d) {
  // Eight independent accumulators let the compiler keep a vector register
  // busy.
  float acc[8] = {};
  size_t i = 0;
  for (; i + 8 <= d; i += 8) {
    for (size_t j = 0; j < 8; ++j) {
      const float t = a[i + j] - b[i + j];
      acc[j] += t * t;
    }
  }
  float sum = 0;
  for (; i < d; ++i) {
    const float t = a[i] - b[i];
    sum += t * t;
  }
  for (float x : acc) sum += x;
  return sum;
}

float InnerProduct(const float* a, const float* b, size_t d) {
  float acc[8] = {};
  size_t i = 0;
  for (; i + 8 <= d; i += 8) {
    for (size_t j = 0; j < 8; ++j) acc[j] += a[i + j] * b[i + j];
  }
  float sum = 0;
  for (; i < d; ++i) sum += a[i] * b[i];
  for (float x : acc) sum += x;
  return sum;
}

void L2SqrMany(const float* q, const float* base, size_t n, size_t d,
               float* out) {
  for (size_t i = 0; i < n; ++i) out[i] = L2Sqr(q, base + i * d, d);
}

void AssignNearest(const float* x, size_t n, const float* centroids, size_t k,
                   size_t d, uint32_t* assign, float* dist) {
  // ||x - c||^2 = ||x||^2 - 2 x.c + ||c||^2 with the centroid norms once.
  std::vector<float> cnorm(k);
  for (size_t c = 0; c < k; ++c) {
    cnorm[c] = InnerProduct(centroids + c * d, centroids + c * d, d);
  }
  for (size_t i = 0; i < n; ++i) {
    const float* xi = x + i * d;
    const float xnorm = InnerProduct(xi, xi, d);
    float best = std::numeric_limits<float>::infinity();
    uint32_t best_c = 0;
    for (size_t c = 0; c < k; ++c) {
      const float v = cnorm[c] - 2 * InnerProduct(xi, centroids + c * d, d);
      if (v < best) {
        best = v;
        best_c = static_cast<uint32_t>(c);
      }
    }
    assign[i] = best_c;
    if (dist != nullptr) dist[i] = std::max(0.0f, best + xnorm);
  }
}

}  // namespace drift
