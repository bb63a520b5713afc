// The reference model of a vector column family for tests: the visible
// vectors by key, and exact k-NN over them by a metric's exact distance
// (ExactDistance, SearchHit::distance; ties broken by key, as Search).
#pragma once

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "drift/metric.h"
#include "drift/vector_index.h"
#include "index/metric_distance.h"

namespace drift {
namespace test {

using Model = std::map<std::string, std::vector<float>>;

// The k nearest of the model's vectors to q, leaving out what never matches
// (zero vectors under cosine).
inline std::vector<SearchHit> BruteForce(const Model& model,
                                         const std::vector<float>& q, size_t k,
                                         Metric metric = Metric::kL2) {
  const ExactDistance distance(metric, q.data(), q.size());
  std::vector<SearchHit> all;
  for (const auto& [key, v] : model) {
    const float d = distance(v.data());
    if (!distance.NeverMatches(d)) all.push_back({key, d});
  }
  std::sort(all.begin(), all.end(), [](const SearchHit& a, const SearchHit& b) {
    return a.distance != b.distance ? a.distance < b.distance : a.key < b.key;
  });
  if (all.size() > k) all.resize(k);
  return all;
}

// Every visible vector within `radius` of q, as SearchRadius.
inline std::vector<SearchHit> BruteForceRadius(const Model& model,
                                               const std::vector<float>& q,
                                               float radius,
                                               Metric metric = Metric::kL2) {
  std::vector<SearchHit> all = BruteForce(model, q, model.size(), metric);
  while (!all.empty() && all.back().distance > radius) all.pop_back();
  return all;
}

// The model's vectors whose keys pass `so`'s key range, prefix and predicate
// (bytewise comparator); `other` holds the filter column family's values
// (nullptr: the predicate gets none).
inline Model Passing(const SearchOptions& so, const Model& model,
                     const std::map<std::string, std::string>* other) {
  Model passing;
  for (const auto& [key, v] : model) {
    if (so.key_start && key < *so.key_start) continue;
    if (so.key_limit && !(key < *so.key_limit)) continue;
    if (key.compare(0, so.key_prefix.size(), so.key_prefix) != 0) continue;
    if (so.filter) {
      rocksdb::Slice value;
      const rocksdb::Slice* given = nullptr;
      if (so.filter_column_family != nullptr && other != nullptr) {
        auto it = other->find(key);
        if (it != other->end()) {
          value = it->second;
          given = &value;
        }
      }
      if (!so.filter(key, given)) continue;
    }
    passing[key] = v;
  }
  return passing;
}

}  // namespace test
}  // namespace drift
