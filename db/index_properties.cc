#include "db/index_properties.h"

#include <cstdio>
#include <memory>

#include "rocksdb/cache.h"
#include "table/drift_table_factory.h"

namespace drift {

namespace {
constexpr char kBlobCache[] = "drift.blob-cache";
constexpr size_t kBlobCacheLen = sizeof(kBlobCache) - 1;
}  // namespace

const char* const kKnownIndexProperties =
    "drift.stats, drift.blob-cache, drift.blob-cache-capacity, "
    "drift.blob-cache-usage, drift.blob-cache-pinned-usage, "
    "drift.blob-cache-pin-budget, drift.blob-cache-hits, "
    "drift.blob-cache-misses, drift.blob-cache-pinned-reads, "
    "drift.blob-cache-hit-rate";

bool IsBlobCacheProperty(const std::string& name) {
  return name.compare(0, kBlobCacheLen, kBlobCache) == 0 &&
         (name.size() == kBlobCacheLen || name[kBlobCacheLen] == '-');
}

void BlobCacheMap(const DriftTableFactory& factory,
                  std::map<std::string, std::string>* out) {
  std::shared_ptr<rocksdb::Cache> cache;
  std::shared_ptr<PinBudget> pins;
  factory.BlobCache(&cache, &pins);
  const BlobCacheCounters& c = factory.blob_cache_counters();
  const uint64_t hits = c.hits.load(std::memory_order_relaxed);
  const uint64_t misses = c.misses.load(std::memory_order_relaxed);
  char rate[32];
  snprintf(rate, sizeof(rate), "%.4f",
           hits + misses == 0 ? 0.0
                              : static_cast<double>(hits) /
                                    static_cast<double>(hits + misses));
  out->clear();
  (*out)["capacity"] =
      std::to_string(cache != nullptr ? cache->GetCapacity() : 0);
  (*out)["usage"] = std::to_string(cache != nullptr ? cache->GetUsage() : 0);
  (*out)["pinned-usage"] = std::to_string(pins != nullptr ? pins->used() : 0);
  (*out)["pin-budget"] = std::to_string(pins != nullptr ? pins->limit() : 0);
  (*out)["hits"] = std::to_string(hits);
  (*out)["misses"] = std::to_string(misses);
  (*out)["pinned-reads"] =
      std::to_string(c.pinned_reads.load(std::memory_order_relaxed));
  (*out)["hit-rate"] = rate;
}

rocksdb::Status BlobCacheProperty(const DriftTableFactory& factory,
                                  const std::string& name, std::string* value) {
  if (!IsBlobCacheProperty(name)) return UnknownIndexProperty(name);
  std::map<std::string, std::string> map;
  BlobCacheMap(factory, &map);
  if (name.size() == kBlobCacheLen) {
    value->clear();
    for (const auto& kv : map) *value += kv.first + ": " + kv.second + "\n";
    return rocksdb::Status::OK();
  }
  const auto it = map.find(name.substr(kBlobCacheLen + 1));
  if (it == map.end()) return UnknownIndexProperty(name);
  *value = it->second;
  return rocksdb::Status::OK();
}

rocksdb::Status UnknownIndexProperty(const std::string& name) {
  return rocksdb::Status::InvalidArgument(
      "drift: unknown property \"" + name +
      "\" (known: " + kKnownIndexProperties + ")");
}

}  // namespace drift
