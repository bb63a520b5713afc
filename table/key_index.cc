#include "table/key_index.h"

#include "db/pinned_iterators_manager.h"

namespace drift {

using rocksdb::Slice;
using rocksdb::Status;

namespace {

Status DecodePartitionHandle(Slice value, BlockExtent* extent) {
  rocksdb::BlockHandle handle;
  Status s = handle.DecodeFrom(&value);
  if (!s.ok() || !value.empty()) {
    return Status::Corruption("drift: malformed key index partition handle");
  }
  *extent = BlockExtent(handle.offset(), handle.size());
  return Status::OK();
}

}  // namespace

Status CheckKeyIndexBlock(const Slice& block) {
  auto corrupt = [] {
    return Status::Corruption("drift: malformed key index block");
  };
  if (block.size() < 2 * sizeof(uint32_t)) return corrupt();
  const char* data = block.data();
  const uint32_t num_restarts =
      rocksdb::DecodeFixed32(data + block.size() - sizeof(uint32_t));
  // No hash index (top bit), at least one restart, the array in the block.
  if (num_restarts == 0 || num_restarts >= (1u << 31) ||
      (uint64_t{num_restarts} + 1) * sizeof(uint32_t) > block.size()) {
    return corrupt();
  }
  const char* const limit =
      data + block.size() - (num_restarts + 1) * sizeof(uint32_t);
  const char* p = data;
  uint32_t restart = 0;  // the next restart point to meet
  uint64_t key_size = 0;
  while (p < limit) {
    const uint32_t offset = static_cast<uint32_t>(p - data);
    const bool at_restart =
        restart < num_restarts &&
        rocksdb::DecodeFixed32(limit + restart * sizeof(uint32_t)) == offset;
    uint32_t shared = 0, non_shared = 0, value_size = 0;
    if (limit - p < 3 ||
        (p = rocksdb::GetVarint32Ptr(p, limit, &shared)) == nullptr ||
        (p = rocksdb::GetVarint32Ptr(p, limit, &non_shared)) == nullptr ||
        (p = rocksdb::GetVarint32Ptr(p, limit, &value_size)) == nullptr ||
        shared > key_size || (at_restart && shared != 0) ||
        uint64_t{non_shared} + value_size > static_cast<uint64_t>(limit - p)) {
      return corrupt();
    }
    key_size = uint64_t{shared} + non_shared;
    // Internal keys: user key + 8 bytes of sequence and type.
    if (key_size < 8) return corrupt();
    p += non_shared + value_size;
    if (at_restart) ++restart;
  }
  // Every restart point is the offset of an entry, in order (an empty block
  // has the single restart point 0).
  if (restart != num_restarts && !(limit == data && num_restarts == 1 &&
                                   rocksdb::DecodeFixed32(limit) == 0)) {
    return corrupt();
  }
  return Status::OK();
}

Status KeyIndex::Open(BlockBuffer&& block, bool partitioned, uint64_t file_size,
                      const std::string& file_name) {
  buf_ = std::move(block);
  partitioned_ = partitioned;
  Status s = CheckKeyIndexBlock(buf_.data);
  if (!s.ok()) return Status::Corruption(s.getState(), file_name);
  block_.reset(new rocksdb::Block(rocksdb::BlockContents(buf_.data)));
  if (!partitioned_) return Status::OK();
  // The top level is small: check every handle once, so that a read of a
  // partition never starts outside the file.
  std::unique_ptr<rocksdb::DataBlockIter> it(block_->NewDataIterator(
      rocksdb::BytewiseComparator(), rocksdb::kDisableGlobalSequenceNumber,
      nullptr, nullptr, /*block_contents_pinned=*/true));
  num_partitions_ = 0;
  for (it->SeekToFirst(); it->Valid(); it->Next(), ++num_partitions_) {
    BlockExtent extent;
    Status s = DecodePartitionHandle(it->value(), &extent);
    if (s.ok() &&
        (extent.offset() > file_size ||
         extent.size() + kBlockTrailerSize > file_size - extent.offset())) {
      s = Status::Corruption("drift: key index partition lies past the end");
    }
    if (!s.ok()) return Status::Corruption(s.getState(), file_name);
  }
  return it->status();  // no partition: a segment without point entries
}

KeyIndexIterator::KeyIndexIterator(const KeyIndex* index,
                                   const rocksdb::Comparator* ucmp,
                                   const VectorSectionReader* section,
                                   bool fill_cache)
    : index_(index), ucmp_(ucmp), section_(section), fill_cache_(fill_cache) {
  if (index_->partitioned_) {
    index_->block_->NewDataIterator(
        ucmp_, rocksdb::kDisableGlobalSequenceNumber, &top_, nullptr, true);
  } else {
    data_.emplace();
    index_->block_->NewDataIterator(
        ucmp_, rocksdb::kDisableGlobalSequenceNumber, &*data_, nullptr, true);
  }
}

KeyIndexIterator::~KeyIndexIterator() { ReleasePartition(); }

void KeyIndexIterator::ReleasePartition() {
  data_.reset();
  block_.reset();
  loaded_offset_ = ~uint64_t{0};
  if (partition_ == &own_) {
    own_.Reset();
  } else if (partition_ != nullptr && pinned_iters_mgr_ != nullptr &&
             pinned_iters_mgr_->PinningEnabled()) {
    pinned_iters_mgr_->PinPtr(partition_, [](void* p) {
      delete static_cast<VectorSectionReader::BlobRef*>(p);
    });
  } else {
    delete partition_;
  }
  partition_ = nullptr;
}

bool KeyIndexIterator::LoadPartition() {
  if (!top_.Valid()) {
    ReleasePartition();
    return false;
  }
  BlockExtent extent;
  Status s = DecodePartitionHandle(top_.value(), &extent);
  if (s.ok() && extent.offset() == loaded_offset_) return true;
  ReleasePartition();
  if (s.ok()) {
    partition_ =
        pinned_iters_mgr_ == nullptr ? &own_ : new VectorSectionReader::BlobRef;
    s = section_->GetKeyIndexPartition(extent, fill_cache_, partition_);
  }
  if (!s.ok()) {
    status_ = s;
    return false;
  }
  // Checked by CheckKeyIndexBlock when it was read.
  block_.emplace(rocksdb::BlockContents(partition_->data()));
  data_.emplace();
  block_->NewDataIterator(ucmp_, rocksdb::kDisableGlobalSequenceNumber, &*data_,
                          nullptr, /*block_contents_pinned=*/true);
  loaded_offset_ = extent.offset();
  return true;
}

// A partition that ends (or, with a bad block, fails) moves to the next one;
// the builder writes no empty partition, but a corrupt one is only skipped
// if its iterator reports no error.
void KeyIndexIterator::SkipEmptyForward() {
  while (data_.has_value() && !data_->Valid() && data_->status().ok() &&
         index_->partitioned_) {
    top_.Next();
    if (!LoadPartition()) return;
    data_->SeekToFirst();
  }
}

void KeyIndexIterator::SkipEmptyBackward() {
  while (data_.has_value() && !data_->Valid() && data_->status().ok() &&
         index_->partitioned_) {
    top_.Prev();
    if (!LoadPartition()) return;
    data_->SeekToLast();
  }
}

void KeyIndexIterator::SeekToFirst() {
  status_ = Status::OK();
  if (index_->partitioned_) {
    top_.SeekToFirst();
    if (!LoadPartition()) return;
  }
  data_->SeekToFirst();
  SkipEmptyForward();
}

void KeyIndexIterator::SeekToLast() {
  status_ = Status::OK();
  if (index_->partitioned_) {
    top_.SeekToLast();
    if (!LoadPartition()) return;
  }
  data_->SeekToLast();
  SkipEmptyBackward();
}

void KeyIndexIterator::Seek(const Slice& target) {
  status_ = Status::OK();
  if (index_->partitioned_) {
    top_.Seek(target);  // the first partition whose last key >= target
    if (!LoadPartition()) return;
  }
  data_->Seek(target);
  SkipEmptyForward();
}

void KeyIndexIterator::SeekForPrev(const Slice& target) {
  status_ = Status::OK();
  if (index_->partitioned_) {
    top_.Seek(target);
    if (!top_.Valid() && top_.status().ok()) top_.SeekToLast();
    if (!LoadPartition()) return;
  }
  data_->SeekForPrev(target);
  SkipEmptyBackward();
}

void KeyIndexIterator::Next() {
  data_->Next();
  SkipEmptyForward();
}

void KeyIndexIterator::Prev() {
  data_->Prev();
  SkipEmptyBackward();
}

Status KeyIndexIterator::status() const {
  if (!status_.ok()) return status_;
  if (index_->partitioned_ && !top_.status().ok()) return top_.status();
  if (data_.has_value()) return data_->status();
  return Status::OK();
}

Slice KeyIndexIterator::partition_bound() const {
  return index_->partitioned_ && top_.Valid() ? top_.key() : Slice();
}

bool KeyIndexIterator::IsPinned() const {
  // A partition in own_ (loaded before a manager was set) is never pinned.
  return !index_->partitioned_ ||
         (partition_ != &own_ && pinned_iters_mgr_ != nullptr &&
          pinned_iters_mgr_->PinningEnabled());
}

}  // namespace drift
