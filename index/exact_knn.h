// Exact k nearest neighbours by brute force: the ground truth of every recall
// figure.
#pragma once

#include <cstddef>
#include <cstdint>

namespace drift {

// ids[q * k + i] = index of the i-th nearest base vector to query q (squared
// L2; ties by lower index). Uses all cores.
void ExactKnn(const float* base, size_t n, const float* queries, size_t nq,
              size_t d, size_t k, uint32_t* ids);

}  // namespace drift
