// SearchFilter: the key restrictions of one search (SearchOptions::key_start,
// key_limit, key_prefix, filter, filter_column_family), checked before the
// top k. Invariants:
// - A key passes or not by the key alone and, with a filter column family,
//   the value of that key there at the search's snapshot: never by which
//   version of the vector was found, so a filter applied to candidates
//   commutes with the MVCC re-rank (exhaustive filtered search = brute force
//   over the visible vectors that pass).
// - The cheap checks (bounds, prefix) run before the predicate, and the
//   predicate runs only on keys that would otherwise enter the candidates.
// - Pass rates sampled while scanning estimate the filter's selectivity; the
//   search widens its probes by it (Widening).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "drift/vector_index.h"
#include "rocksdb/db.h"

namespace drift {

class SearchFilter {
 public:
  // No restriction: Passes is always true.
  SearchFilter() = default;
  // Holds slices of its own strings.
  SearchFilter(const SearchFilter&) = delete;
  SearchFilter& operator=(const SearchFilter&) = delete;

  // Checks the options' restrictions (InvalidArgument: an empty or inverted
  // key range, a filter column family without a predicate) and binds them to
  // `snapshot` and the comparator of `cf`.
  static rocksdb::Status Make(const SearchOptions& options, rocksdb::DB* db,
                              rocksdb::ColumnFamilyHandle* cf,
                              const rocksdb::Snapshot* snapshot,
                              SearchFilter* out);

  bool active() const { return active_; }
  // The bounds exclude every key (a prefix outside [key_start, key_limit)).
  bool empty() const { return empty_; }
  // Whether the keys are restricted to a range (bounds or a prefix that the
  // comparator orders as a range): a key-range scan can then replace probing.
  bool has_range() const { return range_lower_ != nullptr || has_upper_; }
  // The range's bounds for a rocksdb iterator (nullptr: unbounded).
  const rocksdb::Slice* range_lower() const { return range_lower_; }
  const rocksdb::Slice* range_upper() const {
    return has_upper_ ? &range_upper_slice_ : nullptr;
  }

  // Whether `user_key` passes every restriction. A failed read of the filter
  // column family is kept in status() and the key does not pass.
  bool Passes(const rocksdb::Slice& user_key);
  const rocksdb::Status& status() const { return status_; }

  // Selectivity sampling: every `stride`-th scanned row is checked.
  void Sample(const rocksdb::Slice& user_key) {
    ++sampled_;
    passed_ += Passes(user_key);
  }
  uint64_t sampled() const { return sampled_; }
  // How many times more buckets a search probes so that about as many
  // passing vectors are scanned as an unfiltered search scans (1 when
  // inactive or nothing sampled yet; at most `max_factor`).
  double Widening(double max_factor) const;

  uint64_t rejected() const { return rejected_; }

 private:
  bool InBounds(const rocksdb::Slice& user_key) const;

  bool active_ = false;
  bool empty_ = false;
  rocksdb::DB* db_ = nullptr;
  const rocksdb::Comparator* comparator_ = nullptr;
  rocksdb::ReadOptions read_options_;
  rocksdb::ColumnFamilyHandle* filter_cf_ = nullptr;
  const SearchOptions* options_ = nullptr;
  // The iterator bounds: the tighter of key_start / key_limit and the
  // prefix's range (bytewise comparator only).
  std::string lower_, upper_;
  rocksdb::Slice lower_slice_, range_upper_slice_;
  const rocksdb::Slice* range_lower_ = nullptr;
  bool has_upper_ = false;
  rocksdb::PinnableSlice value_;
  rocksdb::Status status_;
  uint64_t sampled_ = 0, passed_ = 0, rejected_ = 0;
};

}  // namespace drift
