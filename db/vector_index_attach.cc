// VectorIndex::Attach: validates the options against the column family's
// table and memtable factories (dimension, metric) before an index exists, so
// a mismatch is an InvalidArgument naming the factory, never a wrong search.
#include <cmath>
#include <limits>
#include <string>

#include "db/maintenance.h"
#include "db/vector_index_impl.h"
#include "drift/plugin.h"
#include "drift/statistics.h"
#include "index/metric_distance.h"
#include "table/drift_table_factory.h"
#include "util/thread_priority.h"
#include "util/vector_value.h"

namespace drift {

using rocksdb::Status;

namespace {

Status DimensionMismatch(rocksdb::ColumnFamilyHandle* cf, const char* factory,
                         uint32_t has, uint32_t wanted) {
  return Status::InvalidArgument(
      "drift: column family " + cf->GetName() + " has " + factory +
      " dimension " + std::to_string(has) + ", not " + std::to_string(wanted));
}

Status MetricMismatch(rocksdb::ColumnFamilyHandle* cf, const char* factory,
                      Metric has, Metric wanted) {
  return Status::InvalidArgument(
      "drift: column family " + cf->GetName() + " has " + factory + " metric " +
      MetricName(has) + ", but the VectorIndex options ask for " +
      MetricName(wanted));
}

bool IsKnownMetric(Metric m) {
  return m == Metric::kL2 || m == Metric::kInnerProduct || m == Metric::kCosine;
}

}  // namespace

Status VectorIndex::Attach(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* cf,
                           const VectorIndexOptions& options,
                           std::unique_ptr<VectorIndex>* index) {
  if (db == nullptr || cf == nullptr) {
    return Status::InvalidArgument(
        "drift: Attach needs a DB and a column family");
  }
  if (options.dimension == 0 || options.dimension > kMaxDimension) {
    return Status::InvalidArgument("drift: dimension must be in [1, 65536]");
  }
  if (!(options.retrain_imbalance == 0 || options.retrain_imbalance > 1) ||
      !(options.retrain_growth >= 0) || std::isinf(options.retrain_growth) ||
      std::isinf(options.retrain_imbalance)) {
    return Status::InvalidArgument(
        "drift: retrain_imbalance must be 0 or > 1 and retrain_growth >= 0 "
        "(both finite)");
  }
  rocksdb::ColumnFamilyDescriptor desc;
  Status s = cf->GetDescriptor(&desc);
  if (!s.ok()) return s;
  const auto* topts =
      desc.options.table_factory != nullptr
          ? desc.options.table_factory->GetOptions<DriftTableOptions>()
          : nullptr;
  if (topts == nullptr) {
    return Status::InvalidArgument("drift: column family " + cf->GetName() +
                                   " does not use the DriftTable factory");
  }
  if (topts->dimension != options.dimension) {
    return DimensionMismatch(cf, "DriftTable", topts->dimension,
                             options.dimension);
  }
  if (!IsKnownMetric(options.metric)) {
    return Status::InvalidArgument(
        "drift: VectorIndexOptions::metric must be kL2, kInnerProduct or "
        "kCosine, not " +
        std::to_string(static_cast<int>(options.metric)));
  }
  if (topts->metric != options.metric) {
    return MetricMismatch(cf, "DriftTable", topts->metric, options.metric);
  }
  // Searches see memtable vectors through the DriftMemTable's arenas only.
  const auto* mopts =
      desc.options.memtable_factory != nullptr
          ? desc.options.memtable_factory->GetOptions<DriftMemTableOptions>()
          : nullptr;
  if (mopts == nullptr) {
    return Status::InvalidArgument(
        "drift: column family " + cf->GetName() +
        " does not use the DriftMemTable factory (searches would not see the "
        "vectors in its memtables)");
  }
  if (mopts->dimension != options.dimension) {
    return DimensionMismatch(cf, "DriftMemTable", mopts->dimension,
                             options.dimension);
  }
  if (mopts->metric != options.metric) {
    return MetricMismatch(cf, "DriftMemTable", mopts->metric, options.metric);
  }
  if (options.janitor_bytes_per_sec >
      static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
    return Status::InvalidArgument(
        "drift: janitor_bytes_per_sec must be at most 2^63 - 1");
  }
  if (options.search_threads > 1024) {
    return Status::InvalidArgument(
        "drift: search_threads must be at most 1024");
  }
  if (options.target_bucket_size == 0) {
    return Status::InvalidArgument("drift: target_bucket_size must be > 0");
  }
  if (!(options.vacuum_dead_fraction >= 0 &&
        options.vacuum_dead_fraction <= 1)) {
    return Status::InvalidArgument(
        "drift: vacuum_dead_fraction must be in [0, 1]");
  }
  if (!IsValidCpuPriority(options.maintenance_cpu_priority)) {
    return Status::InvalidArgument(
        "drift: maintenance_cpu_priority must be kIdle, kLow, kNormal or "
        "kHigh, not " +
        std::to_string(static_cast<int>(options.maintenance_cpu_priority)));
  }
  if (options.split_merge) {
    Status valid = ValidateBucketEditOptions(Maintenance::EditOptions(options));
    if (!valid.ok()) return valid;
  }
  auto* factory =
      dynamic_cast<DriftTableFactory*>(desc.options.table_factory.get());
  if (factory == nullptr) {
    return Status::InvalidArgument("drift: column family " + cf->GetName() +
                                   " has DriftTable options but not its "
                                   "factory class");
  }
  std::unique_ptr<VectorIndexImpl> impl(
      new VectorIndexImpl(db, cf, options, factory->codebooks()));
  impl->table_factory_ = std::static_pointer_cast<const DriftTableFactory>(
      desc.options.table_factory);
  impl->statistics_ =
      std::dynamic_pointer_cast<DriftStatistics>(db->GetDBOptions().statistics);
  s = impl->maintenance_->Open();
  if (!s.ok()) return s;
  // RocksDB's LOG prints only the table factory's options; the memtable's
  // and compaction filter's go here.
  rocksdb::Log(rocksdb::InfoLogLevel::INFO_LEVEL,
               db->GetDBOptions().info_log.get(),
               "drift: %s memtable_factory options (%s):\n%s",
               cf->GetName().c_str(), desc.options.memtable_factory->Name(),
               desc.options.memtable_factory->GetPrintableOptions().c_str());
  if (desc.options.compaction_filter_factory != nullptr) {
    rocksdb::Log(
        rocksdb::InfoLogLevel::INFO_LEVEL, db->GetDBOptions().info_log.get(),
        "drift: %s compaction_filter_factory options (%s):\n%s",
        cf->GetName().c_str(), desc.options.compaction_filter_factory->Name(),
        desc.options.compaction_filter_factory->GetPrintableOptions().c_str());
  }
  *index = std::move(impl);
  return Status::OK();
}

}  // namespace drift
