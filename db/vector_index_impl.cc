#include "db/vector_index_impl.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <optional>

#include "db/candidate_set.h"
#include "db/index_properties.h"
#include "db/key_range_scan.h"
#include "db/maintenance.h"
#include "db/pinned_view.h"
#include "db/probe_planner.h"
#include "db/rerank.h"
#include "db/search_filter.h"
#include "db/search_pool.h"
#include "db/search_recorder.h"
#include "drift/plugin.h"
#include "index/distance.h"
#include "index/metric_distance.h"
#include "index/rabitq.h"
#include "index/sq8_scan.h"
#include "table/drift_table_factory.h"
#include "table/internal_key.h"
#include "table/vector_section_reader.h"
#include "util/thread_priority.h"
#include "util/vector_value.h"

namespace drift {

using rocksdb::Slice;
using rocksdb::Status;

VectorIndexImpl::VectorIndexImpl(rocksdb::DB* db,
                                 rocksdb::ColumnFamilyHandle* cf,
                                 const VectorIndexOptions& options,
                                 std::shared_ptr<CodebookHolder> codebooks)
    : db_(db),
      cf_(cf),
      options_(options),
      codebooks_(codebooks),
      maintenance_(new Maintenance(db, cf, std::move(codebooks), options)),
      search_pool_(
          options.search_pool != nullptr || options.search_threads == 0
              ? options.search_pool
              : NewSearchPool(static_cast<int>(options.search_threads))) {}

VectorIndexImpl::~VectorIndexImpl() { maintenance_->Close(); }

Status VectorIndexImpl::CheckOpen() const {
  return closed_.load(std::memory_order_acquire)
             ? Status::InvalidArgument("drift: the VectorIndex is closed")
             : Status::OK();
}

// `index->Put({}, key, v)` selects the WriteBatch* overload with a null
// batch (a null pointer beats constructing WriteOptions in overload
// resolution): refuse it instead of crashing, and say what was meant.
Status VectorIndexImpl::CheckBatch(const rocksdb::WriteBatch* batch,
                                   const char* what) {
  if (batch != nullptr) return Status::OK();
  return Status::InvalidArgument(
      std::string("drift: ") + what +
      ": null WriteBatch (an argument `{}` selects the WriteBatch* overload; "
      "pass rocksdb::WriteOptions() to write directly)");
}

Status VectorIndexImpl::CheckVector(const std::vector<float>& v,
                                    const char* what) const {
  Status s = CheckOpen();
  if (!s.ok()) return s;
  s = CheckDimension(options_.dimension, v.size());
  if (s.ok()) s = CheckFinite(v.data(), options_.dimension);
  if (s.ok()) s = CheckHasDirection(v.data());
  if (!s.ok()) {
    return Status::InvalidArgument(std::string("drift: ") + what + ": " +
                                   s.getState());
  }
  return s;
}

Status VectorIndexImpl::CheckHasDirection(const float* v) const {
  if (options_.metric == Metric::kCosine &&
      std::all_of(v, v + options_.dimension, [](float x) { return x == 0; })) {
    return Status::InvalidArgument("a zero vector has no cosine distance");
  }
  return Status::OK();
}

Status VectorIndexImpl::Put(const rocksdb::WriteOptions& options,
                            const Slice& key,
                            const std::vector<float>& vector) {
  Status s = CheckVector(vector, "Put");
  if (!s.ok()) return s;
  return db_->Put(options, cf_, key,
                  VectorAsSlice(vector.data(), options_.dimension));
}

Status VectorIndexImpl::Put(rocksdb::WriteBatch* batch, const Slice& key,
                            const std::vector<float>& vector) {
  Status s = CheckBatch(batch, "Put");
  if (s.ok()) s = CheckVector(vector, "Put");
  if (!s.ok()) return s;
  return batch->Put(cf_, key, VectorAsSlice(vector.data(), options_.dimension));
}

Status VectorIndexImpl::Delete(const rocksdb::WriteOptions& options,
                               const Slice& key) {
  Status s = CheckOpen();
  return s.ok() ? db_->Delete(options, cf_, key) : s;
}

Status VectorIndexImpl::Delete(rocksdb::WriteBatch* batch, const Slice& key) {
  Status s = CheckBatch(batch, "Delete");
  if (s.ok()) s = CheckOpen();
  return s.ok() ? batch->Delete(cf_, key) : s;
}

Status VectorIndexImpl::Get(const rocksdb::ReadOptions& options,
                            const Slice& key, std::vector<float>* vector) {
  Status s = CheckOpen();
  if (!s.ok()) return s;
  rocksdb::PinnableSlice value;
  s = db_->Get(options, cf_, key, &value);
  if (!s.ok()) return s;
  if (!IsVectorValue(value, options_.dimension)) {
    return Status::InvalidArgument("drift: the value of this key is not a " +
                                   std::to_string(options_.dimension) +
                                   "-d vector (" +
                                   std::to_string(value.size()) + " bytes)");
  }
  vector->resize(options_.dimension);
  DecodeVector(value, options_.dimension, vector->data());
  return Status::OK();
}

Status VectorIndexImpl::Train(const TrainOptions& options) {
  Status s = CheckOpen();
  return s.ok() ? maintenance_->Train(options) : s;
}

Status VectorIndexImpl::Maintain(bool* retrained) {
  Status s = CheckOpen();
  return s.ok() ? maintenance_->Maintain(retrained) : s;
}

Status VectorIndexImpl::GetStats(IndexStats* stats) {
  Status s = CheckOpen();
  return s.ok() ? maintenance_->GetStats(stats) : s;
}

Status VectorIndexImpl::GetBucketStats(std::vector<BucketInfo>* buckets) {
  Status s = CheckOpen();
  return s.ok() ? maintenance_->GetBucketStats(buckets) : s;
}

namespace {
// A value of "drift.stats" (either form): counts as integers, ratios with
// four decimals.
std::string StatValue(uint64_t count) { return std::to_string(count); }
std::string StatValue(double ratio) {
  char buf[32];
  snprintf(buf, sizeof(buf), "%.4f", ratio);
  return buf;
}
}  // namespace

Status VectorIndexImpl::GetProperty(const std::string& property,
                                    std::string* value) {
  if (IsBlobCacheProperty(property)) {
    Status s = CheckOpen();
    return s.ok() ? BlobCacheProperty(*table_factory_, property, value) : s;
  }
  if (property != "drift.stats") return UnknownIndexProperty(property);
  IndexStats st;
  Status s = GetStats(&st);
  if (!s.ok()) return s;
  value->clear();
  st.ForEachStat(
      [value](const char* /*key*/, const char* label, const auto& stat) {
        *value += std::string(label) + ": " + StatValue(stat) + "\n";
      });
  return Status::OK();
}

uint64_t VectorIndexImpl::codebook_epoch() const {
  auto cb = maintenance_->current();
  return cb != nullptr ? cb->epoch : 0;
}

Status VectorIndexImpl::GetMapProperty(
    const std::string& property, std::map<std::string, std::string>* value) {
  Status s = CheckOpen();
  if (!s.ok()) return s;
  if (property == "drift.blob-cache") {
    BlobCacheMap(*table_factory_, value);
    return Status::OK();
  }
  if (property != "drift.stats") return UnknownIndexProperty(property);
  IndexStats st;
  s = GetStats(&st);
  if (!s.ok()) return s;
  value->clear();
  st.ForEachStat(
      [value](const char* key, const char* /*label*/, const auto& stat) {
        (*value)[key] = StatValue(stat);
      });
  return Status::OK();
}

Status VectorIndexImpl::Close() {
  if (closed_.exchange(true)) {
    return Status::InvalidArgument("drift: the VectorIndex is already closed");
  }
  maintenance_->Close();
  return Status::OK();
}

}  // namespace drift
