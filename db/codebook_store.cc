#include "db/codebook_store.h"

#include <algorithm>
#include <cstdlib>

#include "rocksdb/table_properties.h"
#include "table/drift_format.h"

namespace drift {

using rocksdb::Status;

CodebookStore::CodebookStore(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* cf,
                             std::shared_ptr<CodebookHolder> holder,
                             const VectorIndexOptions& options)
    : db_(db),
      cf_(cf),
      meta_cf_(options.metadata_column_family != nullptr
                   ? options.metadata_column_family
                   : db->DefaultColumnFamily()),
      holder_(std::move(holder)),
      dimension_(options.dimension),
      metric_(options.metric) {}

std::string CodebookStore::MetadataKey(const std::string& cf_name) {
  return "drift.codebook/" + cf_name;
}

Status CodebookStore::Load() {
  std::string value;
  Status s = db_->Get(rocksdb::ReadOptions(), meta_cf_,
                      MetadataKey(cf_->GetName()), &value);
  std::shared_ptr<Codebook> persisted;
  if (s.ok()) {
    persisted = std::make_shared<Codebook>();
    s = Codebook::DecodeFrom(value, persisted.get());
    if (s.ok() && persisted->dim != dimension_) {
      s = Status::Corruption("drift: persisted codebook has dimension " +
                             std::to_string(persisted->dim));
    }
    if (!s.ok()) {
      return Status::Corruption("drift: codebook of column family " +
                                cf_->GetName() + ": " + s.ToString());
    }
    if (persisted->metric != metric_) {
      return Status::InvalidArgument(
          "drift: column family " + cf_->GetName() +
          " was indexed with metric " + MetricName(persisted->metric) +
          " (its persisted codebook), not " + MetricName(metric_));
    }
  } else if (!s.IsNotFound()) {
    return s;
  }
  uint64_t max_segment_epoch = 0;
  s = MaxSegmentEpoch(&max_segment_epoch);
  if (!s.ok()) return s;
  last_epoch_ = max_segment_epoch;
  if (persisted != nullptr) {
    last_epoch_ = std::max(last_epoch_, persisted->epoch);
    auto held = holder_->current();
    if (held == nullptr || held->epoch < persisted->epoch) {
      holder_->Publish(std::move(persisted));
    }
  }
  return Status::OK();
}

Status CodebookStore::MaxSegmentEpoch(uint64_t* epoch) const {
  rocksdb::TablePropertiesCollection props;
  Status s = db_->GetPropertiesOfAllTables(cf_, &props);
  if (!s.ok()) return s;
  *epoch = 0;
  for (const auto& file : props) {
    const auto& user = file.second->user_collected_properties;
    auto m = user.find(kMetricProperty);
    const std::string metric =
        m != user.end() ? m->second : MetricName(Metric::kL2);
    if (metric != MetricName(metric_)) {
      return Status::InvalidArgument("drift: column family " + cf_->GetName() +
                                     " has a segment (" + file.first +
                                     ") written with metric " + metric +
                                     ", not " + MetricName(metric_));
    }
    auto it = user.find(kCodebookEpochProperty);
    if (it != user.end()) {
      *epoch = std::max<uint64_t>(
          *epoch, std::strtoull(it->second.c_str(), nullptr, 10));
    }
  }
  return Status::OK();
}

Status CodebookStore::PersistAndPublish(std::shared_ptr<Codebook> codebook) {
  std::string value;
  codebook->EncodeTo(&value);
  rocksdb::WriteOptions wo;
  wo.sync = true;
  Status s = db_->Put(wo, meta_cf_, MetadataKey(cf_->GetName()), value);
  if (!s.ok()) return s;
  last_epoch_ = codebook->epoch;
  holder_->Publish(std::move(codebook));
  return Status::OK();
}

}  // namespace drift
