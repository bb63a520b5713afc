// Codebook: the IVF centroids that route vectors to buckets, shared by every
// segment of a vector column family. The engine trains it and publishes each
// new version under a new epoch; segments record the epoch they were bucketed
// with and, per bucket, the codebook slot (centroid index) it belongs to, so a
// query computes its centroid distances once and probes the same slots in
// every segment of that epoch. SQ8 parameters stay per segment: a segment
// learns the value range of what it writes, which follows drifting data.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "drift/metric.h"
#include "index/density_routing.h"
#include "index/kmeans.h"
#include "index/routing_centroids.h"
#include "rocksdb/slice.h"
#include "rocksdb/status.h"

namespace drift {

// Largest number of centroids a codebook may have (bounds what a decoder of a
// corrupt codebook or slot list allocates).
constexpr uint32_t kMaxCodebookSize = 1u << 22;

struct Codebook {
  // 0 is reserved for "a segment-local codebook, trained by its builder".
  uint64_t epoch = 0;
  uint32_t dim = 0;
  // What it routes for (index/metric_distance.h): centroids live in the
  // index space; under kInnerProduct, NearestSlots and CountProbed rank every
  // centroid by -query.c (the coarse layer only speeds up Assign) and density
  // routing is not calibrated (adaptive_probes uses the nprobe table).
  Metric metric = Metric::kL2;
  std::vector<float> centroids;  // size() x dim, row-major

  size_t size() const { return dim == 0 ? 0 : centroids.size() / dim; }
  const float* centroid(size_t slot) const {
    return centroids.data() + slot * dim;
  }

  // The `nprobe` slots nearest to `query` (nearest first, ties by slot). With
  // a coarse layer (BuildCoarseLayer), only the centroids of the nearest
  // coarse groups are compared, by their `routing` copy: about sqrt(size())
  // groups, of which the nearest GroupsOpened(nprobe) are opened.
  // `distances` (optional) receives their squared distances, in the same
  // order.
  void NearestSlots(const float* query, size_t nprobe,
                    std::vector<uint32_t>* slots,
                    std::vector<float>* distances = nullptr) const;

  // slots[i] = the slot vector i of x (n x dim) is bucketed to: its nearest
  // centroid, searched like NearestSlots among the members of its 3 nearest
  // coarse groups when there is a coarse layer (about 3 * sqrt(size())
  // distances instead of size()), else among all centroids. Computed as
  // |c|^2 - 2 x.c with blocked dot products (BlockedAssigner), so a near tie
  // may round to the other centroid; a vector's slot depends on it alone,
  // never on the batch it is assigned in.
  void Assign(const float* x, size_t n, uint32_t* slots) const;

  // Coarse groups NearestSlots opens to find `nprobe` slots: enough groups to
  // hold about 3 * nprobe slots, at least 6, i.e.
  // max(6, ceil(3 * nprobe * groups / size())) (not capped at the number of
  // groups). Only meaningful with a coarse layer.
  size_t GroupsOpened(size_t nprobe) const {
    return GroupsOpened(nprobe, members.size(), size());
  }
  // The same rule for a codebook of `slots` centroids in `groups` coarse
  // groups (for cost estimates of codebooks not built yet).
  static size_t GroupsOpened(size_t nprobe, size_t groups, size_t slots);

  // Derives the coarse layer (k-means of the centroids into ~sqrt(size())
  // groups; deterministic, not persisted). No-op below kMinCoarseSize.
  rocksdb::Status BuildCoarseLayer();
  static constexpr size_t kMinCoarseSize = 128;

  // Routing calibration measured at training (Calibrate): probing
  // calibration[i].nprobe slots found about calibration[i].recall of each
  // held-out sample point's 10 nearest neighbours (ascending in both).
  struct CalibrationPoint {
    uint32_t nprobe = 0;
    float recall = 0;
  };
  std::vector<CalibrationPoint> calibration;

  // Smallest calibrated nprobe whose estimated recall reaches `target`
  // (the largest calibrated one if none does; 0 without calibration).
  uint32_t NprobeForRecall(float target) const;
  // How many slots queries probe to meet `target` on average: the calibrated
  // recall rises by steps of one probe, so a share `fraction` of queries
  // probes `nprobe` (= NprobeForRecall(target)) and the others nprobe - 1,
  // where (1 - fraction) * recall(nprobe - 1) + fraction * recall(nprobe)
  // = target. fraction is 1 when nprobe is the first calibrated point or the
  // target is above the calibrated range; nprobe 0 without calibration.
  struct ProbeMix {
    uint32_t nprobe = 0;
    float fraction = 1;
    float recall = 0;  // the mix's calibrated recall
    // The probes of a query whose position in [0, 1) is `u`.
    uint32_t ForQuery(float u) const {
      return u < fraction ? nprobe : nprobe - 1;
    }
    float mean() const { return nprobe == 0 ? 0.0f : nprobe - 1 + fraction; }
  };
  ProbeMix ProbesForRecall(float target) const;
  // The recall calibrated for `nprobe` (that of the largest calibrated
  // nprobe not above it; 0 below the first or without calibration).
  float CalibratedRecall(uint32_t nprobe) const;

  // Holds out up to `num_queries` points of x (n x dim) as queries, finds
  // their exact 10 nearest neighbours among the others, and records for
  // every nprobe (1, 2, 3, ... until all are found) the fraction whose slot
  // NearestSlots probes; a point is kept where that fraction rises.
  void Calibrate(const float* x, size_t n, size_t num_queries);

  // (*probed)[p - 1] += how many of targets[0..m) (repeats count)
  // NearestSlots(query, p) probes, for every p in 1..probed->size(): the
  // query's centroid distances are computed once, not once per nprobe.
  void CountProbed(const float* query, const uint32_t* targets, size_t m,
                   std::vector<uint64_t>* probed) const;

  // Makes a codebook whose centroids were just set ready to publish: its
  // coarse layer, and its calibration measured on x (n x dim, a sample of the
  // data it will route).
  rocksdb::Status Finish(const float* x, size_t n);

  // Lineage, one entry per slot (empty: unknown, as in a version-1
  // encoding): the epoch whose codebook created the slot, and the slot of the
  // codebook it was edited from (split or merged) that it descends from
  // (kNoParent: trained from scratch). A slot kept by an edit keeps its entry.
  static constexpr uint32_t kNoParent = ~0u;
  struct SlotLineage {
    uint64_t born_epoch = 0;
    uint32_t parent = kNoParent;
  };
  std::vector<SlotLineage> lineage;

  // Per-query probe counts (index/density_routing.h), calibrated with the
  // nprobe table (not calibrated in a version-1 record or before the
  // density section existed).
  DensityRouting density;
  // The slots a query probes to reach `target` recall under density
  // routing (density.calibrated() must hold): its DensityCandidateCount()
  // nearest slots, cut where their estimated mass reaches the target's tau.
  // Only as good as the curve: see DensityRouting::Reaches.
  void DensitySlots(const float* query, float target,
                    std::vector<uint32_t>* slots) const;
  // The DensityCandidateCount() nearest slots (nearest first) and their
  // squared distances.
  void CandidateSlots(const float* query, std::vector<uint32_t>* slots,
                      std::vector<float>* dist) const;
  // Candidates of density routing: twice the nprobe whose calibrated recall
  // reaches kDensityReach, at least kDensityCandidates, at most size().
  // Derived from the calibration (persisted), so a decoded codebook routes
  // as the trained one.
  size_t DensityCandidateCount() const;

  // Derived by BuildCoarseLayer (empty: route by comparing every centroid).
  std::vector<float> coarse_centroids;         // groups x dim
  std::vector<std::vector<uint32_t>> members;  // slots of each group
  // What NearestSlots and CountProbed compare the members of opened groups
  // with (half the bytes of `centroids`; not under kInnerProduct).
  RoutingCentroids routing;

  // Versioned encoding (little-endian): u8 version 2, u64 epoch, u32 dim,
  // u32 size, size x dim floats, u32 calibration points, per point u32
  // nprobe + f32 recall, u32 lineage entries (0 or size), per entry u64
  // born_epoch + u32 parent, then the density routing: u32 shares (0 or
  // size), f32 each, f32 lambda, f32 scale, u32 points, per point f32 tau +
  // f32 recall. Version 1 ends after the calibration. Version 3 (written for
  // a metric other than kL2, so l2 records keep their bytes) is version 2
  // plus a trailing u8 metric; versions 1 and 2 read as kL2.
  void EncodeTo(std::string* dst) const;
  // Corruption on any malformed, truncated, trailing or non-finite input.
  static rocksdb::Status DecodeFrom(rocksdb::Slice input, Codebook* out);
};

// k-means (k = min(num_buckets, n)) on x (n x dim, finite) under `epoch`,
// then buckets over twice the mean split (SplitLargeClusters, up to 2k
// buckets), with its coarse layer built and its calibration measured.
// x is in the index space of `metric`, whose true neighbours the calibration
// measures recall against.
rocksdb::Status TrainCodebook(const float* x, size_t n, uint32_t dim,
                              size_t num_buckets, uint64_t epoch,
                              const KMeansOptions& kmeans, Codebook* out,
                              Metric metric = Metric::kL2);

// What a table builder reports after writing a segment's vectors.
struct SegmentWrittenEvent {
  uint64_t codebook_epoch = 0;  // 0: bucketed with a segment-local codebook
  uint64_t num_vectors = 0;
  uint32_t dim = 0;
};

// The current codebook of one column family, shared between the engine (which
// publishes) and the table factory's builders (which read it when they start,
// so a segment is bucketed with one consistent codebook). Thread-safe.
class CodebookHolder {
 public:
  std::shared_ptr<const Codebook> current() const;
  void Publish(std::shared_ptr<const Codebook> codebook);

  // The engine's hook, called by builders (on flush/compaction threads; it
  // must only enqueue work). At most one listener; nullptr detaches.
  using Listener = std::function<void(const SegmentWrittenEvent&)>;
  // False if another listener is attached (one engine per column family).
  bool SetListener(Listener listener);
  void ClearListener();
  void NotifySegmentWritten(const SegmentWrittenEvent& event) const;

 private:
  mutable std::mutex mu_;
  std::shared_ptr<const Codebook> current_;
  Listener listener_;
};

}  // namespace drift
