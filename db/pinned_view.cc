// The one translation unit that includes DBImpl's headers (slow to compile).
#include "db/pinned_view.h"

#include "db/column_family.h"
#include "db/db_impl/db_impl.h"
#include "db/drift_memtable_rep.h"
#include "db/job_context.h"
#include "db/memtable_list.h"
#include "db/table_cache.h"
#include "db/version_set.h"
#include "table/drift_table_reader.h"

namespace drift {

using rocksdb::Status;

struct PinnedView::State {
  rocksdb::DBImpl* db = nullptr;
  rocksdb::ColumnFamilyData* cfd = nullptr;
  rocksdb::SuperVersion* sv = nullptr;
  std::vector<rocksdb::Cache::Handle*> table_handles;
};

namespace {

// DBImpl::CleanupSuperVersion frees the SuperVersion but leaves the table
// files only its Version referenced on disk until some later flush or
// compaction looks for obsolete files (none runs while background work is
// paused, or on an idle DB). So the last release purges them here, as
// RocksDB's own iterators do on cleanup (db_impl.cc's
// CleanupSuperVersionHandle).
void ReleaseSuperVersion(rocksdb::DBImpl* db, rocksdb::SuperVersion* sv) {
  if (!sv->Unref()) return;
  const bool background_purge =
      db->immutable_db_options().avoid_unnecessary_blocking_io;
  rocksdb::JobContext job_context(/*job_id=*/0);
  {
    rocksdb::InstrumentedMutexLock lock(db->mutex());
    sv->Cleanup();
    db->FindObsoleteFiles(&job_context, /*force=*/false,
                          /*no_full_scan=*/true);
    if (background_purge) {
      db->ScheduleBgLogWriterClose(&job_context);
      db->AddSuperVersionsToFreeQueue(sv);
      db->SchedulePurge();
    }
  }
  if (!background_purge) delete sv;
  if (job_context.HaveSomethingToDelete()) {
    db->PurgeObsoleteFiles(job_context, background_purge);
  }
  job_context.Clean();
}

}  // namespace

PinnedView::PinnedView() = default;
PinnedView::~PinnedView() { Release(); }

void PinnedView::Release() {
  if (state_ == nullptr) return;
  for (auto* h : state_->table_handles)
    state_->cfd->table_cache()->ReleaseHandle(h);
  if (state_->sv != nullptr) ReleaseSuperVersion(state_->db, state_->sv);
  state_.reset();
  arenas_.clear();
  segments_.clear();
  largest_sequences_.clear();
  unique_keys_ = false;
}

Status PinnedView::Pin(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* cf) {
  Release();
  auto* impl = static_cast<rocksdb::DBImpl*>(db->GetRootDB());
  auto* cfh = static_cast<rocksdb::ColumnFamilyHandleImpl*>(cf);
  state_.reset(new State);
  state_->db = impl;
  state_->cfd = cfh->cfd();
  // Not the thread-local SuperVersion: the search reads through the DB (which
  // uses the thread-local one) while it holds this.
  state_->sv = state_->cfd->GetReferencedSuperVersion(impl);
  rocksdb::SuperVersion* sv = state_->sv;

  {
    // Creating the memtables' iterators makes each Drift rep report its arena.
    ArenaCollector collector;
    rocksdb::Arena arena;
    std::vector<rocksdb::InternalIterator*> iters;
    iters.push_back(sv->mem->NewIterator(rocksdb::ReadOptions(), &arena));
    sv->imm->AddIterators(rocksdb::ReadOptions(), &iters, &arena);
    for (rocksdb::InternalIterator* it : iters)
      it->~InternalIteratorBase<rocksdb::Slice>();
    arenas_ = std::move(collector.arenas());
  }

  rocksdb::VersionStorageInfo* vstorage = sv->current->storage_info();
  const bool memtables_empty =
      sv->mem->num_entries() == 0 && sv->mem->num_deletes() == 0 &&
      sv->imm->GetTotalNumEntries() == 0 && sv->imm->GetTotalNumDeletes() == 0;
  int levels_with_files = 0;
  bool l0_overlap = vstorage->NumLevelFiles(0) > 1;
  for (int level = 0; level < vstorage->num_levels(); ++level) {
    levels_with_files += vstorage->NumLevelFiles(level) > 0;
  }
  unique_keys_ = memtables_empty && levels_with_files <= 1 && !l0_overlap;
  for (int level = 0; level < vstorage->num_levels(); ++level) {
    for (rocksdb::FileMetaData* f : vstorage->LevelFiles(level)) {
      rocksdb::TableReader* reader = f->fd.table_reader;
      if (reader == nullptr) {
        rocksdb::Cache::Handle* handle = nullptr;
        Status s = state_->cfd->table_cache()->FindTable(
            rocksdb::ReadOptions(), *state_->cfd->soptions(),
            state_->cfd->internal_comparator(), *f, &handle,
            sv->mutable_cf_options.prefix_extractor);
        if (!s.ok()) return s;
        state_->table_handles.push_back(handle);
        reader = state_->cfd->table_cache()->GetTableReaderFromHandle(handle);
      }
      const auto* drift = dynamic_cast<const DriftTableReader*>(reader);
      if (drift == nullptr) {
        return Status::NotSupported(
            "drift: column family has a segment that is not a DriftTable "
            "(file " +
            std::to_string(f->fd.GetNumber()) + ")");
      }
      segments_.push_back(&drift->section());
      largest_sequences_.push_back(f->fd.largest_seqno);
      unique_keys_ = unique_keys_ && drift->section().single_version();
    }
  }
  return Status::OK();
}

}  // namespace drift
