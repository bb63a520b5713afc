// The reference model of a vector column family for tests: the visible
// vectors by key, and exact k-NN over them (ties broken by key, as Search).
#pragma once

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "drift/vector_index.h"
#include "index/distance.h"

namespace drift {
namespace test {

using Model = std::map<std::string, std::vector<float>>;

inline std::vector<SearchHit> BruteForce(const Model& model,
                                         const std::vector<float>& q,
                                         size_t k) {
  std::vector<SearchHit> all;
  for (const auto& [key, v] : model) {
    all.push_back({key, L2Sqr(q.data(), v.data(), q.size())});
  }
  std::sort(all.begin(), all.end(), [](const SearchHit& a, const SearchHit& b) {
    return a.distance != b.distance ? a.distance < b.distance : a.key < b.key;
  });
  if (all.size() > k) all.resize(k);
  return all;
}

// Every visible vector within `radius` (squared L2) of q, as SearchRadius.
inline std::vector<SearchHit> BruteForceRadius(const Model& model,
                                               const std::vector<float>& q,
                                               float radius) {
  std::vector<SearchHit> all = BruteForce(model, q, model.size());
  while (!all.empty() && all.back().distance > radius) all.pop_back();
  return all;
}

}  // namespace test
}  // namespace drift
