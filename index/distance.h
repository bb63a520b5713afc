// Float32 distance kernels with run-time ISA dispatch (see cpu_features.h).
//
// Every function dispatches through a kernel table resolved once, on first
// use, from ActiveIsa(). Results of different ISAs agree up to float
// rounding (summation order differs).
#pragma once

#include <cstddef>
#include <cstdint>

namespace drift {

// Squared Euclidean distance sum_j (a_j - b_j)^2.
float L2Sqr(const float* a, const float* b, size_t d);

// sum_j a_j * b_j.
float InnerProduct(const float* a, const float* b, size_t d);

// out[i] = L2Sqr(q, base + i * d, d) for i < n (base is n x d, row-major).
void L2SqrMany(const float* q, const float* base, size_t n, size_t d,
               float* out);

// out[i] = sum_j (q_j - h_ij)^2 for the n rows h_i of halves of base
// (n x d, row-major, index/half_float.h).
void L2SqrHalfMany(const float* q, const uint16_t* base, size_t n, size_t d,
                   float* out);

// For each of the n rows x_i of x (n x d), the nearest of the k centroids
// (k x d, k >= 1): assign[i] = argmin_c |x_i - c|^2 and, if dist is not null,
// dist[i] = L2Sqr(x_i, centroid[assign[i]]) (exact, so >= 0).
//
// The argmin is computed blocked as |c|^2 - 2 <x, c> (a GEMM-like register-
// tiled kernel over cache-sized blocks), so two different centroids at almost
// the same distance may be ordered by rounding; ties between equal values
// (e.g. duplicate centroids) go to the lowest index. Single-threaded; the
// caller parallelises over rows if it wants to.
void AssignNearest(const float* x, size_t n, const float* centroids, size_t k,
                   size_t d, uint32_t* assign, float* dist);

}  // namespace drift
