#include "db/fresh_vector_arena.h"

#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "db/arena_worker.h"
#include "util/vector_value.h"

namespace drift {

uint32_t FreshVectorArena::BlockShift(uint32_t dim) {
  const size_t row_bytes = std::max<size_t>(1, dim) * sizeof(float);
  uint32_t shift = 0;
  while ((size_t{1} << (shift + 1)) <= kMaxRowsPerBlock &&
         (size_t{2} << shift) * row_bytes <= kTargetBlockBytes) {
    ++shift;
  }
  while ((size_t{1} << shift) < kMinRowsPerBlock) ++shift;
  return shift;
}

FreshVectorArena::FreshVectorArena(const DriftMemTableOptions& options)
    : dim_(options.dimension),
      block_shift_(BlockShift(options.dimension)),
      reserve_target_(kReserveBytes / (rows_per_block() * RowBytes(dim_))),
      graph_(this, options) {}

std::unique_ptr<FreshVectorArena::Block> FreshVectorArena::NewBlock() const {
  auto block = std::make_unique<Block>();
  block->vectors.reset(new float[rows_per_block() * dim_]);
  block->keys.reserve(rows_per_block());
  return block;
}

size_t FreshVectorArena::RefillReserve() {
  size_t wanted;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (sealed_ || reserve_.size() >= reserve_target_) return 0;
    wanted = reserve_target_ - reserve_.size();
  }
  static const size_t page = std::max<long>(sysconf(_SC_PAGESIZE), 64);
  std::vector<std::unique_ptr<Block>> ready;
  for (size_t i = 0; i < wanted; ++i) {
    ready.push_back(NewBlock());
    // A write per page faults it in (the last byte too: the block need not
    // start on a page); the rows overwrite it later.
    volatile char* bytes = reinterpret_cast<char*>(ready.back()->vectors.get());
    const size_t size = rows_per_block() * dim_ * sizeof(float);
    for (size_t off = 0; off < size; off += page) bytes[off] = 0;
    bytes[size - 1] = 0;
  }
  std::lock_guard<std::mutex> lock(mu_);
  if (sealed_) return 0;  // freed with `ready`
  const size_t added =
      std::min(ready.size(), reserve_target_ - reserve_.size());
  for (size_t i = 0; i < added; ++i) reserve_.push_back(std::move(ready[i]));
  return added;
}

void FreshVectorArena::Seal() {
  std::vector<std::unique_ptr<Block>> freed;
  std::lock_guard<std::mutex> lock(mu_);
  sealed_ = true;
  freed.swap(reserve_);
}

size_t FreshVectorArena::reserve_blocks() const {
  std::lock_guard<std::mutex> lock(mu_);
  return reserve_.size();
}

bool FreshVectorArena::Append(const rocksdb::Slice& internal_key,
                              const rocksdb::Slice& value) {
  std::lock_guard<std::mutex> lock(mu_);
  const size_t row = size_.load(std::memory_order_relaxed);
  const size_t rows_per_block = size_t{1} << block_shift_;
  if (row % rows_per_block == 0) {
    if (reserve_.empty()) {
      blocks_.push_back(NewBlock());
    } else {
      blocks_.push_back(std::move(reserve_.back()));
      reserve_.pop_back();
    }
    if (reserve_target_ > 0 && !sealed_) ArenaWorker::Prefaulter().Notify();
  }
  Block* block = blocks_.back().get();
  float* slot = block->vectors.get() + (row % rows_per_block) * dim_;
  std::memcpy(slot, value.data(), size_t{dim_} * sizeof(float));
  // Unpublished until size_ moves: a rejected row is overwritten by the next.
  if (!CheckFinite(slot, dim_).ok()) return false;
  // keys was reserved: emplace_back never reallocates, so readers holding the
  // block's vector see stable strings for rows below the published size.
  block->keys.emplace_back(internal_key.data(), internal_key.size());
  key_bytes_ += internal_key.size();
  if (row == 0) {
    first_append_micros_.store(NowMicros(), std::memory_order_relaxed);
  }
  size_.store(row + 1, std::memory_order_release);
  // Wake the graph indexer once per block of new rows.
  if ((row + 1) % rows_per_block == 0 && graph_.wanted()) {
    ArenaWorker::GraphIndexer().Notify();
  }
  return true;
}

void FreshVectorArena::AppendDeletion(const rocksdb::Slice& internal_key) {
  std::lock_guard<std::mutex> lock(mu_);
  deletions_.emplace_back(internal_key.data(), internal_key.size());
  key_bytes_ += internal_key.size() + sizeof(std::string);
  num_deletions_.store(deletions_.size(), std::memory_order_release);
}

std::vector<std::string> FreshVectorArena::DeletionsFrom(size_t from) const {
  std::lock_guard<std::mutex> lock(mu_);
  if (from >= deletions_.size()) return {};
  return std::vector<std::string>(deletions_.begin() + from, deletions_.end());
}

FreshVectorArena::View FreshVectorArena::Snapshot() const {
  View view;
  view.dim = dim_;
  view.block_shift = block_shift_;
  std::lock_guard<std::mutex> lock(mu_);
  view.size = size_.load(std::memory_order_acquire);
  for (const auto& b : blocks_) {
    view.vector_blocks.push_back(b->vectors.get());
    view.key_blocks.push_back(&b->keys);
  }
  return view;
}

size_t FreshVectorArena::MemoryUsage() const {
  std::lock_guard<std::mutex> lock(mu_);
  return blocks_.size() * rows_per_block() *
             (dim_ * sizeof(float) + sizeof(std::string)) +
         key_bytes_;
}

}  // namespace drift
