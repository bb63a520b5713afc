#include "index/codebook.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "index/blocked_assign.h"
#include "index/distance.h"
#include "index/exact_knn.h"
#include "index/metric_distance.h"

namespace drift {
namespace {

// 1: without lineage (still read); 2: with it; 3: 2 + metric (not kL2).
constexpr uint8_t kCodebookFormatVersion = 2;
constexpr uint8_t kCodebookMetricVersion = 3;
constexpr size_t kHeaderSize = 1 + 8 + 4 + 4;
constexpr size_t kCalibrationQueries = 256;
// Largest bucket a trained codebook leaves, over the mean (on its sample).
constexpr double kMaxBucketOverMean = 2.0;

template <typename T>
void AppendRaw(std::string* dst, T v) {
  dst->append(reinterpret_cast<const char*>(&v), sizeof(v));
}

template <typename T>
T ReadRaw(const char* p) {
  T v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}

// The density routing section of a version-2 record: u32 S (0 or k), S x f32
// share, f32 lambda, f32 scale, u32 P, P x (f32 tau, f32 recall); the rest of
// the record.
rocksdb::Status DecodeDensity(rocksdb::Slice in, uint32_t k,
                              DensityRouting* out) {
  using rocksdb::Status;
  const Status bad =
      Status::Corruption("drift codebook: malformed density routing");
  if (in.size() < 4) return bad;
  const uint32_t shares = ReadRaw<uint32_t>(in.data());
  in.remove_prefix(4);
  if ((shares != 0 && shares != k) || in.size() < uint64_t{shares} * 4 + 12) {
    return bad;
  }
  for (uint32_t i = 0; i < shares; ++i) {
    const float s = ReadRaw<float>(in.data() + 4 * i);
    if (!(s >= 0 && s <= 1)) return bad;
    out->share.push_back(s);
  }
  in.remove_prefix(uint64_t{shares} * 4);
  out->lambda = ReadRaw<float>(in.data());
  out->scale = ReadRaw<float>(in.data() + 4);
  const uint32_t points = ReadRaw<uint32_t>(in.data() + 8);
  in.remove_prefix(12);
  if (!(out->lambda >= 0 && std::isfinite(out->lambda)) ||
      !(out->scale > 0 && std::isfinite(out->scale)) ||
      in.size() != uint64_t{points} * 8) {
    return bad;
  }
  for (uint32_t i = 0; i < points; ++i) {
    DensityRouting::Point p{ReadRaw<float>(in.data() + 8 * i),
                            ReadRaw<float>(in.data() + 8 * i + 4)};
    const bool ascending = i == 0 || (p.tau > out->curve.back().tau &&
                                      p.recall > out->curve.back().recall);
    if (!(p.tau > 0 && p.tau <= 1) || !(p.recall >= 0 && p.recall <= 1) ||
        !ascending) {
      return bad;
    }
    out->curve.push_back(p);
  }
  return Status::OK();
}

// The distances (dist, by slot) of `slots`, in their order, into *out if set.
void CopyDistances(const std::vector<float>& dist,
                   const std::vector<uint32_t>& slots,
                   std::vector<float>* out) {
  if (out == nullptr) return;
  out->resize(slots.size());
  for (size_t j = 0; j < slots.size(); ++j) (*out)[j] = dist[slots[j]];
}

// Sorts `slots` by dist (ties by slot) and keeps the first `keep`.
void KeepNearest(const std::vector<float>& dist, size_t keep,
                 std::vector<uint32_t>* slots) {
  keep = std::min(keep, slots->size());
  std::partial_sort(slots->begin(), slots->begin() + keep, slots->end(),
                    [&dist](uint32_t a, uint32_t b) {
                      return dist[a] != dist[b] ? dist[a] < dist[b] : a < b;
                    });
  slots->resize(keep);
}

}  // namespace

void Codebook::EncodeTo(std::string* dst) const {
  dst->push_back(static_cast<char>(
      metric == Metric::kL2 ? kCodebookFormatVersion : kCodebookMetricVersion));
  AppendRaw<uint64_t>(dst, epoch);
  AppendRaw<uint32_t>(dst, dim);
  AppendRaw<uint32_t>(dst, static_cast<uint32_t>(size()));
  dst->append(reinterpret_cast<const char*>(centroids.data()),
              centroids.size() * sizeof(float));
  AppendRaw<uint32_t>(dst, static_cast<uint32_t>(calibration.size()));
  for (const CalibrationPoint& p : calibration) {
    AppendRaw<uint32_t>(dst, p.nprobe);
    AppendRaw<float>(dst, p.recall);
  }
  AppendRaw<uint32_t>(dst, static_cast<uint32_t>(lineage.size()));
  for (const SlotLineage& l : lineage) {
    AppendRaw<uint64_t>(dst, l.born_epoch);
    AppendRaw<uint32_t>(dst, l.parent);
  }
  AppendRaw<uint32_t>(dst, static_cast<uint32_t>(density.share.size()));
  for (float s : density.share) AppendRaw<float>(dst, s);
  AppendRaw<float>(dst, density.lambda);
  AppendRaw<float>(dst, density.scale);
  AppendRaw<uint32_t>(dst, static_cast<uint32_t>(density.curve.size()));
  for (const DensityRouting::Point& p : density.curve) {
    AppendRaw<float>(dst, p.tau);
    AppendRaw<float>(dst, p.recall);
  }
  if (metric != Metric::kL2) dst->push_back(static_cast<char>(metric));
}

rocksdb::Status Codebook::DecodeFrom(rocksdb::Slice in, Codebook* out) {
  using rocksdb::Status;
  if (in.size() < kHeaderSize) {
    return Status::Corruption("drift codebook: truncated header");
  }
  const uint8_t version = static_cast<uint8_t>(in[0]);
  if (version != 1 && version != kCodebookFormatVersion &&
      version != kCodebookMetricVersion) {
    return Status::Corruption("drift codebook: unknown format version " +
                              std::to_string(static_cast<uint8_t>(in[0])));
  }
  Metric metric = Metric::kL2;
  if (version == kCodebookMetricVersion) {
    const uint8_t m = static_cast<uint8_t>(in[in.size() - 1]);
    if (m != static_cast<uint8_t>(Metric::kInnerProduct) &&
        m != static_cast<uint8_t>(Metric::kCosine)) {
      return Status::Corruption("drift codebook: unknown metric " +
                                std::to_string(m));
    }
    metric = static_cast<Metric>(m);
    in.remove_suffix(1);
  }
  const uint64_t epoch = ReadRaw<uint64_t>(in.data() + 1);
  const uint32_t dim = ReadRaw<uint32_t>(in.data() + 9);
  const uint32_t k = ReadRaw<uint32_t>(in.data() + 13);
  if (dim == 0 || k == 0 || epoch == 0 || k > kMaxCodebookSize) {
    return Status::Corruption("drift codebook: bad epoch, dim or size");
  }
  const uint64_t floats = uint64_t{dim} * k;
  if (in.size() - kHeaderSize < floats * sizeof(float) + 4) {
    return Status::Corruption("drift codebook: " + std::to_string(k) + " x " +
                              std::to_string(dim) +
                              " centroids exceed the encoded size");
  }
  Codebook cb;
  cb.epoch = epoch;
  cb.dim = dim;
  cb.metric = metric;
  cb.centroids.resize(floats);
  std::memcpy(cb.centroids.data(), in.data() + kHeaderSize,
              floats * sizeof(float));
  in.remove_prefix(kHeaderSize + floats * sizeof(float));
  const uint32_t points = ReadRaw<uint32_t>(in.data());
  in.remove_prefix(4);
  if (version == 1 ? in.size() != uint64_t{points} * 8
                   : in.size() < uint64_t{points} * 8 + 4) {
    return Status::Corruption("drift codebook: calibration size mismatch");
  }
  for (uint32_t i = 0; i < points; ++i) {
    CalibrationPoint p{ReadRaw<uint32_t>(in.data() + 8 * i),
                       ReadRaw<float>(in.data() + 8 * i + 4)};
    const bool ascending = i == 0 || (p.nprobe > cb.calibration.back().nprobe &&
                                      p.recall >= cb.calibration.back().recall);
    if (p.nprobe == 0 || p.nprobe > k || !(p.recall >= 0 && p.recall <= 1) ||
        !ascending) {
      return Status::Corruption("drift codebook: malformed calibration");
    }
    cb.calibration.push_back(p);
  }
  in.remove_prefix(uint64_t{points} * 8);
  if (version != 1) {
    const uint32_t entries = ReadRaw<uint32_t>(in.data());
    in.remove_prefix(4);
    if ((entries != 0 && entries != k) ||
        in.size() < uint64_t{entries} * 12 + 4) {
      return Status::Corruption("drift codebook: lineage size mismatch");
    }
    for (uint32_t i = 0; i < entries; ++i) {
      SlotLineage l{ReadRaw<uint64_t>(in.data() + 12 * i),
                    ReadRaw<uint32_t>(in.data() + 12 * i + 8)};
      if (l.born_epoch == 0 || l.born_epoch > epoch ||
          (l.parent != kNoParent && l.parent >= kMaxCodebookSize)) {
        return Status::Corruption("drift codebook: malformed lineage");
      }
      cb.lineage.push_back(l);
    }
    in.remove_prefix(uint64_t{entries} * 12);
    Status s = DecodeDensity(in, k, &cb.density);
    if (!s.ok()) return s;
  }
  for (float v : cb.centroids) {
    if (!std::isfinite(v)) {
      return Status::Corruption("drift codebook: non-finite centroid");
    }
  }
  Status s = cb.BuildCoarseLayer();
  if (s.ok()) *out = std::move(cb);
  return s;
}

size_t Codebook::GroupsOpened(size_t nprobe, size_t groups, size_t slots) {
  constexpr size_t kMinGroupsOpened = 6;
  return std::max(kMinGroupsOpened,
                  slots == 0 ? 0 : (3 * nprobe * groups + slots - 1) / slots);
}

rocksdb::Status Codebook::BuildCoarseLayer() {
  coarse_centroids.clear();
  members.clear();
  routing = RoutingCentroids();
  const size_t n = size();
  if (n < kMinCoarseSize) return rocksdb::Status::OK();
  const size_t groups = static_cast<size_t>(std::lround(std::sqrt(n)));
  KMeansOptions opt;
  opt.max_points_per_centroid = 0;
  opt.iterations = 10;
  rocksdb::Status s =
      KMeans(centroids.data(), n, dim, groups, opt, &coarse_centroids);
  if (!s.ok()) return s;
  const size_t g = coarse_centroids.size() / dim;
  std::vector<uint32_t> assign(n);
  AssignNearest(centroids.data(), n, coarse_centroids.data(), g, dim,
                assign.data(), nullptr);
  members.assign(g, {});
  for (uint32_t slot = 0; slot < n; ++slot)
    members[assign[slot]].push_back(slot);
  if (metric != Metric::kInnerProduct) {
    routing.Build(centroids.data(), dim, coarse_centroids.data(), members);
  }
  return rocksdb::Status::OK();
}

rocksdb::Status Codebook::Finish(const float* x, size_t n) {
  rocksdb::Status s = BuildCoarseLayer();
  if (s.ok()) Calibrate(x, n, kCalibrationQueries);
  return s;
}

uint32_t Codebook::NprobeForRecall(float target) const {
  for (const CalibrationPoint& p : calibration) {
    if (p.recall >= target) return p.nprobe;
  }
  return calibration.empty() ? 0 : calibration.back().nprobe;
}

Codebook::ProbeMix Codebook::ProbesForRecall(float target) const {
  ProbeMix mix;
  if (calibration.empty()) return mix;
  // The first point reaching the target; above the calibrated range, the
  // last point for every query.
  size_t i = 0;
  while (i + 1 < calibration.size() && calibration[i].recall < target) ++i;
  mix.nprobe = calibration[i].nprobe;
  mix.recall = calibration[i].recall;
  // Points are kept where the recall rises, so recall(nprobe - 1) is the
  // point before's (no point before: nprobe is 1, or recall below it is 0).
  if (mix.nprobe <= 1 || !(mix.recall >= target)) return mix;
  const float lo = i > 0 ? calibration[i - 1].recall : 0.0f;
  mix.fraction = std::min(1.0f, (target - lo) / (mix.recall - lo));
  mix.recall = (1 - mix.fraction) * lo + mix.fraction * mix.recall;
  return mix;
}

float Codebook::CalibratedRecall(uint32_t nprobe) const {
  float recall = 0;
  for (const CalibrationPoint& p : calibration) {
    if (p.nprobe > nprobe) break;
    recall = p.recall;
  }
  return recall;
}

void Codebook::Calibrate(const float* x, size_t n, size_t num_queries) {
  constexpr size_t kNeighbours = 10;
  calibration.clear();
  const size_t k = size();
  if (k == 0 || n < 2 * kNeighbours + 1) return;
  const size_t nq = std::min(num_queries, n / 2);
  // Queries: every stride-th point; base: the others (a query is not its own
  // neighbour, as a real query is not in the data).
  const size_t stride = n / nq;
  std::vector<float> queries, base;
  queries.reserve(nq * dim);
  base.reserve((n - nq) * dim);
  for (size_t i = 0; i < n; ++i) {
    auto& dst = (i % stride == 0 && queries.size() < nq * dim) ? queries : base;
    dst.insert(dst.end(), x + i * dim, x + (i + 1) * dim);
  }
  const size_t nb = base.size() / dim;
  std::vector<uint32_t> truth(nq * kNeighbours);
  ExactKnn(base.data(), nb, queries.data(), nq, dim, kNeighbours, truth.data(),
           metric);
  // Bucketed as segments bucket them (Assign), so a vector that the coarse
  // layer sends to a slot other than its nearest counts where it will be.
  std::vector<uint32_t> slot_of(nb);
  Assign(base.data(), nb, slot_of.data());
  std::vector<uint32_t> targets(kNeighbours);
  std::vector<uint64_t> probed(k, 0);
  for (size_t q = 0; q < nq; ++q) {
    for (size_t j = 0; j < kNeighbours; ++j) {
      targets[j] = slot_of[truth[q * kNeighbours + j]];
    }
    CountProbed(queries.data() + q * dim, targets.data(), kNeighbours, &probed);
  }
  // Every nprobe, not a geometric ladder: NprobeForRecall then returns the
  // least nprobe that reaches a target, not up to ~25% more.
  for (uint32_t nprobe = 1; nprobe <= k; ++nprobe) {
    const float recall =
        static_cast<float>(probed[nprobe - 1]) / (nq * kNeighbours);
    if (calibration.empty() || recall > calibration.back().recall) {
      calibration.push_back({nprobe, recall});
    }
    if (recall >= 1.0f) break;
  }
  // Density routing weighs buckets by squared distances: not for -q.c.
  if (metric == Metric::kInnerProduct) return;
  std::vector<DensityQuery> dq(nq);
  for (size_t q = 0; q < nq; ++q) {
    CandidateSlots(queries.data() + q * dim, &dq[q].slots, &dq[q].dist);
    for (size_t j = 0; j < kNeighbours; ++j) {
      dq[q].neighbour_slots.push_back(slot_of[truth[q * kNeighbours + j]]);
    }
  }
  std::vector<uint64_t> counts(k, 0);
  for (uint32_t s : slot_of) ++counts[s];
  CalibrateDensityRouting(dq, counts, &density);
}

void Codebook::CountProbed(const float* query, const uint32_t* targets,
                           size_t m, std::vector<uint64_t>* probed) const {
  const size_t n = size();
  const size_t max_p = std::min(probed->size(), n);
  if (max_p == 0) return;
  // Mirrors NearestSlots: a slot is a candidate at nprobe p when its coarse
  // group is among the open(p) nearest groups (every slot without a coarse
  // layer), and probed when fewer than p candidates precede it in (distance,
  // slot) order. A slot in no group is never probed.
  constexpr uint32_t kNever = ~0u;
  const size_t g =
      members.empty() || routing.empty() || metric == Metric::kInnerProduct
          ? 0
          : members.size();
  std::vector<uint32_t> group_rank(n, g == 0 ? 0 : kNever);
  std::vector<float> dist(n, std::numeric_limits<float>::infinity());
  if (g == 0) {
    RoutingDistances(metric, query, centroids.data(), n, dim, dist.data());
  } else {
    std::vector<float> gdist(g);
    L2SqrMany(query, coarse_centroids.data(), g, dim, gdist.data());
    std::vector<uint32_t> groups(g);
    for (uint32_t i = 0; i < g; ++i) groups[i] = i;
    KeepNearest(gdist, g, &groups);
    std::vector<float> scratch(dim), group_dist;
    for (uint32_t r = 0; r < g; ++r) {
      const std::vector<uint32_t>& slots = members[groups[r]];
      group_dist.resize(slots.size());
      routing.GroupDistances(query, groups[r], slots, centroids.data(),
                             scratch.data(), group_dist.data());
      for (size_t i = 0; i < slots.size(); ++i) {
        group_rank[slots[i]] = r;
        dist[slots[i]] = group_dist[i];
      }
    }
  }
  // Between two steps of GroupsOpened(p) the candidates do not change, and a
  // target is probed from p = (candidates before it) + 1 on: one range per
  // step. Without a coarse layer every slot has group rank 0: any count of
  // groups opens them all.
  std::vector<int64_t> delta(max_p + 2, 0);
  std::vector<uint32_t> before;
  for (size_t i = 0; i < m; ++i) {
    const uint32_t t = targets[i];
    if (t >= n || group_rank[t] == kNever) continue;
    before.clear();
    for (uint32_t u = 0; u < n; ++u) {
      if (group_rank[u] != kNever &&
          (dist[u] < dist[t] || (dist[u] == dist[t] && u < t))) {
        before.push_back(group_rank[u]);
      }
    }
    std::sort(before.begin(), before.end());
    for (size_t p = 1; p <= max_p;) {
      const size_t o = GroupsOpened(p);
      // The last p that opens o groups.
      const size_t last =
          (g == 0 || o >= g) ? max_p : std::min(max_p, o * n / (3 * g));
      if (group_rank[t] < o) {
        const size_t rank =
            std::lower_bound(before.begin(), before.end(), o) - before.begin();
        const size_t first = std::max(p, rank + 1);
        if (first <= last) {
          ++delta[first];
          --delta[last + 1];
        }
      }
      p = last + 1;
    }
  }
  int64_t count = 0;
  for (size_t p = 1; p <= max_p; ++p) {
    count += delta[p];
    (*probed)[p - 1] += static_cast<uint64_t>(count);
  }
}

size_t Codebook::DensityCandidateCount() const {
  const size_t wanted = 2 * size_t{NprobeForRecall(kDensityReach)};
  return std::min(size(), std::max(kDensityCandidates, wanted));
}

void Codebook::CandidateSlots(const float* query, std::vector<uint32_t>* slots,
                              std::vector<float>* dist) const {
  NearestSlots(query, DensityCandidateCount(), slots, dist);
}

void Codebook::DensitySlots(const float* query, float target,
                            std::vector<uint32_t>* slots) const {
  std::vector<float> dist;
  CandidateSlots(query, slots, &dist);
  slots->resize(density.Probes(slots->data(), dist.data(), slots->size(),
                               density.TauForRecall(target)));
}

void Codebook::Assign(const float* x, size_t n, uint32_t* slots) const {
  BlockedAssigner(*this).Assign(x, n, slots);
}

void Codebook::NearestSlots(const float* query, size_t nprobe,
                            std::vector<uint32_t>* slots,
                            std::vector<float>* distances) const {
  const size_t n = size();
  slots->clear();
  if (members.empty() || routing.empty() || metric == Metric::kInnerProduct) {
    std::vector<float> dist(n);
    RoutingDistances(metric, query, centroids.data(), n, dim, dist.data());
    for (uint32_t i = 0; i < n; ++i) slots->push_back(i);
    KeepNearest(dist, nprobe, slots);
    CopyDistances(dist, *slots, distances);
    return;
  }
  const size_t g = members.size();
  std::vector<float> gdist(g);
  L2SqrMany(query, coarse_centroids.data(), g, dim, gdist.data());
  std::vector<uint32_t> groups(g);
  for (uint32_t i = 0; i < g; ++i) groups[i] = i;
  KeepNearest(gdist, GroupsOpened(nprobe), &groups);
  // Sparse distances over the opened groups' slots only.
  std::vector<float> dist(n), scratch(dim), group_dist;
  for (uint32_t grp : groups) {
    group_dist.resize(members[grp].size());
    routing.GroupDistances(query, grp, members[grp], centroids.data(),
                           scratch.data(), group_dist.data());
    for (size_t i = 0; i < members[grp].size(); ++i) {
      dist[members[grp][i]] = group_dist[i];
      slots->push_back(members[grp][i]);
    }
  }
  KeepNearest(dist, nprobe, slots);
  CopyDistances(dist, *slots, distances);
}

rocksdb::Status TrainCodebook(const float* x, size_t n, uint32_t dim,
                              size_t num_buckets, uint64_t epoch,
                              const KMeansOptions& kmeans, Codebook* out,
                              Metric metric) {
  if (epoch == 0) {
    return rocksdb::Status::InvalidArgument(
        "drift codebook: epoch 0 is reserved for segment-local codebooks");
  }
  Codebook cb;
  cb.epoch = epoch;
  cb.dim = dim;
  cb.metric = metric;
  rocksdb::Status s =
      KMeans(x, n, dim, std::min(num_buckets, n), kmeans, &cb.centroids);
  // Bucket balance bounds the cost of a probe: split what k-means left large.
  if (s.ok()) {
    s = SplitLargeClusters(x, n, dim, kMaxBucketOverMean,
                           2 * std::min(num_buckets, n), kmeans, &cb.centroids);
  }
  if (s.ok()) s = cb.Finish(x, n);
  cb.lineage.assign(cb.size(),
                    Codebook::SlotLineage{epoch, Codebook::kNoParent});
  if (s.ok()) *out = std::move(cb);
  return s;
}

std::shared_ptr<const Codebook> CodebookHolder::current() const {
  std::lock_guard<std::mutex> lock(mu_);
  return current_;
}

void CodebookHolder::Publish(std::shared_ptr<const Codebook> codebook) {
  std::lock_guard<std::mutex> lock(mu_);
  current_ = std::move(codebook);
}

bool CodebookHolder::SetListener(Listener listener) {
  std::lock_guard<std::mutex> lock(mu_);
  if (listener_) return false;
  listener_ = std::move(listener);
  return true;
}

void CodebookHolder::ClearListener() {
  std::lock_guard<std::mutex> lock(mu_);
  listener_ = nullptr;
}

void CodebookHolder::NotifySegmentWritten(
    const SegmentWrittenEvent& event) const {
  std::lock_guard<std::mutex> lock(mu_);
  if (listener_) listener_(event);
}

}  // namespace drift
