// DriftTableIterator: RocksDB's internal iterator over one segment. It walks
// the key index (KeyIndexIterator, across partitions) and resolves each
// entry's ValueRef lazily, on value().
#pragma once

#include "table/drift_table_reader.h"

namespace drift {

class DriftTableIterator : public rocksdb::InternalIterator {
 public:
  // `fill_cache`: see KeyIndexIterator.
  DriftTableIterator(const DriftTableReader* reader, bool fill_cache);
  ~DriftTableIterator() override;

  // Invalid as well when the current entry's value could not be read: status()
  // then tells why.
  bool Valid() const override { return index_.Valid() && value_status_.ok(); }
  void SeekToFirst() override {
    Reposition([&] { index_.SeekToFirst(); });
  }
  void SeekToLast() override {
    Reposition([&] { index_.SeekToLast(); });
  }
  void Seek(const rocksdb::Slice& target) override {
    Reposition([&] { index_.Seek(target); });
  }
  void SeekForPrev(const rocksdb::Slice& target) override {
    Reposition([&] { index_.SeekForPrev(target); });
  }
  void Next() override {
    Reposition([&] { index_.Next(); });
  }
  void Prev() override {
    Reposition([&] { index_.Prev(); });
  }
  rocksdb::Slice key() const override { return index_.key(); }
  rocksdb::Slice value() const override;
  rocksdb::Status status() const override;

  void SetPinnedItersMgr(rocksdb::PinnedIteratorsManager* mgr) override {
    pinned_iters_mgr_ = mgr;
    index_.SetPinnedItersMgr(mgr);
  }
  bool IsKeyPinned() const override;
  // Inline values live in the key index (the reader's, or a partition pinned
  // while positioned on it or by the manager); an out-of-line value buffer
  // is owned by the iterator while positioned on it and by the pinned-iterators
  // manager after a move (needed by reverse iteration).
  bool IsValuePinned() const override;

 private:
  template <typename Move>
  void Reposition(Move move) {
    ReleaseValueBuffer();
    move();
    value_loaded_ = false;
    value_status_ = rocksdb::Status::OK();
    if (index_.Valid()) LoadValue();
  }
  void LoadValue() const;
  // Called before moving: the current out-of-line value buffer goes to the
  // pinned-iterators manager when pinning is on, else it is freed.
  void ReleaseValueBuffer();
  bool PinningEnabled() const;

  const DriftTableReader* const reader_;
  KeyIndexIterator index_;
  mutable bool value_loaded_ = false;
  mutable bool value_in_reader_ = false;
  mutable rocksdb::Slice value_;
  mutable BlockBuffer value_buf_;
  mutable rocksdb::Status value_status_;
  rocksdb::PinnedIteratorsManager* pinned_iters_mgr_ = nullptr;
};

}  // namespace drift
