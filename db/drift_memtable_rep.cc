#include "db/drift_memtable_rep.h"

#include <atomic>

#include "rocksdb/utilities/options_type.h"

namespace drift {
namespace {

using rocksdb::KeyHandle;
using rocksdb::MemTableRep;

// Forwards every call to the skiplist rep it owns. Allocate() must be
// forwarded: the skiplist's handle is its node, which InsertKey() links.
class DriftMemTableRep : public MemTableRep {
 public:
  DriftMemTableRep(MemTableRep* skiplist, rocksdb::Allocator* allocator)
      : MemTableRep(allocator), rep_(skiplist) {}

  KeyHandle Allocate(const size_t len, char** buf) override {
    return rep_->Allocate(len, buf);
  }
  void Insert(KeyHandle handle) override { rep_->Insert(handle); }
  bool InsertKey(KeyHandle handle) override { return rep_->InsertKey(handle); }
  void InsertWithHint(KeyHandle handle, void** hint) override {
    rep_->InsertWithHint(handle, hint);
  }
  bool InsertKeyWithHint(KeyHandle handle, void** hint) override {
    return rep_->InsertKeyWithHint(handle, hint);
  }
  void InsertWithHintConcurrently(KeyHandle handle, void** hint) override {
    rep_->InsertWithHintConcurrently(handle, hint);
  }
  bool InsertKeyWithHintConcurrently(KeyHandle handle, void** hint) override {
    return rep_->InsertKeyWithHintConcurrently(handle, hint);
  }
  void InsertConcurrently(KeyHandle handle) override {
    rep_->InsertConcurrently(handle);
  }
  bool InsertKeyConcurrently(KeyHandle handle) override {
    return rep_->InsertKeyConcurrently(handle);
  }
  bool Contains(const char* key) const override { return rep_->Contains(key); }
  void MarkReadOnly() override { rep_->MarkReadOnly(); }
  void MarkFlushed() override { rep_->MarkFlushed(); }
  void Get(const rocksdb::LookupKey& k, void* callback_args,
           bool (*callback_func)(void* arg, const char* entry)) override {
    rep_->Get(k, callback_args, callback_func);
  }
  uint64_t ApproximateNumEntries(const rocksdb::Slice& start_ikey,
                                 const rocksdb::Slice& end_ikey) override {
    return rep_->ApproximateNumEntries(start_ikey, end_ikey);
  }
  void UniqueRandomSample(const uint64_t num_entries,
                          const uint64_t target_sample_size,
                          std::unordered_set<const char*>* entries) override {
    rep_->UniqueRandomSample(num_entries, target_sample_size, entries);
  }
  size_t ApproximateMemoryUsage() override {
    return rep_->ApproximateMemoryUsage();
  }
  Iterator* GetIterator(rocksdb::Arena* arena) override {
    return rep_->GetIterator(arena);
  }
  Iterator* GetDynamicPrefixIterator(rocksdb::Arena* arena) override {
    return rep_->GetDynamicPrefixIterator(arena);
  }
  bool IsMergeOperatorSupported() const override {
    return rep_->IsMergeOperatorSupported();
  }
  bool IsSnapshotSupported() const override {
    return rep_->IsSnapshotSupported();
  }

 private:
  std::unique_ptr<MemTableRep> rep_;
};

const std::unordered_map<std::string, rocksdb::OptionTypeInfo>
    kMemTableOptionsTypeInfo = {
        {"dimension",
         {offsetof(DriftMemTableOptions, dimension),
          rocksdb::OptionType::kUInt32T,
          rocksdb::OptionVerificationType::kNormal,
          rocksdb::OptionTypeFlags::kNone}},
};

}  // namespace

DriftMemTableRepFactory::DriftMemTableRepFactory(
    const DriftMemTableOptions& options)
    : options_(options) {
  RegisterOptions(DriftMemTableOptions::kName(), &options_,
                  &kMemTableOptionsTypeInfo);
}

MemTableRep* DriftMemTableRepFactory::CreateMemTableRep(
    const MemTableRep::KeyComparator& compare, rocksdb::Allocator* allocator,
    const rocksdb::SliceTransform* transform, rocksdb::Logger* logger) {
  MemTableRep* skiplist =
      skiplist_.CreateMemTableRep(compare, allocator, transform, logger);
  return new DriftMemTableRep(skiplist, allocator);
}

}  // namespace drift
