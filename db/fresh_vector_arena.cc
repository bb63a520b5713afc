#include "db/fresh_vector_arena.h"

#include <algorithm>
#include <cstring>

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
      graph_(this, options) {}

bool FreshVectorArena::Append(const rocksdb::Slice& internal_key,
                              const rocksdb::Slice& value) {
  std::lock_guard<std::mutex> lock(mu_);
  const size_t row = size_.load(std::memory_order_relaxed);
  const size_t rows_per_block = size_t{1} << block_shift_;
  if (row % rows_per_block == 0) {
    auto block = std::make_unique<Block>();
    block->vectors.reset(new float[rows_per_block * dim_]);
    block->keys.reserve(rows_per_block);
    blocks_.push_back(std::move(block));
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
    GraphIndexer::Get().Notify();
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
