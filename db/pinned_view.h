// PinnedView: a consistent view of one column family (its SuperVersion): the
// fresh-vector arenas of its memtables and the Drift readers of its segments.
// While the view lives, flushes and compactions cannot free what it points to.
#pragma once

#include <memory>
#include <vector>

#include "db/fresh_vector_arena.h"
#include "rocksdb/db.h"

namespace drift {

class VectorSectionReader;

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
  const std::vector<const VectorSectionReader*>& segments() const {
    return segments_;
  }
  // The largest sequence number of each segment's entries (its file's
  // metadata), in the order of segments().
  const std::vector<rocksdb::SequenceNumber>& largest_sequences() const {
    return largest_sequences_;
  }
  // True if every user key has at most one entry in the whole view: the
  // memtables are empty, every segment is single_version() and no two
  // segments can share a key (one segment, or all in one level >= 1). A
  // segment's bucket entry is then the key's only version, visible iff its
  // sequence number is at or below the read snapshot's.
  bool unique_keys() const { return unique_keys_; }

 private:
  void Release();

  struct State;
  std::unique_ptr<State> state_;
  std::vector<std::shared_ptr<const FreshVectorArena>> arenas_;
  std::vector<const VectorSectionReader*> segments_;
  std::vector<rocksdb::SequenceNumber> largest_sequences_;
  bool unique_keys_ = false;
};

}  // namespace drift
