#include "index/kmeans.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>
#include <random>
#include <utility>

#include "index/distance.h"
#include "util/parallel.h"

namespace drift {

namespace {

using rocksdb::Status;

// Uniform in [0, 1), the same on every platform (unlike std distributions).
double UniformUnit(std::mt19937_64* rng) {
  return static_cast<double>((*rng)() >> 11) * 0x1.0p-53;
}

// The first m of a random permutation of [0, n) (partial Fisher-Yates).
std::vector<uint32_t> SampleIndices(size_t n, size_t m, std::mt19937_64* rng) {
  std::vector<uint32_t> idx(n);
  std::iota(idx.begin(), idx.end(), 0);
  for (size_t i = 0; i < m; ++i) {
    std::swap(idx[i], idx[i + (*rng)() % (n - i)]);
  }
  idx.resize(m);
  return idx;
}

// Either x itself (when everything is used) or a copy of the sampled rows.
struct Sample {
  const float* data;
  size_t n;
  std::vector<float> storage;
};

Sample DrawSample(const float* x, size_t n, size_t d, size_t m,
                  std::mt19937_64* rng) {
  if (m >= n) return {x, n, {}};
  Sample s{nullptr, m, std::vector<float>(m * d)};
  std::vector<uint32_t> idx = SampleIndices(n, m, rng);
  std::sort(idx.begin(), idx.end());  // sequential reads of x
  for (size_t i = 0; i < m; ++i) {
    std::copy(x + size_t{idx[i]} * d, x + size_t{idx[i]} * d + d,
              s.storage.begin() + i * d);
  }
  s.data = s.storage.data();
  return s;
}

// k-means++: each next centre drawn with probability proportional to the
// squared distance to the nearest centre so far. x holds n >= k points.
void SeedPlusPlus(const float* x, size_t n, size_t d, size_t k,
                  std::mt19937_64* rng, std::vector<float>* centroids) {
  size_t pick = (*rng)() % n;
  centroids->assign(x + pick * d, x + pick * d + d);
  std::vector<float> nearest(n), tmp(n);
  L2SqrMany(x + pick * d, x, n, d, nearest.data());
  for (size_t c = 1; c < k; ++c) {
    const double total = std::accumulate(nearest.begin(), nearest.end(), 0.0);
    if (total > 0) {
      // Last point with positive weight guards against rounding at the end.
      double r = UniformUnit(rng) * total;
      for (size_t i = 0; i < n; ++i) {
        if (nearest[i] <= 0) continue;
        pick = i;
        r -= nearest[i];
        if (r < 0) break;
      }
    } else {
      pick = (*rng)() % n;  // every point coincides with a centre already
    }
    centroids->insert(centroids->end(), x + pick * d, x + pick * d + d);
    L2SqrMany(x + pick * d, x, n, d, tmp.data());
    for (size_t i = 0; i < n; ++i) nearest[i] = std::min(nearest[i], tmp[i]);
  }
}

// Gives every empty cluster one point: the point farthest from its centroid
// in the largest cluster that still has a point at distance > 0.
void RepairEmptyClusters(size_t k, std::vector<uint32_t>* assign,
                         const std::vector<float>& dist,
                         std::vector<size_t>* counts) {
  if (std::find(counts->begin(), counts->end(), 0) == counts->end()) return;
  std::vector<size_t> far_idx(k, 0);
  std::vector<float> far_dist(k, 0.0f);
  for (size_t i = 0; i < assign->size(); ++i) {
    const uint32_t c = (*assign)[i];
    if (dist[i] > far_dist[c]) far_dist[c] = dist[i], far_idx[c] = i;
  }
  for (size_t e = 0; e < k; ++e) {
    if ((*counts)[e] != 0) continue;
    size_t big = k;
    for (size_t c = 0; c < k; ++c) {
      if (far_dist[c] > 0 && (big == k || (*counts)[c] > (*counts)[big])) {
        big = c;
      }
    }
    if (big == k) return;  // only identical points left: nothing to split
    (*assign)[far_idx[big]] = static_cast<uint32_t>(e);
    far_dist[big] = 0;  // its next-farthest point is unknown; skip it
    --(*counts)[big];
    (*counts)[e] = 1;
  }
}

// centroid_c = mean of the points assigned to c; empty clusters keep theirs.
void UpdateMeans(const float* x, size_t n, size_t d, size_t k,
                 const std::vector<uint32_t>& assign,
                 const std::vector<size_t>& counts, std::vector<float>* cents) {
  std::vector<double> sums(k * d, 0.0);
  for (size_t i = 0; i < n; ++i) {
    double* sum = &sums[size_t{assign[i]} * d];
    const float* xi = x + i * d;
    for (size_t j = 0; j < d; ++j) sum[j] += xi[j];
  }
  for (size_t c = 0; c < k; ++c) {
    if (counts[c] == 0) continue;
    for (size_t j = 0; j < d; ++j) {
      (*cents)[c * d + j] = static_cast<float>(sums[c * d + j] / counts[c]);
    }
  }
}

size_t LloydSampleSize(size_t n, size_t k, const KMeansOptions& opt) {
  size_t m = std::min(n, std::max<size_t>(opt.max_sample, k));
  if (opt.max_points_per_centroid > 0) {
    m = std::min(m, std::max(k, k * opt.max_points_per_centroid));
  }
  return m;
}

}  // namespace

Status KMeans(const float* x, size_t n, size_t d, size_t k,
              const KMeansOptions& opt, std::vector<float>* centroids) {
  if (n == 0 || d == 0 || k == 0) {
    return Status::InvalidArgument("KMeans: needs n, d, k > 0");
  }
  k = std::min(k, n);
  std::mt19937_64 rng(opt.seed);
  Sample s = DrawSample(x, n, d, LloydSampleSize(n, k, opt), &rng);
  {
    const size_t seed_points =
        std::max(k, std::max<size_t>(1, opt.seeding_points_per_centroid) * k);
    Sample seeds = DrawSample(s.data, s.n, d, seed_points, &rng);
    SeedPlusPlus(seeds.data, seeds.n, d, k, &rng, centroids);
  }
  std::vector<uint32_t> assign(s.n), previous;
  std::vector<float> dist(s.n);
  std::vector<size_t> counts(k);
  // Rows per assignment task; every row's nearest centroid is its own.
  constexpr size_t kAssignRows = 2048;
  for (int it = 0; it < opt.iterations; ++it) {
    ParallelFor(
        (s.n + kAssignRows - 1) / kAssignRows, opt.threads, [&](size_t t) {
          const size_t first = t * kAssignRows;
          AssignNearest(s.data + first * d, std::min(kAssignRows, s.n - first),
                        centroids->data(), k, d, assign.data() + first,
                        dist.data() + first);
        });
    if (assign == previous) break;  // converged: the means would not move
    std::fill(counts.begin(), counts.end(), 0);
    for (uint32_t a : assign) ++counts[a];
    RepairEmptyClusters(k, &assign, dist, &counts);
    UpdateMeans(s.data, s.n, d, k, assign, counts, centroids);
    previous = assign;
  }
  return Status::OK();
}

Status BalancedTwoMeans(const float* x, size_t n, size_t d,
                        const KMeansOptions& opt, double min_fraction,
                        TwoMeansSplit* out) {
  if (n == 0 || d == 0) {
    return Status::InvalidArgument("BalancedTwoMeans: needs n, d > 0");
  }
  if (!(min_fraction >= 0.0 && min_fraction <= 0.5)) {
    return Status::InvalidArgument(
        "BalancedTwoMeans: min_fraction not in [0, 0.5]");
  }
  out->side.assign(n, 0);
  out->count[0] = n;
  out->count[1] = 0;
  out->separated = false;
  std::vector<uint32_t> all_zero(n, 0);
  std::vector<size_t> one_cluster = {n};
  std::vector<float> mean(d, 0.0f);
  UpdateMeans(x, n, d, 1, all_zero, one_cluster, &mean);
  out->centroids = mean;
  out->centroids.insert(out->centroids.end(), mean.begin(), mean.end());
  double spread = 0;
  for (size_t i = 0; i < n; ++i) {
    spread = std::max<double>(spread, L2Sqr(x + i * d, mean.data(), d));
  }
  const double mean_norm = InnerProduct(mean.data(), mean.data(), d);
  if (n < 2 || spread <= 1e-10 * (1.0 + mean_norm)) return Status::OK();

  std::vector<float> c;
  Status s = KMeans(x, n, d, 2, opt, &c);
  if (!s.ok()) return s;
  // (margin, index): negative margin = closer to c0. Unique keys, so the
  // order (and the split) is deterministic.
  std::vector<std::pair<float, uint32_t>> margin(n);
  size_t near0 = 0;
  for (size_t i = 0; i < n; ++i) {
    const float* xi = x + i * d;
    margin[i] = {L2Sqr(xi, c.data(), d) - L2Sqr(xi, c.data() + d, d),
                 static_cast<uint32_t>(i)};
    near0 += margin[i].first <= 0;
  }
  const size_t min_side =
      std::min(n / 2, static_cast<size_t>(std::ceil(min_fraction * n)));
  const size_t size0 = std::clamp(near0, min_side, n - min_side);
  std::nth_element(margin.begin(), margin.begin() + size0, margin.end());
  for (size_t r = size0; r < n; ++r) out->side[margin[r].second] = 1;
  out->count[0] = size0;
  out->count[1] = n - size0;
  std::vector<uint32_t> assign(out->side.begin(), out->side.end());
  std::vector<size_t> counts = {out->count[0], out->count[1]};
  UpdateMeans(x, n, d, 2, assign, counts, &out->centroids);
  out->separated = out->count[0] > 0 && out->count[1] > 0;
  return Status::OK();
}

void GatherRows(const float* x, size_t d, const std::vector<uint32_t>& ids,
                std::vector<float>* rows) {
  rows->resize(ids.size() * d);
  for (size_t i = 0; i < ids.size(); ++i) {
    std::memcpy(rows->data() + i * d, x + size_t{ids[i]} * d,
                d * sizeof(float));
  }
}

rocksdb::Status SplitCluster(const float* x, size_t n, size_t d,
                             const KMeansOptions& opt, bool recentre,
                             TwoMeansSplit* out) {
  constexpr double kMinSideFraction = 0.3;
  constexpr double kMinNaturalSide = 0.05;
  rocksdb::Status s = BalancedTwoMeans(x, n, d, opt, kMinSideFraction, out);
  if (!s.ok() || !out->separated) return s;
  // Points go to the nearer new centroid (as AssignNearest will send them).
  // If that leaves a side nearly empty, the rebalancing only cut through
  // points that do not separate (e.g. duplicates and one outlier).
  const float* c0 = out->centroids.data();
  const float* c1 = c0 + d;
  size_t ones = 0;
  for (size_t i = 0; i < n; ++i) {
    const float* p = x + i * d;
    out->side[i] = L2Sqr(p, c1, d) < L2Sqr(p, c0, d) ? 1 : 0;
    ones += out->side[i];
  }
  out->count[0] = n - ones;
  out->count[1] = ones;
  const size_t min_side = std::max<size_t>(
      1, static_cast<size_t>(kMinNaturalSide * static_cast<double>(n)));
  out->separated = ones >= min_side && n - ones >= min_side;
  if (out->separated && recentre) {
    std::vector<uint32_t> assign(out->side.begin(), out->side.end());
    std::vector<size_t> counts = {out->count[0], out->count[1]};
    UpdateMeans(x, n, d, 2, assign, counts, &out->centroids);
  }
  return rocksdb::Status::OK();
}

rocksdb::Status SplitLargeClusters(const float* x, size_t n, size_t d,
                                   double max_over_mean, size_t max_centroids,
                                   const KMeansOptions& opt,
                                   std::vector<float>* centroids,
                                   size_t* splits) {
  if (splits != nullptr) *splits = 0;
  if (n == 0 || d == 0 || centroids->empty() || centroids->size() % d != 0) {
    return rocksdb::Status::InvalidArgument("SplitLargeClusters: empty input");
  }
  if (!(max_over_mean > 1)) {
    return rocksdb::Status::InvalidArgument(
        "SplitLargeClusters: max_over_mean must be > 1");
  }
  size_t k = centroids->size() / d;
  std::vector<uint32_t> assign(n);
  AssignNearest(x, n, centroids->data(), k, d, assign.data(), nullptr);
  std::vector<std::vector<uint32_t>> members(k);
  for (uint32_t i = 0; i < n; ++i) members[assign[i]].push_back(i);
  std::vector<uint8_t> unsplittable(k, 0);
  std::vector<float> points;
  while (k < max_centroids) {
    size_t largest = k;
    for (size_t c = 0; c < k; ++c) {
      if (!unsplittable[c] &&
          (largest == k || members[c].size() > members[largest].size())) {
        largest = c;
      }
    }
    if (largest == k ||
        members[largest].size() <= max_over_mean * static_cast<double>(n) / k) {
      break;
    }
    const std::vector<uint32_t> ids = std::move(members[largest]);
    GatherRows(x, d, ids, &points);
    TwoMeansSplit split;
    rocksdb::Status s = SplitCluster(points.data(), ids.size(), d, opt,
                                     /*recentre=*/false, &split);
    if (!s.ok()) return s;
    if (!split.separated) {
      members[largest] = ids;
      unsplittable[largest] = 1;
      continue;
    }
    const std::vector<uint8_t>& side = split.side;
    std::memcpy(centroids->data() + largest * d, split.centroids.data(),
                d * sizeof(float));
    centroids->insert(centroids->end(), split.centroids.begin() + d,
                      split.centroids.end());
    members.emplace_back();
    unsplittable.push_back(0);
    for (size_t i = 0; i < ids.size(); ++i) {
      members[side[i] == 0 ? largest : k].push_back(ids[i]);
    }
    ++k;
    if (splits != nullptr) ++*splits;
  }
  return rocksdb::Status::OK();
}

}  // namespace drift
