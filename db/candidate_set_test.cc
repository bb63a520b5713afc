#include "db/candidate_set.h"

#include <algorithm>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace drift {
namespace {

// The set against a model: each key's best distance, the `capacity` best
// (distance, key) pairs kept. Keys come from a small alphabet so that keys
// repeat (several versions of a key found at different distances).
TEST(CandidateSetTest, KeepsTheBestDistinctKeysLikeAModel) {
  std::mt19937 rng(7);
  for (size_t capacity : {1, 3, 8, 0}) {
    CandidateSet set(capacity);
    std::vector<std::string> keys;  // stable storage: the set keeps views
    for (int i = 0; i < 40; ++i) keys.push_back("key" + std::to_string(i));
    std::map<std::string, float> best;  // every key's best distance
    for (int op = 0; op < 2000; ++op) {
      const std::string& key = keys[rng() % keys.size()];
      const float d = static_cast<float>(rng() % 1000);
      set.Add(key, d);
      auto it = best.find(key);
      if (it == best.end() || d < it->second) best[key] = d;
    }
    std::vector<std::pair<float, std::string>> want;
    for (const auto& [k, d] : best) want.emplace_back(d, k);
    std::sort(want.begin(), want.end());
    // A key's best distance is kept iff it is among the `capacity` best:
    // when it arrives, the threshold is at least the worst kept distance,
    // and kept distances only improve.
    const std::vector<std::pair<float, rocksdb::Slice>> got = set.Sorted();
    ASSERT_EQ(got.size(),
              capacity == 0 ? want.size() : std::min(capacity, want.size()));
    for (size_t i = 0; i < got.size(); ++i) {
      EXPECT_EQ(got[i].first, want[i].first) << i;
      EXPECT_EQ(got[i].second.ToString(), want[i].second) << i;
      if (i > 0) EXPECT_LE(got[i - 1].first, got[i].first);
    }
  }
}

TEST(CandidateSetTest, ThresholdAndDuplicates) {
  CandidateSet set(2);
  EXPECT_EQ(set.threshold(), std::numeric_limits<float>::infinity());
  EXPECT_TRUE(set.Add("a", 5));
  EXPECT_FALSE(set.Add("a", 6));  // not better than a's own distance
  EXPECT_TRUE(set.Add("a", 4));   // a improves: still one entry
  EXPECT_EQ(set.size(), 1u);
  EXPECT_TRUE(set.Add("b", 3));
  // At least the worst kept distance (a's stale 5 may still top the heap):
  // a looser threshold only lets more candidates through.
  EXPECT_GE(set.threshold(), 4);
  EXPECT_FALSE(set.Add("c", 5));  // must beat the threshold
  EXPECT_TRUE(set.Add("c", 1));   // evicts a
  const auto sorted = set.Sorted();
  ASSERT_EQ(sorted.size(), 2u);
  EXPECT_EQ(sorted[0].second.ToString(), "c");
  EXPECT_EQ(sorted[1].second.ToString(), "b");
  EXPECT_TRUE(set.Add("a", 2));  // an evicted key can come back
  EXPECT_EQ(set.Sorted()[1].second.ToString(), "a");
}

}  // namespace
}  // namespace drift
