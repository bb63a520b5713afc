// PinnedView: a consistent view of one column family (its SuperVersion): the
// fresh-vector arenas of its memtables and the Drift readers of its segments.
// While the view lives, flushes and compactions cannot free what it points to.
#pragma once

#include <memory>
#include <vector>

#include "db/fresh_vector_arena.h"
#include "rocksdb/db.h"

namespace drift {

class DriftTableReader;

class PinnedView {
 public:
  PinnedView();
  ~PinnedView();
  PinnedView(const PinnedView&) = delete;
  PinnedView& operator=(const PinnedView&) = delete;

  // Pins the current SuperVersion of `cf`. Segments whose table is not a
  // DriftTable are reported as NotSupported.
  rocksdb::Status Pin(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* cf);

  const std::vector<std::shared_ptr<const FreshVectorArena>>& arenas() const {
    return arenas_;
  }
  const std::vector<const DriftTableReader*>& segments() const {
    return segments_;
  }

 private:
  void Release();

  struct State;
  std::unique_ptr<State> state_;
  std::vector<std::shared_ptr<const FreshVectorArena>> arenas_;
  std::vector<const DriftTableReader*> segments_;
};

}  // namespace drift
