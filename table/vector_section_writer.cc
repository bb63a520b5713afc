#include "table/vector_section_writer.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "codec/alp.h"
#include "codec/sq8.h"
#include "index/blocked_assign.h"
#include "index/distance.h"
#include "index/kmeans.h"
#include "index/metric_distance.h"
#include "util/parallel.h"
#include "util/vector_value.h"

namespace drift {

namespace {
// Rows of a bucket sampled for its ALP encoding plan.
constexpr size_t kAlpPlanSampleRows = 64;
// Vectors per assignment task: at most a few ms of work, and at least enough
// rows per coarse group for the blocked dot products to pay.
constexpr size_t kMaxAssignBatch = 4096;
constexpr size_t kMinAssignBatch = 128;

// Rows per assignment task: about four tasks per thread, so that a flush of a
// few hundred vectors (which a writer may be waiting on) still uses every
// build thread.
size_t AssignBatch(size_t n, unsigned threads) {
  return std::min(kMaxAssignBatch,
                  std::max(kMinAssignBatch, n / (4 * size_t{threads}) + 1));
}
}  // namespace

using rocksdb::IOStatus;
using rocksdb::Slice;
using rocksdb::Status;

VectorSectionWriter::VectorSectionWriter(
    const DriftTableOptions& options, uint32_t dim,
    std::shared_ptr<const Codebook> codebook, bool compress_floats)
    : options_(options),
      dim_(dim),
      codebook_(std::move(codebook)),
      compress_floats_(compress_floats) {}

void VectorSectionWriter::Reserve(uint64_t bytes) {
  const uint64_t rows =
      std::min<uint64_t>(bytes, 1ull << 30) / (uint64_t{dim_} * sizeof(float));
  vectors_.reserve(rows * dim_);
  if (options_.metric == Metric::kCosine) unit_vectors_.reserve(rows * dim_);
}

int64_t VectorSectionWriter::Add(const Slice& internal_key,
                                 const Slice& value) {
  const size_t old = vectors_.size();
  const float* v = reinterpret_cast<const float*>(value.data());
  vectors_.insert(vectors_.end(), v, v + dim_);  // memcpy, no zero-fill first
  if (!CheckFinite(vectors_.data() + old, dim_).ok()) {
    vectors_.resize(old);
    return -1;
  }
  const float* added = vectors_.data() + old;
  if (options_.metric == Metric::kCosine) {
    unit_vectors_.resize(vectors_.size());
    // A zero vector stays zero: it is bucketed, and never matches a search.
    ToIndexSpace(Metric::kCosine, added, dim_, unit_vectors_.data() + old);
    added = unit_vectors_.data() + old;
  }
  if (old == 0) {
    range_lo_.assign(added, added + dim_);
    range_hi_ = range_lo_;
  } else {  // while the row is in cache: Write needs no SQ8 training pass
    SQ8Quantizer::ExtendRange(added, dim_, range_lo_.data(), range_hi_.data());
  }
  key_offsets_.push_back(static_cast<uint32_t>(keys_.size()));
  rocksdb::PutLengthPrefixedSlice(&keys_, internal_key);
  return static_cast<int64_t>(key_offsets_.size() - 1);
}

uint64_t VectorSectionWriter::EstimatedSize(float bytes_per_value) const {
  const uint64_t n = num_vectors();
  if (bytes_per_value > 0 &&
      compress_floats_) {  // plus half an alignment of padding per bucket
    return static_cast<uint64_t>(static_cast<double>(n) * dim_ *
                                 bytes_per_value) +
           (n / std::max<uint32_t>(1, options_.target_bucket_size) + 1) *
               options_.blob_alignment / 2;
  }
  // Floats (ALP rarely expands), codes, keys, alignment padding per bucket.
  const uint64_t buckets =
      n / std::max<uint32_t>(1, options_.target_bucket_size) + 1;
  return n * dim_ * (sizeof(float) + 1) + keys_.size() +
         buckets * options_.blob_alignment;
}

Status VectorSectionWriter::MeasureBytesPerValue(size_t max_rows,
                                                 float* bytes_per_value) const {
  *bytes_per_value = 0;
  const size_t n = num_vectors();
  if (n == 0 || max_rows == 0 || !compress_floats_) return Status::OK();
  const size_t m = std::min(n, max_rows);
  std::vector<uint32_t> rows(m);
  std::string prefixed_keys;
  for (size_t r = 0; r < m; ++r) {
    const uint32_t i = static_cast<uint32_t>(r * n / m);
    rows[r] = i;
    const size_t end = i + 1 < n ? key_offsets_[i + 1] : keys_.size();
    prefixed_keys.append(keys_, key_offsets_[i], end - key_offsets_[i]);
  }
  SQ8Quantizer sq8;
  Status s = sq8.TrainOnRange(range_lo_.data(), range_hi_.data(), dim_);
  if (!s.ok()) return s;
  std::unique_ptr<RabitqRotation> rabitq;
  if (SegmentCodes(options_, dim_) == BucketCodes::kRabitQ) {
    rabitq.reset(new RabitqRotation(dim_));
  }
  // Code sizes do not depend on the centroid.
  const std::vector<float> centroid(dim_, 0.0f);
  EncodedBucket e;
  s = EncodeBucket(rows, prefixed_keys, sq8, rabitq.get(), centroid.data(), &e);
  if (!s.ok()) return s;
  const size_t bytes = e.blob.size() + kBlockTrailerSize + e.chunks.size();
  *bytes_per_value = static_cast<float>(static_cast<double>(bytes) /
                                        (static_cast<double>(dim_) * m));
  return Status::OK();
}

Status VectorSectionWriter::ChooseCodebook(
    unsigned threads, std::shared_ptr<const Codebook>* out) const {
  if (codebook_ != nullptr && codebook_->dim == dim_ && codebook_->size() > 0) {
    *out = codebook_;
    return Status::OK();
  }
  const size_t n = num_vectors();
  const size_t k = std::max<size_t>(
      1, static_cast<size_t>(std::llround(static_cast<double>(n) /
                                          options_.target_bucket_size)));
  auto local = std::make_shared<Codebook>();
  local->dim = dim_;
  KMeansOptions kmeans;
  kmeans.threads = threads;
  local->metric = options_.metric;
  Status s =
      KMeans(IndexRows(), n, dim_, std::min(k, n), kmeans, &local->centroids);
  // The coarse layer makes the assignment of every vector (Codebook::Assign)
  // cost ~3 sqrt(k) distances instead of k.
  if (s.ok()) s = local->BuildCoarseLayer();
  *out = std::move(local);
  return s;
}

Status VectorSectionWriter::Write(rocksdb::WritableFileWriter* file,
                                  uint64_t* offset, BucketDirectory* dir,
                                  std::string* sq8_block,
                                  std::string* rabitq_block) {
  const size_t n = num_vectors();
  dir->dim = dim_;
  dir->rows_per_chunk = BucketDirectory::RowsPerChunk(dim_);
  dir->buckets.clear();
  dir->centroids.clear();
  dir->means.clear();
  locations_.assign(n, VectorLocation());
  if (n == 0) return Status::OK();
  const unsigned threads = std::max<uint32_t>(1, options_.build_threads);

  SQ8Quantizer sq8;
  Status s = sq8.TrainOnRange(range_lo_.data(), range_hi_.data(), dim_);
  if (!s.ok()) return s;
  sq8.Serialize(sq8_block);
  rabitq_block->clear();
  std::unique_ptr<RabitqRotation> rabitq;
  if (SegmentCodes(options_, dim_) == BucketCodes::kRabitQ) {
    rabitq.reset(new RabitqRotation(dim_));
    RabitqParams params;
    params.dim = dim_;
    params.padded_dim = rabitq->padded_dim();
    params.seed = rabitq->seed();
    params.ex_bits = RabitqExBits(rabitq->padded_dim());
    params.EncodeTo(rabitq_block);
  }
  std::shared_ptr<const Codebook> codebook;
  s = ChooseCodebook(threads, &codebook);
  if (!s.ok()) return s;
  dir->codebook_epoch = codebook->epoch;
  const size_t k = codebook->size();
  // Each vector's slot depends on that vector alone (Codebook::Assign, one
  // assigner for every batch): batches in any order.
  const BlockedAssigner assigner(*codebook);
  std::vector<uint32_t> assign(n);
  const size_t batch = AssignBatch(n, threads);
  ParallelFor((n + batch - 1) / batch, threads, [&](size_t t) {
    const size_t first = t * batch;
    const size_t count = std::min(batch, n - first);
    assigner.Assign(IndexRows() + first * dim_, count, assign.data() + first);
  });

  // Rows of a bucket keep key order: ordinals ascend. Empty buckets are not
  // written; the others are numbered in slot order.
  std::vector<std::vector<uint32_t>> rows(k);
  for (uint32_t i = 0; i < n; ++i) {
    locations_[i] = {assign[i], static_cast<uint32_t>(rows[assign[i]].size())};
    rows[assign[i]].push_back(i);
  }
  std::vector<uint32_t> slots;  // of the written buckets, by bucket id
  std::vector<uint32_t> id_of_slot(k);
  for (uint32_t b = 0; b < k; ++b) {
    if (rows[b].empty()) continue;
    id_of_slot[b] = static_cast<uint32_t>(slots.size());
    slots.push_back(b);
  }
  for (VectorLocation& loc : locations_) loc.bucket = id_of_slot[loc.bucket];

  // Each bucket's keys, length-prefixed as its blob stores them, gathered in
  // one sequential pass over keys_ (rows of a bucket ascend in key order)
  // rather than by random reads per row while encoding.
  std::vector<size_t> key_begin(k + 1, 0);
  auto key_bytes = [&](uint32_t i) {
    return (i + 1 < n ? key_offsets_[i + 1] : keys_.size()) - key_offsets_[i];
  };
  for (uint32_t i = 0; i < n; ++i) key_begin[assign[i] + 1] += key_bytes(i);
  for (size_t b = 0; b < k; ++b) key_begin[b + 1] += key_begin[b];
  std::string bucket_keys(keys_.size(), '\0');
  {
    std::vector<size_t> at(key_begin.begin(), key_begin.end() - 1);
    for (uint32_t i = 0; i < n; ++i) {
      const size_t len = key_bytes(i);
      std::memcpy(&bucket_keys[at[assign[i]]], keys_.data() + key_offsets_[i],
                  len);
      at[assign[i]] += len;
    }
  }

  // Buckets are encoded by every thread and written by this one, in order,
  // through a ring of buffers that keep their capacity from bucket to bucket.
  const size_t window = 2 * threads;
  std::vector<EncodedBucket> ring(window);
  dir->buckets.reserve(slots.size());
  return OrderedPipeline(
      slots.size(), threads, window,
      [&](size_t j) {
        const uint32_t b = slots[j];
        const Slice keys(bucket_keys.data() + key_begin[b],
                         key_begin[b + 1] - key_begin[b]);
        return EncodeBucket(rows[b], keys, sq8, rabitq.get(),
                            codebook->centroid(b), &ring[j % window]);
      },
      [&](size_t j) {
        BucketHeader header;
        const float* centroid = codebook->centroid(slots[j]);
        dir->centroids.insert(dir->centroids.end(), centroid, centroid + dim_);
        header.slot = slots[j];
        header.num_rows = static_cast<uint32_t>(rows[slots[j]].size());
        const BucketMoments& moments = ring[j % window].moments;
        dir->means.insert(dir->means.end(), moments.mean.begin(),
                          moments.mean.end());
        dir->set_has_moments(true);
        header.m2 = moments.m2;
        IOStatus io = WriteBucket(file, offset, ring[j % window], &header);
        dir->buckets.push_back(std::move(header));
        return Status(io);
      });
}

Status VectorSectionWriter::EncodeBucket(const std::vector<uint32_t>& rows,
                                         const Slice& prefixed_keys,
                                         const SQ8Quantizer& sq8,
                                         const RabitqRotation* rabitq,
                                         const float* centroid,
                                         EncodedBucket* out) const {
  const size_t n = rows.size();
  const uint32_t per_chunk = BucketDirectory::RowsPerChunk(dim_);
  out->blob.clear();
  out->chunks.clear();
  out->chunk_sizes.clear();
  MomentsAccumulator moments(dim_);
  std::vector<float> rows_buf, unit_buf;
  auto gather_from = [&](const float* src, size_t count, auto row_at,
                         std::vector<float>* buf) {
    buf->resize(count * dim_);
    for (size_t r = 0; r < count; ++r) {
      std::memcpy(buf->data() + r * dim_, src + size_t{rows[row_at(r)]} * dim_,
                  size_t{dim_} * sizeof(float));
    }
  };
  auto gather = [&](size_t count, auto row_at) {
    gather_from(vectors_.data(), count, row_at, &rows_buf);
  };
  // One ALP plan for the bucket, sampled from up to kAlpPlanSampleRows rows.
  const size_t sample_rows =
      compress_floats_ ? std::min(n, kAlpPlanSampleRows) : 0;
  gather(sample_rows, [&](size_t r) { return r * n / sample_rows; });
  const AlpMatrixEncoder encoder =
      compress_floats_ ? AlpMatrixEncoder(rows_buf.data(), sample_rows, dim_)
                       : AlpMatrixEncoder::Uncompressed(dim_);

  // Chunks of rows_per_chunk rows: each row is gathered once, for its code
  // (SQ8, or RaBitQ alone) and its chunk's ALP encoding (plus crc).
  std::string codes(rabitq != nullptr ? 0 : n * dim_, '\0');
  const uint32_t pd = rabitq != nullptr ? rabitq->padded_dim() : 0;
  std::vector<float> rotated_centroid(pd);
  if (rabitq != nullptr) rabitq->Apply(centroid, rotated_centroid.data());
  std::vector<uint8_t> bits(n * RabitqCodeBytes(pd));
  // Each chunk's factors, appended to the arrays of the bucket.
  std::vector<float> factors(n * kRabitqFactorsPerRow), chunk_factors;
  const uint32_t ex_bits = rabitq != nullptr ? RabitqExBits(pd) : 0;
  const size_t ex_bytes = RabitqExCodeBytes(pd, ex_bits);
  std::vector<uint8_t> ex_codes(n * ex_bytes);
  std::vector<float> ex_factors(ex_bits > 0 ? n * kRabitqExFactorsPerRow : 0),
      chunk_ex_factors(ex_factors.empty() ? 0
                                          : per_chunk * kRabitqExFactorsPerRow);
  std::string encoded;
  // Raw floats plus container overheads: no regrowth unless ALP expands.
  out->chunks.reserve(n * dim_ * sizeof(float) + (n / per_chunk + 1) * 64);
  for (size_t first = 0; first < n; first += per_chunk) {
    const size_t m = std::min<size_t>(per_chunk, n - first);
    auto row_at = [&](size_t r) { return first + r; };
    gather(m, row_at);
    const float* index_rows = rows_buf.data();
    if (!unit_vectors_.empty()) {
      gather_from(unit_vectors_.data(), m, row_at, &unit_buf);
      index_rows = unit_buf.data();
    }
    moments.AddRows(index_rows, m);
    if (rabitq == nullptr) {
      sq8.EncodeMany(index_rows, m,
                     reinterpret_cast<uint8_t*>(&codes[first * dim_]));
    } else {
      chunk_factors.resize(m * kRabitqFactorsPerRow);
      RabitqEncode(*rabitq, rotated_centroid.data(), rows_buf.data(), m,
                   bits.data() + first * RabitqCodeBytes(pd),
                   chunk_factors.data(), ex_bits,
                   ex_codes.data() + first * ex_bytes, chunk_ex_factors.data());
      for (size_t f = 0; f < kRabitqFactorsPerRow; ++f) {
        std::copy(chunk_factors.begin() + f * m,
                  chunk_factors.begin() + (f + 1) * m,
                  factors.begin() + f * n + first);
      }
      for (size_t f = 0; f < ex_factors.size() / n; ++f) {
        std::copy(chunk_ex_factors.begin() + f * m,
                  chunk_ex_factors.begin() + (f + 1) * m,
                  ex_factors.begin() + f * n + first);
      }
    }
    Status s = encoder.Encode(rows_buf.data(), m, &encoded);
    if (!s.ok()) return s;
    out->chunks.append(encoded);
    rocksdb::PutFixed32(&out->chunks, BlockChecksum(encoded));
    out->chunk_sizes.push_back(static_cast<uint32_t>(encoded.size()));
  }
  EncodeBucketData(dim_, static_cast<uint32_t>(n), codes, prefixed_keys,
                   &out->blob);
  if (rabitq != nullptr) {
    AppendRabitqSection(pd, static_cast<uint32_t>(n), rotated_centroid.data(),
                        bits.data(), factors.data(),
                        {ex_bits, ex_codes.data(), ex_factors.data()},
                        &out->blob);
  }
  out->moments = moments.Finish();
  return Status::OK();
}

IOStatus VectorSectionWriter::WriteBucket(rocksdb::WritableFileWriter* file,
                                          uint64_t* offset,
                                          const EncodedBucket& e,
                                          BucketHeader* b) {
  const uint64_t unpadded = *offset;
  IOStatus io = PadTo(file, options_.blob_alignment, offset);
  padding_bytes_ += *offset - unpadded;
  rocksdb::BlockHandle blob;
  if (io.ok()) io = WriteBlock(file, e.blob, offset, &blob);
  b->data = BlockExtent(blob.offset(), blob.size());
  // The chunks with their trailers, as consecutive WriteBlock calls would
  // have written them, in one append.
  if (io.ok()) io = file->Append(e.chunks);
  if (!io.ok()) return io;
  for (uint32_t size : e.chunk_sizes) {
    b->AddChunk(size);
    *offset += size + kBlockTrailerSize;
  }
  return io;
}

}  // namespace drift
