#include "db/drift_compaction_filter.h"

#include <algorithm>
#include <chrono>
#include <mutex>
#include <unordered_map>

#include "rocksdb/utilities/options_type.h"
#include "table/printable_options.h"

namespace drift {
namespace {

using rocksdb::CompactionFilter;
using rocksdb::Slice;
using rocksdb::Status;

const std::unordered_map<std::string, rocksdb::OptionTypeInfo>
    kFilterOptionsTypeInfo = {
        {"ttl_seconds",
         {offsetof(DriftCompactionFilterOptions, ttl_seconds),
          rocksdb::OptionType::kInt64T,
          rocksdb::OptionVerificationType::kNormal,
          rocksdb::OptionTypeFlags::kNone}},
        {"key_time_offset",
         {offsetof(DriftCompactionFilterOptions, key_time_offset),
          rocksdb::OptionType::kInt32T,
          rocksdb::OptionVerificationType::kNormal,
          rocksdb::OptionTypeFlags::kNone}},
};

constexpr size_t kTimeBytes = 8;

// The write time `key` carries at `offset` (see key_time_offset).
bool KeyTime(const Slice& key, int32_t offset, uint64_t* seconds) {
  size_t start;
  if (offset >= 0) {
    if (key.size() < static_cast<size_t>(offset) + kTimeBytes) return false;
    start = static_cast<size_t>(offset);
  } else {
    const size_t back = static_cast<size_t>(-static_cast<int64_t>(offset));
    if (key.size() < back) return false;
    start = key.size() - back;
  }
  uint64_t t = 0;
  for (size_t i = 0; i < kTimeBytes; ++i) {
    t = (t << 8) | static_cast<uint8_t>(key[start + i]);
  }
  *seconds = t;
  return true;
}

class DriftCompactionFilter : public CompactionFilter {
 public:
  DriftCompactionFilter(const DriftCompactionFilterOptions& options,
                        uint64_t now, std::shared_ptr<PrefixDropState> state,
                        std::shared_ptr<const PrefixSet> dropped)
      : options_(options),
        now_(now),
        state_(std::move(state)),
        dropped_(std::move(dropped)) {}

  const char* Name() const override { return "DriftCompactionFilter"; }

  Decision FilterV2(int /*level*/, const Slice& key, ValueType type,
                    const Slice& /*existing_value*/, std::string* /*new_value*/,
                    std::string* /*skip_until*/) const override {
    if (type != ValueType::kValue) return Decision::kKeep;
    uint64_t t = 0;
    if (options_.ttl_seconds > 0 &&
        KeyTime(key, options_.key_time_offset, &t) && t <= now_ &&
        now_ - t >= static_cast<uint64_t>(options_.ttl_seconds)) {
      return Decision::kRemove;
    }
    if (dropped_ != nullptr && dropped_->Covers(key) &&
        state_->Removable(key)) {
      state_->removed.fetch_add(1, std::memory_order_relaxed);
      return Decision::kRemove;
    }
    return Decision::kKeep;
  }

 private:
  const DriftCompactionFilterOptions options_;
  const uint64_t now_;  // Unix seconds when the compaction started
  const std::shared_ptr<PrefixDropState> state_;
  const std::shared_ptr<const PrefixSet> dropped_;  // null: remove none
};

}  // namespace

PrefixSet::PrefixSet(std::vector<std::string> prefixes) {
  std::sort(prefixes.begin(), prefixes.end());
  // In sorted order the strings a prefix covers follow it directly.
  for (auto& p : prefixes) {
    if (prefixes_.empty() || !Slice(p).starts_with(prefixes_.back())) {
      prefixes_.push_back(std::move(p));
    }
  }
}

bool PrefixSet::Covers(const Slice& key) const {
  auto it = std::upper_bound(
      prefixes_.begin(), prefixes_.end(), key,
      [](const Slice& k, const std::string& p) { return k.compare(p) < 0; });
  return it != prefixes_.begin() && key.starts_with(*std::prev(it));
}

Status PrefixDropState::Bind(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* cf) {
  std::unique_lock<std::shared_mutex> lock(mu_);
  if (db_ != nullptr) {
    return Status::InvalidArgument(
        "drift: the column family's DriftCompactionFilterFactory is bound to "
        "a PrefixDropper already");
  }
  db_ = db;
  cf_ = cf;
  return Status::OK();
}

void PrefixDropState::Unbind() {
  std::unique_lock<std::shared_mutex> lock(mu_);
  db_ = nullptr;
  cf_ = nullptr;
  prefixes_.reset();
}

void PrefixDropState::SetPrefixes(std::vector<std::string> prefixes) {
  auto set = std::make_shared<const PrefixSet>(std::move(prefixes));
  std::unique_lock<std::shared_mutex> lock(mu_);
  prefixes_ = std::move(set);
}

std::shared_ptr<const PrefixSet> PrefixDropState::ForCompaction(
    uint32_t cf_id) {
  std::shared_lock<std::shared_mutex> lock(mu_);
  if (db_ == nullptr || cf_->GetID() != cf_id || prefixes_ == nullptr ||
      prefixes_->empty() || !NoSnapshot()) {
    return nullptr;
  }
  return prefixes_;
}

bool PrefixDropState::NoSnapshot() {
  uint64_t snapshots = 1;
  return db_->GetIntProperty(rocksdb::DB::Properties::kNumSnapshots,
                             &snapshots) &&
         snapshots == 0;
}

bool PrefixDropState::Removable(const Slice& key) {
  std::shared_lock<std::shared_mutex> lock(mu_);
  if (db_ == nullptr) return false;
  rocksdb::ReadOptions ro;
  ro.fill_cache = false;
  rocksdb::PinnableSlice value;
  // Order matters: the read first, then the snapshot check.
  return db_->Get(ro, cf_, key, &value).IsNotFound() && NoSnapshot();
}

Status CheckDriftCompactionFilterOptions(
    const DriftCompactionFilterOptions& o) {
  if (o.ttl_seconds < 0) {
    return Status::InvalidArgument(
        "DriftCompactionFilter: ttl_seconds must be >= 0 (0 = no TTL), got " +
        std::to_string(o.ttl_seconds));
  }
  if (o.key_time_offset < 0 &&
      o.key_time_offset > -static_cast<int32_t>(kTimeBytes)) {
    return Status::InvalidArgument(
        "DriftCompactionFilter: key_time_offset must be >= 0 or <= -8 (the "
        "8-byte time counted from the key's end), got " +
        std::to_string(o.key_time_offset));
  }
  return Status::OK();
}

std::string DriftCompactionFilterFactory::GetPrintableOptions() const {
  return PrintableOptions(*this);
}

DriftCompactionFilterFactory::DriftCompactionFilterFactory(
    const DriftCompactionFilterOptions& options)
    : options_(options) {
  RegisterOptions(DriftCompactionFilterOptions::kName(), &options_,
                  &kFilterOptionsTypeInfo);
}

std::unique_ptr<CompactionFilter>
DriftCompactionFilterFactory::CreateCompactionFilter(
    const CompactionFilter::Context& context) {
  if (!CheckDriftCompactionFilterOptions(options_).ok()) return nullptr;
  auto dropped = drops_->ForCompaction(context.column_family_id);
  if (options_.ttl_seconds == 0 && dropped == nullptr) return nullptr;
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(
      std::chrono::system_clock::now().time_since_epoch());
  return std::make_unique<DriftCompactionFilter>(
      options_, static_cast<uint64_t>(now.count()), drops_, std::move(dropped));
}

Status DriftCompactionFilterFactory::PrepareOptions(
    const rocksdb::ConfigOptions& config_options) {
  Status s = CheckDriftCompactionFilterOptions(options_);
  if (!s.ok()) return s;
  return CompactionFilterFactory::PrepareOptions(config_options);
}

Status DriftCompactionFilterFactory::ValidateOptions(
    const rocksdb::DBOptions& db_opts,
    const rocksdb::ColumnFamilyOptions& cf_opts) const {
  Status s = CheckDriftCompactionFilterOptions(options_);
  if (!s.ok()) return s;
  return CompactionFilterFactory::ValidateOptions(db_opts, cf_opts);
}

std::shared_ptr<rocksdb::CompactionFilterFactory>
NewDriftCompactionFilterFactory(const DriftCompactionFilterOptions& options) {
  return std::make_shared<DriftCompactionFilterFactory>(options);
}

void AppendKeyTime(uint64_t unix_seconds, std::string* key) {
  for (int shift = 56; shift >= 0; shift -= 8) {
    key->push_back(static_cast<char>((unix_seconds >> shift) & 0xff));
  }
}

}  // namespace drift
