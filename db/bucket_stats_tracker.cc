#include "db/bucket_stats_tracker.h"

#include <algorithm>
#include <cmath>
#include <unordered_set>

#include "index/metric_distance.h"
#include "table/vector_section_reader.h"

namespace drift {

using rocksdb::Status;

namespace {
// Arena rows assigned to the codebook per Codebook::Assign call.
constexpr size_t kAssignBatch = 256;
}  // namespace

BucketStatsTracker::ArenaState* BucketStatsTracker::StateOf(
    const std::shared_ptr<const FreshVectorArena>& arena) {
  for (ArenaState& s : arenas_) {
    if (s.key == arena.get() && s.arena.lock() == arena) return &s;
  }
  arenas_.emplace_back();
  arenas_.back().arena = arena;
  arenas_.back().key = arena.get();
  return &arenas_.back();
}

Status BucketStatsTracker::ResolveKey(
    const PinnedView& view, const rocksdb::Slice& internal_key,
    const std::unordered_set<std::string>* older) {
  ++keys_resolved_;
  std::vector<VectorSectionReader::RowRef> found;
  std::vector<float>& row = row_;
  row.resize(dim_);
  for (const VectorSectionReader* segment : view.segments()) {
    if (segment->directory().dim != dim_) continue;
    if (older != nullptr && older->count(segment->file_name()) == 0) continue;
    found.clear();
    Status s = segment->FindHiddenVectors(internal_key, &found);
    if (!s.ok()) return s;
    if (found.empty()) continue;
    SegmentTombs& tombs = tombs_[segment->file_name()];
    for (const VectorSectionReader::RowRef& r : found) {
      const uint64_t id = (uint64_t{r.bucket} << 32) | r.row;
      if (!tombs.rows.insert(id).second) continue;  // hidden twice
      s = segment->ReadRow(r.bucket, r.row, row.data());
      if (!s.ok()) return s;
      ToIndexSpace(metric_, row.data(), dim_, row.data());
      tombs.buckets[r.bucket].Add(row.data(), dim_);
    }
  }
  return Status::OK();
}

Status BucketStatsTracker::Resolve(
    const PinnedView& view, const FreshVectorArena& arena, ArenaState* state,
    const std::unordered_set<std::string>* older) {
  const FreshVectorArena::View rows = arena.Snapshot();
  for (; state->rows_resolved < rows.size; ++state->rows_resolved) {
    Status s = ResolveKey(view, rows.key(state->rows_resolved), older);
    if (!s.ok()) return s;
  }
  for (const std::string& key :
       arena.DeletionsFrom(state->deletions_resolved)) {
    Status s = ResolveKey(view, key, older);
    if (!s.ok()) return s;
    ++state->deletions_resolved;
  }
  return Status::OK();
}

void BucketStatsTracker::Assign(const FreshVectorArena& arena,
                                const Codebook& codebook, ArenaState* state) {
  if (state->epoch != codebook.epoch) {
    state->epoch = codebook.epoch;
    state->rows_assigned = 0;
    state->slots.clear();
  }
  state->slots.resize(codebook.size());
  const FreshVectorArena::View rows = arena.Snapshot();
  std::vector<float> batch;
  std::vector<uint32_t> slot(kAssignBatch);
  while (state->rows_assigned < rows.size) {
    const size_t first = state->rows_assigned;
    const size_t n = std::min(kAssignBatch, rows.size - first);
    batch.resize(n * dim_);
    for (size_t i = 0; i < n; ++i) {
      ToIndexSpace(metric_, rows.vector(first + i), dim_,
                   batch.data() + i * dim_);
    }
    codebook.Assign(batch.data(), n, slot.data());
    for (size_t i = 0; i < n; ++i) {
      state->slots[slot[i]].Add(batch.data() + i * dim_, dim_);
    }
    state->rows_assigned += n;
  }
}

Status BucketStatsTracker::Update(
    const PinnedView& view, const Codebook& codebook,
    const std::vector<std::shared_ptr<const FreshVectorArena>>& retired,
    uint64_t missed) {
  arenas_missed_ += missed;
  if (codebook.dim != dim_) {
    return Status::InvalidArgument("drift: bucket stats: codebook dimension");
  }
  // Every entry of a segment of the view is older than every entry of the
  // view's memtables (memtables flush in order; the view is one
  // SuperVersion), so what a memtable entry finds in a segment it hides.
  // A retired memtable that is flushed already is checked only against the
  // segments of the previous update's view: later ones may hold its own
  // entries or newer ones, their sequence numbers zeroed by compaction.
  std::unordered_set<const FreshVectorArena*> in_view;
  for (const auto& arena : view.arenas()) in_view.insert(arena.get());
  for (const auto& arena : retired) {
    if (arena->dim() != dim_ || in_view.count(arena.get())) continue;
    Status s = Resolve(view, *arena, StateOf(arena), &previous_files_);
    if (!s.ok()) return s;
  }
  for (const auto& arena : view.arenas()) {
    if (arena->dim() != dim_) continue;
    ArenaState* state = StateOf(arena);
    Status s = Resolve(view, *arena, state, nullptr);
    if (!s.ok()) return s;
    Assign(*arena, codebook, state);
  }
  arenas_.erase(std::remove_if(arenas_.begin(), arenas_.end(),
                               [&](const ArenaState& s) {
                                 return in_view.count(s.key) == 0 ||
                                        s.arena.expired();
                               }),
                arenas_.end());
  // Tombstones of segments that compaction removed went with them.
  std::unordered_set<std::string> files;
  for (const VectorSectionReader* segment : view.segments()) {
    files.insert(segment->file_name());
  }
  for (auto it = tombs_.begin(); it != tombs_.end();) {
    it = files.count(it->first) ? std::next(it) : tombs_.erase(it);
  }
  previous_files_ = std::move(files);
  return Aggregate(view, codebook);
}

Status BucketStatsTracker::Aggregate(const PinnedView& view,
                                     const Codebook& codebook) {
  epoch_ = codebook.epoch;
  complete_ = true;
  slots_.assign(codebook.size(), SlotStats());
  for (const VectorSectionReader* segment : view.segments()) {
    const BucketDirectory& dir = segment->directory();
    if (dir.dim != dim_ || dir.buckets.empty()) continue;
    if (dir.codebook_epoch != codebook.epoch || !dir.has_moments()) {
      complete_ = false;
      continue;
    }
    VectorSectionReader::BlobRef means;
    Status s = segment->GetMeans(&means);
    if (!s.ok()) {
      complete_ = false;
      return s;
    }
    const auto tombs = tombs_.find(segment->file_name());
    for (uint32_t b = 0; b < dir.buckets.size(); ++b) {
      const BucketHeader& h = dir.buckets[b];
      if (h.slot >= slots_.size()) {
        complete_ = false;
        continue;
      }
      SlotStats& slot = slots_[h.slot];
      BucketMoments m;
      m.count = h.num_rows;
      const float* mean = means.floats() + size_t{b} * dir.dim;
      m.mean.assign(mean, mean + dir.dim);
      m.m2 = h.m2;
      if (tombs != tombs_.end()) {
        auto dead = tombs->second.buckets.find(b);
        if (dead != tombs->second.buckets.end()) {
          m.Remove(dead->second);
          slot.tombstones += dead->second.count;
        }
      }
      slot.rows += h.num_rows;
      slot.live.Merge(m);
    }
  }
  for (const ArenaState& state : arenas_) {
    if (state.epoch != codebook.epoch) continue;
    for (size_t s = 0; s < state.slots.size(); ++s) {
      slots_[s].rows += state.slots[s].count;
      slots_[s].live.Merge(state.slots[s]);
    }
  }
  return Status::OK();
}

uint64_t BucketStatsTracker::SegmentTombstones(const std::string& file) const {
  auto it = tombs_.find(file);
  return it == tombs_.end() ? 0 : it->second.rows.size();
}

std::vector<BucketInfo> BucketStatsTracker::Buckets(
    const Codebook& codebook) const {
  std::vector<BucketInfo> buckets;
  for (uint32_t slot = 0; slot < slots_.size(); ++slot) {
    const SlotStats& st = slots_[slot];
    BucketInfo info;
    info.slot = slot;
    if (slot < codebook.lineage.size()) {
      info.born_epoch = codebook.lineage[slot].born_epoch;
      info.parent_slot = codebook.lineage[slot].parent;
    }
    info.rows = st.rows;
    info.tombstones = st.tombstones;
    info.live = st.live.count;
    info.centre_shift = std::sqrt(st.live.ShiftSqr(codebook.centroid(slot)));
    info.spread = std::sqrt(st.live.spread());
    buckets.push_back(info);
  }
  return buckets;
}

}  // namespace drift
