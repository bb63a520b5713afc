// Distance kernels. Plain loops written so that the compiler vectorizes them.
#pragma once

#include <cstddef>
#include <cstdint>

namespace drift {

float L2Sqr(const float* a, const float* b, size_t d);
float InnerProduct(const float* a, const float* b, size_t d);
// out[i] = L2Sqr(q, base + i * d) for i < n.
void L2SqrMany(const float* q, const float* base, size_t n, size_t d,
               float* out);
// Nearest of k centroids for each of n vectors (ties: lowest index); distances
// are squared L2, clamped at 0.
void AssignNearest(const float* x, size_t n, const float* centroids, size_t k,
                   size_t d, uint32_t* assign, float* dist);

}  // namespace drift
