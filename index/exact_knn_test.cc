#include "index/exact_knn.h"

#include <algorithm>
#include <random>
#include <vector>

#include "gtest/gtest.h"
#include "index/distance.h"

namespace drift {
namespace {

// The tiled implementation against a one-query-at-a-time reference, with
// many exact ties (small integer coordinates): ties must go to the lower id.
TEST(ExactKnnTest, MatchesNaiveReferenceWithTies) {
  std::mt19937 rng(5);
  for (size_t d : {1u, 7u, 64u, 300u}) {
    const size_t n = 3000, nq = 70, k = 13;
    std::vector<float> base(n * d), queries(nq * d);
    for (float& x : base) x = static_cast<float>(rng() % 4);
    for (float& x : queries) x = static_cast<float>(rng() % 4);
    std::vector<uint32_t> got(nq * k);
    ExactKnn(base.data(), n, queries.data(), nq, d, k, got.data());
    for (size_t q = 0; q < nq; ++q) {
      std::vector<std::pair<float, uint32_t>> all(n);
      for (uint32_t i = 0; i < n; ++i) {
        all[i] = {L2Sqr(queries.data() + q * d, base.data() + i * d, d), i};
      }
      std::partial_sort(all.begin(), all.begin() + k, all.end());
      for (size_t i = 0; i < k; ++i) {
        ASSERT_EQ(got[q * k + i], all[i].second) << "d=" << d << " q=" << q;
      }
    }
  }
}

TEST(ExactKnnTest, KLargerThanBase) {
  std::vector<float> base = {0, 1, 2}, q = {1.2f};
  std::vector<uint32_t> ids(3);
  ExactKnn(base.data(), 3, q.data(), 1, 1, 5, ids.data());
  EXPECT_EQ(ids, std::vector<uint32_t>({1, 2, 0}));
}

}  // namespace
}  // namespace drift
