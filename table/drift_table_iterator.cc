#include "table/drift_table_iterator.h"

#include <cassert>

#include "db/pinned_iterators_manager.h"

namespace drift {

using rocksdb::Slice;
using rocksdb::Status;

DriftTableIterator::DriftTableIterator(const DriftTableReader* reader,
                                       bool fill_cache)
    : reader_(reader),
      index_(&reader->key_index(), reader->user_comparator(),
             &reader->section(), fill_cache) {}

DriftTableIterator::~DriftTableIterator() = default;

bool DriftTableIterator::PinningEnabled() const {
  return pinned_iters_mgr_ != nullptr && pinned_iters_mgr_->PinningEnabled();
}

void DriftTableIterator::LoadValue() const {
  if (value_loaded_) return;
  value_loaded_ = true;
  value_ = Slice();
  ValueRef ref;
  value_status_ = DecodeValueRef(index_.value(), &ref);
  if (!value_status_.ok()) return;
  value_in_reader_ = ref.kind == ValueKind::kInline;
  value_status_ = reader_->section().ReadValue(ref, &value_buf_, &value_);
}

void DriftTableIterator::ReleaseValueBuffer() {
  if (value_buf_.buf == nullptr) return;
  if (PinningEnabled()) {
    // A value handed out while pinning stays valid until the manager releases
    // it.
    // Values are read into new[] memory (size class 0), never huge pages.
    assert(value_buf_.buf.get_deleter().size_class == 0);
    pinned_iters_mgr_->PinPtr(value_buf_.buf.release(),
                              [](void* p) { delete[] static_cast<char*>(p); });
  } else {
    value_buf_.buf.reset();
  }
}

Slice DriftTableIterator::value() const {
  LoadValue();
  return value_;
}

bool DriftTableIterator::IsKeyPinned() const { return index_.IsKeyPinned(); }

bool DriftTableIterator::IsValuePinned() const {
  LoadValue();
  return (value_in_reader_ && index_.IsPinned()) || PinningEnabled();
}

Status DriftTableIterator::status() const {
  Status s = index_.status();
  if (!s.ok()) return s;
  if (value_loaded_ && !value_status_.ok()) return value_status_;
  return Status::OK();
}

}  // namespace drift
