#include "db/vector_sample.h"

#include <cmath>
#include <cstring>
#include <memory>
#include <random>

#include "index/metric_distance.h"
#include "table/vector_section_reader.h"
#include "util/vector_value.h"

namespace drift {

namespace {

// Rows [0, n) to draw at `rate`: floor(n * rate) of them, one more with the
// fractional remainder's probability, evenly spaced from a random offset.
template <typename Fn>
rocksdb::Status ForSampledRows(uint64_t n, double rate, std::mt19937_64* rng,
                               Fn&& fn) {
  if (n == 0) return rocksdb::Status::OK();
  const double want = static_cast<double>(n) * rate;
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  uint64_t q = static_cast<uint64_t>(want);
  if (unit(*rng) < want - static_cast<double>(q)) ++q;
  if (q == 0) return rocksdb::Status::OK();
  const double step = static_cast<double>(n) / static_cast<double>(q);
  const double offset = unit(*rng) * step;
  for (uint64_t i = 0; i < q; ++i) {
    const uint64_t row = std::min<uint64_t>(
        n - 1, static_cast<uint64_t>(offset + static_cast<double>(i) * step));
    rocksdb::Status s = fn(row);
    if (!s.ok()) return s;
  }
  return rocksdb::Status::OK();
}

}  // namespace

rocksdb::Status SampleStoredVectors(const PinnedView& view, uint32_t dim,
                                    Metric metric, size_t max_sample,
                                    uint64_t seed, std::vector<float>* sample,
                                    uint64_t* total) {
  sample->clear();
  std::vector<FreshVectorArena::View> arenas;
  uint64_t stored = 0;
  for (const VectorSectionReader* segment : view.segments()) {
    if (segment->directory().dim != dim) continue;
    for (const BucketHeader& b : segment->directory().buckets) {
      stored += b.num_rows;
    }
  }
  for (const auto& arena : view.arenas()) {
    if (arena->dim() != dim) continue;
    arenas.push_back(arena->Snapshot());
    stored += arenas.back().size;
  }
  *total = stored;
  if (stored == 0 || max_sample == 0) return rocksdb::Status::OK();
  const double rate = std::min(
      1.0, static_cast<double>(max_sample) / static_cast<double>(stored));
  std::mt19937_64 rng(seed);
  std::vector<float> row(dim), unit(dim);
  auto keep = [&](const float* v) {
    if (!CheckFinite(v, dim).ok()) return;
    if (!ToIndexSpace(metric, v, dim, unit.data())) return;  // zero, cosine
    sample->insert(sample->end(), unit.begin(), unit.end());
  };
  for (const VectorSectionReader* segment : view.segments()) {
    const BucketDirectory& dir = segment->directory();
    if (dir.dim != dim) continue;
    for (uint32_t b = 0; b < dir.buckets.size(); ++b) {
      rocksdb::Status s =
          ForSampledRows(dir.buckets[b].num_rows, rate, &rng, [&](uint64_t r) {
            rocksdb::Status rs =
                segment->ReadRow(b, static_cast<uint32_t>(r), row.data());
            if (rs.ok()) keep(row.data());
            return rs;
          });
      if (!s.ok()) return s;
    }
  }
  for (const FreshVectorArena::View& arena : arenas) {
    rocksdb::Status s = ForSampledRows(arena.size, rate, &rng, [&](uint64_t r) {
      keep(arena.vector(r));
      return rocksdb::Status::OK();
    });
    if (!s.ok()) return s;
  }
  return rocksdb::Status::OK();
}

rocksdb::Status SampleColumnFamily(rocksdb::DB* db,
                                   rocksdb::ColumnFamilyHandle* cf,
                                   uint32_t dim, Metric metric,
                                   size_t max_sample, uint64_t seed,
                                   std::vector<float>* sample,
                                   uint64_t* total) {
  rocksdb::ReadOptions ro;
  ro.fill_cache = false;
  std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(ro, cf));
  std::mt19937_64 rng(seed);
  sample->clear();
  *total = 0;
  std::vector<float> v(dim);
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    if (!IsVectorValue(it->value(), dim)) continue;
    DecodeVector(it->value(), dim, v.data());
    if (!CheckFinite(v.data(), dim).ok()) continue;
    if (!ToIndexSpace(metric, v.data(), dim, v.data())) continue;
    const uint64_t seen = (*total)++;
    size_t slot = sample->size() / dim;
    if (slot >= max_sample) {  // reservoir: keep with probability max/seen
      slot = std::uniform_int_distribution<uint64_t>(0, seen)(rng);
      if (slot >= max_sample) continue;
      std::memcpy(sample->data() + slot * dim, v.data(), dim * sizeof(float));
    } else {
      sample->insert(sample->end(), v.begin(), v.end());
    }
  }
  return it->status();
}

}  // namespace drift
