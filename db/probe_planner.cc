#include "db/probe_planner.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <utility>

#include "index/distance.h"
#include "index/metric_distance.h"
#include "table/bucket_directory.h"

namespace drift {

// FNV-1a over the 32-bit words, then a 64-bit finalizer: the position picks
// the query's probes from the mix (Codebook::ProbeMix::ForQuery).
float QueryPosition(const float* query, size_t dim) {
  uint64_t h = 14695981039346656037ull;
  for (size_t j = 0; j < dim; ++j) {
    uint32_t bits;
    std::memcpy(&bits, query + j, sizeof(bits));
    h = (h ^ bits) * 1099511628211ull;
  }
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdull;
  h ^= h >> 33;
  return static_cast<float>(h >> 40) / static_cast<float>(1u << 24);
}

std::vector<uint32_t> RouteBuckets(const BucketDirectory& dir,
                                   const float* centroids, const float* query,
                                   size_t nprobe, Metric metric) {
  std::vector<std::pair<float, uint32_t>> order(dir.buckets.size());
  for (uint32_t b = 0; b < dir.buckets.size(); ++b) {
    order[b] = {RoutingDistance(metric, query, centroids + size_t{b} * dir.dim,
                                dir.dim),
                b};
  }
  nprobe = std::min(nprobe, order.size());
  std::partial_sort(order.begin(), order.begin() + nprobe, order.end());
  std::vector<uint32_t> probe(nprobe);
  for (size_t i = 0; i < nprobe; ++i) probe[i] = order[i].second;
  return probe;
}

size_t DefaultNprobe(size_t buckets) {
  return std::min(buckets, std::max<size_t>(8, buckets / 8));
}

// About 1/16 of the buckets, at least 8.
size_t DefaultCodebookNprobe(size_t slots) {
  return std::min(slots, std::max<size_t>(8, slots / 16));
}

// SQ8 distances order candidates well (exactly on data sharing one value
// range, e.g. pixels): 2k exact re-ranks recover what quantization swaps
// (fashion-mnist, k=10: recall 0.9586 at 20 and at 30, 0.9539 at 10), and
// each costs a cached row read (~2 us, memory-bound). Targets >= 0.99: 4k.
size_t DefaultRerank(size_t k, float recall_target) {
  return std::max<size_t>((recall_target >= 0.99f ? 4 : 2) * k, 10);
}

size_t RerankDepth(const SearchOptions& options, size_t k) {
  return options.exhaustive    ? 0
         : options.rerank != 0 ? std::max<size_t>(k, options.rerank)
                               : DefaultRerank(k, options.recall_target);
}

ProbePlan PlanProbes(const SearchOptions& options,
                     std::shared_ptr<const Codebook> codebook, uint32_t dim,
                     const float* query, Metric metric) {
  ProbePlan plan;
  plan.metric = metric;
  plan.exhaustive = options.exhaustive;
  plan.nprobe = options.nprobe;
  plan.codebook = std::move(codebook);
  if (plan.codebook == nullptr || plan.codebook->dim != dim ||
      options.exhaustive) {
    return plan;
  }
  const size_t n = plan.codebook->size();
  const float target =
      options.recall_target > 0 ? options.recall_target : kDefaultRecallTarget;
  // Density routing only where its calibration reaches the target; above
  // that, the nprobe calibration below (never a lower recall than asked).
  if (options.nprobe == 0 && options.adaptive_probes &&
      plan.codebook->density.Reaches(target)) {
    plan.codebook->DensitySlots(query, target, &plan.slots);
    return plan;
  }
  size_t nprobe = options.nprobe;
  if (nprobe == 0) {
    const Codebook::ProbeMix mix = plan.codebook->ProbesForRecall(target);
    nprobe =
        mix.fraction < 1 ? mix.ForQuery(QueryPosition(query, dim)) : mix.nprobe;
  }
  if (nprobe == 0) nprobe = DefaultCodebookNprobe(n);  // not calibrated
  nprobe = std::min(n, nprobe);
  plan.codebook->NearestSlots(query, nprobe, &plan.slots);
  return plan;
}

bool RoutesOwnCentroids(const BucketDirectory& dir, const ProbePlan& plan) {
  return !plan.exhaustive && (plan.codebook == nullptr ||
                              dir.codebook_epoch != plan.codebook->epoch);
}

std::vector<uint32_t> BucketsToProbe(
    const BucketDirectory& dir, const float* centroids,
    const std::function<uint32_t(uint32_t slot)>& bucket_of_slot,
    const ProbePlan& plan, const float* query) {
  if (plan.exhaustive) {
    std::vector<uint32_t> all(dir.buckets.size());
    for (uint32_t b = 0; b < all.size(); ++b) all[b] = b;
    return all;
  }
  if (plan.codebook != nullptr && dir.codebook_epoch == plan.codebook->epoch) {
    std::vector<uint32_t> buckets;
    buckets.reserve(plan.slots.size());
    for (uint32_t slot : plan.slots) {
      const uint32_t b = bucket_of_slot(slot);
      if (b < dir.buckets.size()) buckets.push_back(b);
    }
    return buckets;
  }
  // A segment of another epoch routes with its own centroids.
  const size_t first =
      plan.nprobe != 0 ? plan.nprobe : DefaultNprobe(dir.buckets.size());
  if (!plan.skip_routed) {
    return RouteBuckets(dir, centroids, query, first, plan.metric);
  }
  // The nearest-first order is a total order (distance, bucket): the wider
  // routing begins with the first round's buckets.
  std::vector<uint32_t> wider = RouteBuckets(
      dir, centroids, query,
      static_cast<size_t>(std::ceil(first * plan.routed_factor)), plan.metric);
  wider.erase(wider.begin(), wider.begin() + std::min(first, wider.size()));
  return wider;
}

ProbePlan WidenPlan(const ProbePlan& first, double factor, const float* query) {
  ProbePlan plan;
  plan.codebook = first.codebook;
  plan.nprobe = first.nprobe;
  plan.metric = first.metric;
  plan.routed_factor = factor;
  plan.skip_routed = true;
  if (first.exhaustive) {
    plan.codebook = nullptr;
    plan.routed_factor = 1;  // routes nothing new
    return plan;
  }
  if (plan.codebook != nullptr && !first.slots.empty()) {
    const size_t n =
        std::min(plan.codebook->size(),
                 static_cast<size_t>(std::ceil(first.slots.size() * factor)));
    std::vector<uint32_t> wider;
    plan.codebook->NearestSlots(query, n, &wider);
    std::vector<uint32_t> done = first.slots;
    std::sort(done.begin(), done.end());
    for (uint32_t slot : wider) {
      if (!std::binary_search(done.begin(), done.end(), slot)) {
        plan.slots.push_back(slot);
      }
    }
  }
  return plan;
}

}  // namespace drift
