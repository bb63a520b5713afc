// RaBitQ refinement of one segment scan: the second stage after the 1-bit
// scan, for buckets with extended codes (index/rabitq.h).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "db/kth_smallest.h"
#include "index/rabitq.h"
#include "table/vector_section_reader.h"

namespace drift {

// The RaBitQ buckets of one ScanSegments call with extended codes, kept
// until all are scanned: rows are refined (RabitqScanner::RefineRow) only if
// their 1-bit lower bound is under the k-th smallest refined upper bound, a
// threshold that is only near the k-th distance once the best rows are
// refined. Which rows are refined changes how tight their bounds are, never
// whether they hold (rows of other versions or filtered out count too: the
// threshold is only tighter).
class DeferredRefinement {
 public:
  explicit DeferredRefinement(size_t k) : k_(k) {}

  // The scanned bucket's est and bound, to be refined and then sunk.
  struct Bucket {
    size_t segment;
    uint32_t b;
    std::shared_ptr<VectorSectionReader::BlobRef> blob;
    const RabitqScanner* scanner;
    size_t first;  // into est_ and bound_
  };
  void Add(size_t segment, uint32_t b,
           std::shared_ptr<VectorSectionReader::BlobRef> blob,
           const RabitqScanner* scanner, const float* est, const float* bound) {
    const size_t n = blob->bucket().num_rows;
    buckets_.push_back({segment, b, std::move(blob), scanner, est_.size()});
    est_.insert(est_.end(), est, est + n);
    bound_.insert(bound_.end(), bound, bound + n);
  }

  // Refines first the k rows of least 1-bit estimate (so the threshold starts
  // near the k-th distance), then in scan order every row whose lower bound
  // is under it; hands every bucket to `sink`.
  template <typename Sink>
  void Finish(const Sink& sink) {
    KthSmallest kth(k_);
    struct Row {
      float est;
      uint32_t bucket, row;
      bool operator<(const Row& o) const { return est < o.est; }
    };
    std::vector<Row> best;  // max-heap of the k least estimates
    best.reserve(k_ + 1);
    for (uint32_t i = 0; i < buckets_.size(); ++i) {
      const float* est = est_.data() + buckets_[i].first;
      for (uint32_t r = 0; r < buckets_[i].blob->bucket().num_rows; ++r) {
        if (best.size() == k_ && !(est[r] < best.front().est)) continue;
        best.push_back({est[r], i, r});
        std::push_heap(best.begin(), best.end());
        if (best.size() > k_) {
          std::pop_heap(best.begin(), best.end());
          best.pop_back();
        }
      }
    }
    // Each row's upper bound counts once: the first k are not refined again.
    std::vector<bool> done(est_.size());
    for (const Row& row : best) {
      Refine(row.bucket, row.row, true, &kth);
      done[buckets_[row.bucket].first + row.row] = true;
    }
    for (uint32_t i = 0; i < buckets_.size(); ++i) {
      const size_t n = buckets_[i].blob->bucket().num_rows;
      const size_t first = buckets_[i].first;
      const float* est = est_.data() + first;
      const float* bound = bound_.data() + first;
      bool prepared = false;
      for (uint32_t r = 0; r < n; ++r) {
        // NaN: not refined.
        if (est[r] - bound[r] < kth.Kth() && !done[first + r]) {
          Refine(i, r, !prepared, &kth);
          prepared = true;
        }
      }
    }
    if (getenv("DRIFT_DEBUG_REFINE")) {
      size_t total = 0, refined = 0, below = 0;
      for (const Bucket& b : buckets_) {
        const size_t n = b.blob->bucket().num_rows;
        total += n;
        for (size_t r = 0; r < n; ++r) {
          const float* e = est_.data() + b.first;
          const float* bd = bound_.data() + b.first;
          below += e[r] - bd[r] < kth.Kth();
        }
      }
      refined = refined_;
      fprintf(stderr, "DBG total %zu refined %zu below_kth %zu kth %g\n", total,
              refined, below, kth.Kth());
    }
    for (const Bucket& b : buckets_) {
      sink(b.segment, b.b, b.blob->bucket(), est_.data() + b.first,
           bound_.data() + b.first, b.blob);
    }
  }

 private:
  void Refine(uint32_t i, uint32_t r, bool prepare, KthSmallest* kth) {
    const Bucket& b = buckets_[i];
    const BucketDataView& bucket = b.blob->bucket();
    if (prepare) b.scanner->PrepareRefine(bucket.rabitq_centroid);
    float* est = est_.data() + b.first;
    float* bound = bound_.data() + b.first;
    b.scanner->RefineRow(bucket.rabitq_codes, bucket.rabitq_factors,
                         bucket.rabitq_ex, bucket.num_rows, r, est, bound);
    const float upper = est[r] + bound[r];
    if (upper < kth->Kth()) kth->Push(upper);
    ++refined_;
  }
  size_t refined_ = 0;

  const size_t k_;
  std::vector<Bucket> buckets_;
  std::vector<float> est_, bound_;
};

}  // namespace drift
