// Exact k nearest neighbours by brute force: the ground truth of every recall
// figure.
#pragma once

#include <cstddef>
#include <cstdint>

#include "drift/metric.h"

namespace drift {

// ids[q * k + i] = index of the i-th nearest base vector to query q (squared
// L2; ties by lower index). Uses all cores. Under kInnerProduct: the largest
// inner products; kCosine ranks as kL2, so pass vectors in its index space
// (ToIndexSpace, unit length).
void ExactKnn(const float* base, size_t n, const float* queries, size_t nq,
              size_t d, size_t k, uint32_t* ids, Metric metric = Metric::kL2);

}  // namespace drift
