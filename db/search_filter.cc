#include "db/search_filter.h"

#include <algorithm>
#include <cmath>

#include "rocksdb/comparator.h"

namespace drift {

using rocksdb::Slice;
using rocksdb::Status;

namespace {

// The least key greater than every key that begins with `prefix` in
// bytewise order ("" when there is none: the prefix is all 0xff bytes).
std::string PrefixSuccessor(std::string prefix) {
  while (!prefix.empty()) {
    const unsigned char last = static_cast<unsigned char>(prefix.back());
    if (last != 0xff) {
      prefix.back() = static_cast<char>(last + 1);
      return prefix;
    }
    prefix.pop_back();
  }
  return prefix;
}

}  // namespace

Status SearchFilter::Make(const SearchOptions& options, rocksdb::DB* db,
                          rocksdb::ColumnFamilyHandle* cf,
                          const rocksdb::Snapshot* snapshot,
                          SearchFilter* out) {
  const rocksdb::Comparator* cmp = cf->GetComparator();
  if (options.key_start && options.key_limit &&
      cmp->Compare(*options.key_start, *options.key_limit) >= 0) {
    return Status::InvalidArgument(
        "drift: Search key range [key_start, key_limit) is empty (key_start "
        "must be below key_limit)");
  }
  if (options.filter_column_family != nullptr && !options.filter) {
    return Status::InvalidArgument(
        "drift: Search filter_column_family is set without a filter");
  }
  out->active_ = options.key_start || options.key_limit ||
                 !options.key_prefix.empty() || options.filter;
  if (!out->active_) return Status::OK();
  out->db_ = db;
  out->comparator_ = cmp;
  out->options_ = &options;
  out->filter_cf_ = options.filter_column_family;
  out->read_options_.snapshot = snapshot;
  // Iterator bounds: the prefix's range where the comparator orders keys
  // bytewise, narrowed by key_start / key_limit.
  bool has_lower = false;
  const bool bytewise = cmp == rocksdb::BytewiseComparator();
  if (bytewise && !options.key_prefix.empty()) {
    out->lower_ = options.key_prefix;
    has_lower = true;
    out->upper_ = PrefixSuccessor(options.key_prefix);
    out->has_upper_ = !out->upper_.empty();
  }
  if (options.key_start &&
      (!has_lower || cmp->Compare(*options.key_start, out->lower_) > 0)) {
    out->lower_ = *options.key_start;
    has_lower = true;
  }
  if (options.key_limit &&
      (!out->has_upper_ || cmp->Compare(*options.key_limit, out->upper_) < 0)) {
    out->upper_ = *options.key_limit;
    out->has_upper_ = true;
  }
  // A prefix disjoint from key_start / key_limit: nothing passes.
  out->empty_ = has_lower && out->has_upper_ &&
                cmp->Compare(out->lower_, out->upper_) >= 0;
  out->lower_slice_ = Slice(out->lower_);
  out->range_upper_slice_ = Slice(out->upper_);
  out->range_lower_ = has_lower ? &out->lower_slice_ : nullptr;
  return Status::OK();
}

bool SearchFilter::InBounds(const Slice& user_key) const {
  const SearchOptions& o = *options_;
  if (!o.key_prefix.empty() && !user_key.starts_with(o.key_prefix)) {
    return false;
  }
  if (o.key_start && comparator_->Compare(user_key, *o.key_start) < 0) {
    return false;
  }
  return !o.key_limit || comparator_->Compare(user_key, *o.key_limit) < 0;
}

bool SearchFilter::Passes(const Slice& user_key) {
  if (!active_) return true;
  bool pass = InBounds(user_key);
  if (pass && options_->filter) {
    const Slice* other = nullptr;
    if (filter_cf_ != nullptr) {
      value_.Reset();
      Status s = db_->Get(read_options_, filter_cf_, user_key, &value_);
      if (s.ok()) {
        other = &value_;
      } else if (!s.IsNotFound()) {
        if (status_.ok()) status_ = s;
        return false;
      }
    }
    pass = options_->filter(user_key, other);
  }
  rejected_ += !pass;
  return pass;
}

double SearchFilter::Widening(double max_factor) const {
  if (!active_ || sampled_ == 0) return 1;
  // A pass rate of 0 in the sample still assumes one pass in a row more.
  const double rate = static_cast<double>(passed_ + 1) / (sampled_ + 1);
  return std::min(max_factor, std::max(1.0, 1.0 / rate));
}

}  // namespace drift
