// PrefixDropper (drift/compaction_filter.h): range deletion + drop record in
// one WriteBatch; the records feed the column family's compaction filter.
#include <mutex>
#include <set>

#include "db/drift_compaction_filter.h"
#include "rocksdb/write_batch.h"

namespace drift {
namespace {

using rocksdb::Slice;
using rocksdb::Status;

constexpr char kRecordPrefix[] = "drift.dropped_prefix/";

// The least key above every key that starts with `prefix` (false if there is
// none: the prefix is all 0xff bytes).
bool Successor(const Slice& prefix, std::string* end) {
  end->assign(prefix.data(), prefix.size());
  while (!end->empty() && static_cast<uint8_t>(end->back()) == 0xff) {
    end->pop_back();
  }
  if (end->empty()) return false;
  end->back() = static_cast<char>(static_cast<uint8_t>(end->back()) + 1);
  return true;
}

class PrefixDropperImpl : public PrefixDropper {
 public:
  PrefixDropperImpl(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* cf,
                    rocksdb::ColumnFamilyHandle* meta,
                    std::shared_ptr<PrefixDropState> state)
      : db_(db),
        cf_(cf),
        meta_(meta),
        state_(std::move(state)),
        record_prefix_(kRecordPrefix + cf->GetName() + std::string(1, '\0')),
        removed_at_open_(state_->removed.load()) {}

  ~PrefixDropperImpl() override { state_->Unbind(); }

  // Reads the records of this column family.
  Status Load() {
    rocksdb::ReadOptions ro;
    std::string end;
    Successor(record_prefix_, &end);  // record_prefix_ ends in '\0'
    Slice upper(end);
    ro.iterate_upper_bound = &upper;
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, meta_));
    std::lock_guard<std::mutex> lock(mu_);
    for (it->Seek(record_prefix_); it->Valid(); it->Next()) {
      Slice k = it->key();
      k.remove_prefix(record_prefix_.size());
      prefixes_.insert(k.ToString());
    }
    Publish();
    return it->status();
  }

  Status DropPrefix(const rocksdb::WriteOptions& options,
                    const Slice& prefix) override {
    std::string end;
    if (prefix.empty() || !Successor(prefix, &end)) {
      return Status::InvalidArgument(
          "drift: DropPrefix needs a non-empty prefix with a byte below 0xff");
    }
    rocksdb::WriteBatch batch;
    Status s = batch.DeleteRange(cf_, prefix, end);
    if (s.ok()) s = batch.Put(meta_, record_prefix_ + prefix.ToString(), "");
    std::lock_guard<std::mutex> lock(mu_);
    if (s.ok()) s = db_->Write(options, &batch);
    if (s.ok()) {
      prefixes_.insert(prefix.ToString());
      Publish();
    }
    return s;
  }

  Status Forget(const rocksdb::WriteOptions& options,
                const Slice& prefix) override {
    std::lock_guard<std::mutex> lock(mu_);
    Status s = db_->Delete(options, meta_, record_prefix_ + prefix.ToString());
    if (s.ok()) {
      prefixes_.erase(prefix.ToString());
      Publish();
    }
    return s;
  }

  std::vector<std::string> DroppedPrefixes() const override {
    std::lock_guard<std::mutex> lock(mu_);
    return {prefixes_.begin(), prefixes_.end()};
  }

  uint64_t entries_removed() const override {
    return state_->removed.load() - removed_at_open_;
  }

 private:
  void Publish() {  // under mu_
    state_->SetPrefixes({prefixes_.begin(), prefixes_.end()});
  }

  rocksdb::DB* const db_;
  rocksdb::ColumnFamilyHandle* const cf_;
  rocksdb::ColumnFamilyHandle* const meta_;
  const std::shared_ptr<PrefixDropState> state_;
  const std::string record_prefix_;
  const uint64_t removed_at_open_;
  mutable std::mutex mu_;
  std::set<std::string> prefixes_;
};

}  // namespace

Status PrefixDropper::Open(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* cf,
                           rocksdb::ColumnFamilyHandle* metadata_cf,
                           std::unique_ptr<PrefixDropper>* dropper) {
  if (db == nullptr || cf == nullptr || dropper == nullptr) {
    return Status::InvalidArgument(
        "drift: PrefixDropper::Open needs a DB and a column family");
  }
  rocksdb::ColumnFamilyDescriptor desc;
  Status s = cf->GetDescriptor(&desc);
  if (!s.ok()) return s;
  auto* factory = dynamic_cast<DriftCompactionFilterFactory*>(
      desc.options.compaction_filter_factory.get());
  if (factory == nullptr) {
    return Status::InvalidArgument(
        "drift: column family " + cf->GetName() +
        " has no DriftCompactionFilterFactory (compaction_filter_factory)");
  }
  if (metadata_cf == nullptr) metadata_cf = db->DefaultColumnFamily();
  const std::shared_ptr<PrefixDropState>& state = factory->drops();
  s = state->Bind(db, cf);
  if (!s.ok()) return s;
  auto impl = std::make_unique<PrefixDropperImpl>(db, cf, metadata_cf, state);
  s = impl->Load();  // on failure the destructor unbinds
  if (s.ok()) *dropper = std::move(impl);
  return s;
}

}  // namespace drift
