#include "index/bucket_edit.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <utility>

#include "index/distance.h"
#include "index/kmeans.h"

namespace drift {
namespace {

using rocksdb::Status;

// Sample points a bucket needs before it is split (2-means on fewer is noise).
constexpr size_t kMinSplitSample = 8;
// Nearest other buckets whose sample points are re-assigned when an action is
// verified (the LIRE neighbourhood).
constexpr size_t kNeighbours = 8;
// A bucket found unsplittable at some size is tried again once it grew by
// this factor (new data may separate).
constexpr double kRetrySplitGrowth = 1.5;
// Lloyd steps over an action's region (the bucket, its neighbours and the new
// centroids): a split whose new centroids draw in the neighbours' vectors is
// re-balanced locally instead of rejected.
constexpr int kRefineIterations = 3;

// Centroid distances one query computes with a codebook of k slots (see
// Codebook::NearestSlots: a coarse layer above kMinCoarseSize).
double CentroidDistancesPerQuery(size_t k, uint32_t nprobe) {
  if (k < Codebook::kMinCoarseSize) return static_cast<double>(k);
  // As BuildCoarseLayer groups it.
  const size_t groups =
      static_cast<size_t>(std::lround(std::sqrt(static_cast<double>(k))));
  const double open =
      static_cast<double>(Codebook::GroupsOpened(nprobe, groups, k));
  return groups + open * k / groups;
}

// The working state of one pass: every slot ever created (removed ones stay,
// dead), each with the sample points assigned to it.
class Editor {
 public:
  Editor(const Codebook& cb, const std::vector<double>& unsplittable,
         const float* x, size_t n, uint64_t total, const BucketEditOptions& opt,
         const std::vector<BucketMoments>* live)
      : dim_(cb.dim),
        x_(x),
        n_(n),
        opt_(opt),
        live_(live),
        centroids_(cb.centroids),
        alive_(cb.size(), 1),
        touched_(cb.size(), 0),
        unsplittable_(unsplittable),
        members_(cb.size()) {
    unsplittable_.resize(cb.size(), 0);
    for (uint32_t s = 0; s < cb.size(); ++s) origin_.push_back(s);
    const double scale = static_cast<double>(std::max<uint64_t>(total, n)) / n;
    scale_ = scale;
    scan_weight_ = opt.nprobe * scale / static_cast<double>(n);
    // A centroid distance costs about what one code compare costs: both read
    // dim values, the centroid from cache, the code from memory.
    centroid_weight_ = CentroidDistancesPerQuery(cb.size(), opt.nprobe) /
                       static_cast<double>(cb.size());
    std::vector<uint32_t> slot(n);
    cb.Assign(x, n, slot.data());
    for (uint32_t i = 0; i < n; ++i) members_[slot[i]].push_back(i);
  }

  Status Run(const Codebook& current, BucketEditResult* result) {
    result->cost_before = Cost();
    Status s = Splits(result);
    if (s.ok()) Merges(result);
    if (!s.ok()) return s;
    result->cost_after = Cost();
    result->centroids.clear();
    result->unsplittable.clear();
    const double gain = 1 - result->cost_after / result->cost_before;
    if (result->changed() && !needed_ && !(gain >= opt_.min_gain)) {
      // Not worth re-bucketing the column family for: keep the codebook.
      result->deferred = result->splits + result->merges;
      result->splits = result->merges = 0;
      result->cost_after = result->cost_before;
      result->centroids = current.centroids;
      result->unsplittable.assign(unsplittable_.begin(),
                                  unsplittable_.begin() + current.size());
      for (uint32_t s = 0; s < current.size(); ++s) {
        result->kept_from.push_back(s);
        result->parent.push_back(s);
      }
      return Status::OK();
    }
    for (size_t slot = 0; slot < alive_.size(); ++slot) {
      if (!alive_[slot]) continue;
      const float* c = centroid(slot);
      result->centroids.insert(result->centroids.end(), c, c + dim_);
      result->unsplittable.push_back(unsplittable_[slot]);
      result->kept_from.push_back(slot < current.size()
                                      ? static_cast<uint32_t>(slot)
                                      : Codebook::kNoParent);
      result->parent.push_back(origin_[slot]);
    }
    return Status::OK();
  }

 private:
  const float* centroid(size_t slot) const {
    return centroids_.data() + slot * dim_;
  }
  // The engine's live moments of `slot`, while no action changed it.
  const BucketMoments* Known(size_t slot) const {
    return live_ != nullptr && slot < touched_.size() && !touched_[slot]
               ? &(*live_)[slot]
               : nullptr;
  }
  double Estimate(size_t slot) const {
    const BucketMoments* known = Known(slot);
    return known != nullptr ? static_cast<double>(known->count)
                            : members_[slot].size() * scale_;
  }
  size_t AliveCount() const {
    return static_cast<size_t>(std::count(alive_.begin(), alive_.end(), 1));
  }
  double SplitThreshold() const {
    return opt_.split_over_target * opt_.target_bucket_size;
  }

  // Centroid distances plus codes scanned per query: a query probes bucket s
  // with probability ~ nprobe x n_s / N (queries follow the data).
  double Cost() const {
    double scanned = 0;
    for (size_t s = 0; s < alive_.size(); ++s) {
      if (alive_[s]) scanned += SquaredSize(s);
    }
    return centroid_weight_ * AliveCount() + scan_weight_ * scanned;
  }
  double SquaredSize(size_t s) const {
    const double m = static_cast<double>(members_[s].size());
    return m * m;
  }

  // The mean of a bucket's sample points moved from its centroid by more than
  // max_centre_shift x their RMS distance to that mean.
  bool CentreMoved(size_t slot) const {
    if (const BucketMoments* known = Known(slot)) {
      return known->count >= kMinSplitSample &&
             known->ShiftSqr(centroid(slot)) > opt_.max_centre_shift *
                                                   opt_.max_centre_shift *
                                                   known->spread();
    }
    const std::vector<uint32_t>& ids = members_[slot];
    if (ids.size() < kMinSplitSample) return false;
    std::vector<double> mean(dim_, 0.0);
    for (uint32_t i : ids) {
      const float* p = x_ + size_t{i} * dim_;
      for (size_t j = 0; j < dim_; ++j) mean[j] += p[j];
    }
    for (double& v : mean) v /= static_cast<double>(ids.size());
    double spread = 0, shift = 0;
    for (uint32_t i : ids) {
      const float* p = x_ + size_t{i} * dim_;
      for (size_t j = 0; j < dim_; ++j) {
        spread += (p[j] - mean[j]) * (p[j] - mean[j]);
      }
    }
    spread /= static_cast<double>(ids.size());
    const float* c = centroid(slot);
    for (size_t j = 0; j < dim_; ++j)
      shift += (c[j] - mean[j]) * (c[j] - mean[j]);
    return shift > opt_.max_centre_shift * opt_.max_centre_shift * spread;
  }

  bool WantsSplit(size_t slot, bool check_centre) const {
    if (!alive_[slot] || members_[slot].size() < kMinSplitSample ||
        Estimate(slot) < kRetrySplitGrowth * unsplittable_[slot]) {
      return false;
    }
    const double est = Estimate(slot);
    if (est > SplitThreshold()) return true;
    return check_centre && est >= opt_.target_bucket_size && CentreMoved(slot);
  }

  // Up to kNeighbours alive slots nearest to `slot`'s centroid, not in
  // `exclude`.
  void AddNeighbours(size_t slot, std::vector<uint32_t>* region) const {
    std::vector<std::pair<float, uint32_t>> near;
    for (uint32_t s = 0; s < alive_.size(); ++s) {
      if (!alive_[s] ||
          std::find(region->begin(), region->end(), s) != region->end()) {
        continue;
      }
      near.push_back({L2Sqr(centroid(slot), centroid(s), dim_), s});
    }
    const size_t keep = std::min(kNeighbours, near.size());
    std::partial_sort(near.begin(), near.begin() + keep, near.end());
    for (size_t i = 0; i < keep; ++i) region->push_back(near[i].second);
  }

  // Assigns the sample points `points` to the k centroids `cand` (rows), then
  // runs up to kRefineIterations Lloyd steps among them (the region's local
  // re-clustering), keeping the centroids and assignment `to` whose sum of
  // squared bucket sizes is smallest; returns that sum.
  double Regroup(const std::vector<uint32_t>& points, size_t k,
                 std::vector<float>* cand, std::vector<uint32_t>* to) const {
    to->assign(points.size(), 0);
    if (points.empty()) return 0;
    std::vector<float> rows;
    GatherRows(x_, dim_, points, &rows);
    std::vector<uint32_t> assign(points.size());
    std::vector<float> centres = *cand;
    double best = -1;
    for (int it = 0;; ++it) {
      AssignNearest(rows.data(), points.size(), centres.data(), k, dim_,
                    assign.data(), nullptr);
      std::vector<size_t> count(k, 0);
      for (uint32_t a : assign) ++count[a];
      double sum = 0;
      for (size_t c : count) sum += static_cast<double>(c) * c;
      if (best < 0 || sum < best) {
        best = sum;
        *cand = centres;
        *to = assign;
      }
      if (it == kRefineIterations) break;
      std::vector<double> mean(k * dim_, 0.0);
      for (size_t i = 0; i < points.size(); ++i) {
        const float* p = rows.data() + i * dim_;
        double* m = mean.data() + size_t{assign[i]} * dim_;
        for (size_t j = 0; j < dim_; ++j) m[j] += p[j];
      }
      for (size_t c = 0; c < k; ++c) {
        if (count[c] == 0) continue;  // an empty centre stays where it is
        for (size_t j = 0; j < dim_; ++j) {
          centres[c * dim_ + j] =
              static_cast<float>(mean[c * dim_ + j] / count[c]);
        }
      }
    }
    return best;
  }

  // Verifies replacing the buckets `removed` by new ones at `added` (rows of
  // dim floats): the sample points of the removed buckets and of their
  // nearest neighbours are re-grouped among the neighbours and the new
  // centroids (Regroup: the neighbours' centroids may move too), and the
  // action is kept only if the cost model says it lowers the cost of a query.
  // False if rejected; else *fresh = the new slots.
  bool TryReplace(const std::vector<uint32_t>& removed,
                  const std::vector<float>& added,
                  std::vector<uint32_t>* fresh) {
    fresh->clear();
    std::vector<uint32_t> region = removed;
    for (uint32_t r : removed) AddNeighbours(r, &region);
    const size_t kept = region.size() - removed.size();
    const size_t num_added = added.size() / dim_;
    std::vector<float> cand;  // the kept neighbours, then the added
    std::vector<uint32_t> points;
    double before = 0;
    for (size_t i = 0; i < region.size(); ++i) {
      const uint32_t s = region[i];
      before += SquaredSize(s);
      points.insert(points.end(), members_[s].begin(), members_[s].end());
      if (i >= removed.size()) {
        cand.insert(cand.end(), centroid(s), centroid(s) + dim_);
      }
    }
    cand.insert(cand.end(), added.begin(), added.end());
    const size_t k = kept + num_added;
    if (!points.empty() && k == 0) return false;  // nowhere for the points
    std::vector<uint32_t> to;
    const double after = Regroup(points, k, &cand, &to);
    const double delta =
        scan_weight_ * (after - before) +
        centroid_weight_ * (static_cast<double>(num_added) - removed.size());
    if (!(delta < 0)) return false;
    std::vector<std::vector<uint32_t>> next(k);
    for (size_t i = 0; i < points.size(); ++i) next[to[i]].push_back(points[i]);
    uint32_t parent = origin_[removed.empty() ? 0 : removed[0]];
    size_t largest = 0;
    for (uint32_t r : removed) {
      if (members_[r].size() > largest) {
        largest = members_[r].size();
        parent = origin_[r];
      }
    }
    for (uint32_t r : removed) {
      alive_[r] = 0;
      members_[r].clear();
    }
    for (size_t i = 0; i < kept; ++i) {
      const uint32_t slot = region[removed.size() + i];
      if (slot < touched_.size()) touched_[slot] = 1;
      members_[slot] = std::move(next[i]);
      std::copy(cand.begin() + i * dim_, cand.begin() + (i + 1) * dim_,
                centroids_.begin() + size_t{slot} * dim_);
    }
    for (size_t a = kept; a < k; ++a) {
      const uint32_t slot = static_cast<uint32_t>(alive_.size());
      centroids_.insert(centroids_.end(), cand.begin() + a * dim_,
                        cand.begin() + (a + 1) * dim_);
      alive_.push_back(1);
      unsplittable_.push_back(0);
      origin_.push_back(parent);
      members_.push_back(std::move(next[a]));
      fresh->push_back(slot);
    }
    return true;
  }

  Status Splits(BucketEditResult* result) {
    // Largest first; children that are still too large go back in.
    std::vector<uint32_t> work;
    for (uint32_t s = 0; s < alive_.size(); ++s) {
      if (WantsSplit(s, /*check_centre=*/true)) work.push_back(s);
    }
    std::vector<float> rows;
    while (!work.empty() &&
           result->splits + result->merges < opt_.max_actions) {
      auto it = std::max_element(
          work.begin(), work.end(), [this](uint32_t a, uint32_t b) {
            return members_[a].size() != members_[b].size()
                       ? members_[a].size() < members_[b].size()
                       : a > b;
          });
      const uint32_t slot = *it;
      work.erase(it);
      if (!alive_[slot]) continue;
      const bool over = Estimate(slot) > SplitThreshold();
      GatherRows(x_, dim_, members_[slot], &rows);
      TwoMeansSplit split;
      Status s = SplitCluster(rows.data(), members_[slot].size(), dim_,
                              KMeansOptions(), /*recentre=*/true, &split);
      if (!s.ok()) return s;
      std::vector<uint32_t> fresh;
      if (!split.separated || !TryReplace({slot}, split.centroids, &fresh)) {
        // The singularity guard, or not worth it: not again at this size.
        unsplittable_[slot] = Estimate(slot);
        ++result->rejected;
        continue;
      }
      ++result->splits;
      needed_ = needed_ || over;
      for (uint32_t c : fresh) {
        if (WantsSplit(c, /*check_centre=*/false)) work.push_back(c);
      }
    }
    return Status::OK();
  }

  void Merges(BucketEditResult* result) {
    const double merge_below =
        opt_.merge_under_target * opt_.target_bucket_size;
    const double merged_below = (1 - opt_.merge_margin) * SplitThreshold();
    std::vector<uint32_t> small;
    for (uint32_t s = 0; s < alive_.size(); ++s) {
      if (alive_[s] && Estimate(s) < merge_below) small.push_back(s);
    }
    std::stable_sort(small.begin(), small.end(),
                     [this](uint32_t a, uint32_t b) {
                       return members_[a].size() < members_[b].size();
                     });
    for (uint32_t a : small) {
      if (result->splits + result->merges >= opt_.max_actions) return;
      if (!alive_[a] || AliveCount() <= 1) continue;
      std::vector<uint32_t> fresh;
      if (members_[a].empty()) {
        if (!TryReplace({a}, {}, &fresh)) {
          ++result->rejected;
        } else {
          ++result->merges;
        }
        continue;
      }
      std::vector<uint32_t> nearest = {a};
      AddNeighbours(a, &nearest);
      const uint32_t b = nearest[1];
      if (Estimate(a) + Estimate(b) >= merged_below) continue;
      // The merged centroid: the mean of both buckets' sample points.
      const double wa = static_cast<double>(members_[a].size());
      const double wb = static_cast<double>(members_[b].size());
      std::vector<float> merged(dim_);
      for (size_t j = 0; j < dim_; ++j) {
        merged[j] = static_cast<float>(
            (wa * centroid(a)[j] + wb * centroid(b)[j]) / (wa + wb));
      }
      if (!TryReplace({a, b}, merged, &fresh)) {
        ++result->rejected;
      } else {
        ++result->merges;
      }
    }
  }

  const size_t dim_;
  const float* const x_;
  const size_t n_;
  const BucketEditOptions opt_;
  const std::vector<BucketMoments>* const live_;
  double scale_ = 1, scan_weight_ = 0, centroid_weight_ = 1;
  bool needed_ = false;  // a bucket over the split threshold was split
  std::vector<float> centroids_;
  std::vector<uint8_t> alive_;
  std::vector<uint8_t> touched_;  // per original slot: an action changed it
  std::vector<uint32_t> origin_;  // per slot: the original slot it comes from
  std::vector<double> unsplittable_;
  std::vector<std::vector<uint32_t>> members_;
};

}  // namespace

Status ValidateBucketEditOptions(const BucketEditOptions& options) {
  if (options.target_bucket_size == 0 || !(options.split_over_target >= 1.25) ||
      std::isinf(options.split_over_target) ||
      !(options.merge_under_target >= 0) ||
      !(options.merge_under_target * 4 <= options.split_over_target) ||
      !(options.merge_margin >= 0 && options.merge_margin < 1) ||
      !(options.max_centre_shift > 0) || !(options.min_gain >= 0) ||
      options.nprobe == 0) {
    return Status::InvalidArgument(
        "drift: split_bucket_over_target must be >= 1.25 (finite) and >= 4 x "
        "merge_bucket_under_target (>= 0); merge_margin in [0, 1), "
        "max_centre_shift > 0, min_gain >= 0, target_bucket_size and nprobe "
        "> 0");
  }
  return Status::OK();
}

Status PlanBucketEdits(const Codebook& current,
                       const std::vector<double>& unsplittable,
                       const float* sample, size_t n, uint64_t total_vectors,
                       const BucketEditOptions& options,
                       BucketEditResult* result,
                       const std::vector<BucketMoments>* live) {
  *result = BucketEditResult();
  if (current.size() == 0 || n == 0) {
    return Status::InvalidArgument(
        "drift: bucket edits need a codebook and a sample");
  }
  if (!unsplittable.empty() && unsplittable.size() != current.size()) {
    return Status::InvalidArgument(
        "drift: bucket edits: one unsplittable flag per slot");
  }
  if (live != nullptr) {
    bool fits = live->size() == current.size();
    for (size_t i = 0; fits && i < live->size(); ++i) {
      fits = (*live)[i].count == 0 || (*live)[i].mean.size() == current.dim;
    }
    if (!fits) {
      return Status::InvalidArgument(
          "drift: bucket edits: live moments of another codebook");
    }
  }
  Status s = ValidateBucketEditOptions(options);
  if (!s.ok()) return s;
  Editor editor(current, unsplittable, sample, n, total_vectors, options, live);
  return editor.Run(current, result);
}

}  // namespace drift
