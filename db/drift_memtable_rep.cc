#include "db/drift_memtable_rep.h"

#include <atomic>

#include "db/arena_worker.h"
#include "rocksdb/utilities/options_type.h"
#include "table/internal_key.h"
#include "table/metric_option.h"
#include "table/printable_options.h"
#include "util/vector_value.h"

namespace drift {
namespace {

using rocksdb::KeyHandle;
using rocksdb::MemTableRep;

// Allocate() and the following Insert*() of an entry run on the same thread;
// the entry's bytes are only reachable through the buffer Allocate() returned.
thread_local KeyHandle tl_allocated_handle = nullptr;
thread_local const char* tl_allocated_buf = nullptr;
thread_local ArenaCollector* tl_collector = nullptr;

void ReportArena(const std::shared_ptr<FreshVectorArena>& arena) {
  if (tl_collector != nullptr && arena != nullptr) {
    tl_collector->arenas().push_back(arena);
  }
}

// Forwards every call to the skiplist rep it owns. Allocate() must be
// forwarded: the skiplist's handle is its node, which InsertKey() links.
class DriftMemTableRep : public MemTableRep {
 public:
  DriftMemTableRep(MemTableRep* skiplist, rocksdb::Allocator* allocator,
                   const DriftMemTableOptions& options,
                   std::shared_ptr<DriftMemTableRepFactory::Shared> shared)
      : MemTableRep(allocator),
        rep_(skiplist),
        shared_(std::move(shared)),
        arena_(options.dimension > 0
                   ? std::make_shared<FreshVectorArena>(options)
                   : nullptr) {
    // The first append's new block wakes the prefaulter: a memtable that is
    // never written holds no reserve.
    if (arena_ != nullptr && arena_->wants_reserve()) {
      ArenaWorker::Prefaulter().Register(arena_);
    }
    if (arena_ != nullptr && arena_->graph()->wanted()) {
      ArenaWorker::GraphIndexer().Register(arena_);
    }
  }

  KeyHandle Allocate(const size_t len, char** buf) override {
    KeyHandle handle = rep_->Allocate(len, buf);
    tl_allocated_handle = handle;
    tl_allocated_buf = *buf;
    return handle;
  }
  void Insert(KeyHandle handle) override {
    rep_->Insert(handle);
    Observe(handle);
  }
  bool InsertKey(KeyHandle handle) override {
    return Observed(handle, rep_->InsertKey(handle));
  }
  void InsertWithHint(KeyHandle handle, void** hint) override {
    rep_->InsertWithHint(handle, hint);
    Observe(handle);
  }
  bool InsertKeyWithHint(KeyHandle handle, void** hint) override {
    return Observed(handle, rep_->InsertKeyWithHint(handle, hint));
  }
  void InsertWithHintConcurrently(KeyHandle handle, void** hint) override {
    rep_->InsertWithHintConcurrently(handle, hint);
    Observe(handle);
  }
  bool InsertKeyWithHintConcurrently(KeyHandle handle, void** hint) override {
    return Observed(handle, rep_->InsertKeyWithHintConcurrently(handle, hint));
  }
  void InsertConcurrently(KeyHandle handle) override {
    rep_->InsertConcurrently(handle);
    Observe(handle);
  }
  bool InsertKeyConcurrently(KeyHandle handle) override {
    return Observed(handle, rep_->InsertKeyConcurrently(handle));
  }
  bool Contains(const char* key) const override { return rep_->Contains(key); }
  void MarkReadOnly() override {
    if (arena_ != nullptr) {
      arena_->Seal();
      arena_->graph()->StopGrowing();
      shared_->Retire(arena_);
    }
    rep_->MarkReadOnly();
  }
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
    return rep_->ApproximateMemoryUsage() +
           (arena_ != nullptr ? arena_->MemoryUsage() : 0);
  }
  Iterator* GetIterator(rocksdb::Arena* arena) override {
    ReportArena(arena_);
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
  bool Observed(KeyHandle handle, bool inserted) {
    if (inserted) Observe(handle);
    return inserted;
  }

  // Appends the entry to the arena if it is a vector Put, records it if it is
  // a deletion.
  void Observe(KeyHandle handle) {
    shared_->entries_written.fetch_add(1, std::memory_order_relaxed);
    if (arena_ == nullptr || handle != tl_allocated_handle) return;
    rocksdb::Slice ikey, value;
    if (!DecodeMemTableEntry(tl_allocated_buf, &ikey, &value)) return;
    const EntryType type = TypeOf(ikey);
    if (IsDeletion(type)) {
      arena_->AppendDeletion(ikey);
      return;
    }
    if (type != EntryType::kValue) return;
    if (IsVectorValue(value, arena_->dim())) arena_->Append(ikey, value);
  }

  std::unique_ptr<MemTableRep> rep_;
  const std::shared_ptr<DriftMemTableRepFactory::Shared> shared_;
  const std::shared_ptr<FreshVectorArena> arena_;
};

const std::unordered_map<std::string, rocksdb::OptionTypeInfo>
    kMemTableOptionsTypeInfo = {
        {"dimension",
         {offsetof(DriftMemTableOptions, dimension),
          rocksdb::OptionType::kUInt32T,
          rocksdb::OptionVerificationType::kNormal,
          rocksdb::OptionTypeFlags::kNone}},
        {"graph_min_rows",
         {offsetof(DriftMemTableOptions, graph_min_rows),
          rocksdb::OptionType::kUInt32T,
          rocksdb::OptionVerificationType::kNormal,
          rocksdb::OptionTypeFlags::kNone}},
        {"hnsw_m",
         {offsetof(DriftMemTableOptions, hnsw_m), rocksdb::OptionType::kUInt32T,
          rocksdb::OptionVerificationType::kNormal,
          rocksdb::OptionTypeFlags::kNone}},
        {"hnsw_ef_construction",
         {offsetof(DriftMemTableOptions, hnsw_ef_construction),
          rocksdb::OptionType::kUInt32T,
          rocksdb::OptionVerificationType::kNormal,
          rocksdb::OptionTypeFlags::kNone}},
        {"hnsw_ef_search",
         {offsetof(DriftMemTableOptions, hnsw_ef_search),
          rocksdb::OptionType::kUInt32T,
          rocksdb::OptionVerificationType::kNormal,
          rocksdb::OptionTypeFlags::kNone}},
        {"metric",
         MetricOptionTypeInfo(offsetof(DriftMemTableOptions, metric))},
};

}  // namespace

std::string DriftMemTableRepFactory::GetPrintableOptions() const {
  return PrintableOptions(*this);
}

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
  return new DriftMemTableRep(skiplist, allocator, options_, shared_);
}

void DriftMemTableRepFactory::Shared::Retire(
    std::shared_ptr<const FreshVectorArena> arena) {
  std::lock_guard<std::mutex> lock(mu);
  if (!track_retired) return;
  if (retired.size() == kMaxRetiredArenas) {
    retired.pop_front();
    ++retired_dropped;
  }
  retired.push_back(std::move(arena));
}

void DriftMemTableRepFactory::TrackRetiredArenas(bool on) {
  std::lock_guard<std::mutex> lock(shared_->mu);
  shared_->track_retired = on;
  if (!on) shared_->retired.clear();
}

std::vector<std::shared_ptr<const FreshVectorArena>>
DriftMemTableRepFactory::TakeRetiredArenas(uint64_t* dropped) {
  std::lock_guard<std::mutex> lock(shared_->mu);
  std::vector<std::shared_ptr<const FreshVectorArena>> out(
      shared_->retired.begin(), shared_->retired.end());
  shared_->retired.clear();
  if (dropped != nullptr) *dropped = shared_->retired_dropped;
  shared_->retired_dropped = 0;
  return out;
}

ArenaCollector::ArenaCollector() : previous_(tl_collector) {
  tl_collector = this;
}

ArenaCollector::~ArenaCollector() { tl_collector = previous_; }

}  // namespace drift
