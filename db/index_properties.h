// The properties of a VectorIndex beyond drift.stats (VectorIndex::
// GetProperty / GetMapProperty): the blob cache of the column family's
// DriftTableFactory, in RocksDB's two forms (one value per name, or a map).
#pragma once

#include <map>
#include <string>

#include "rocksdb/status.h"

namespace drift {

class DriftTableFactory;

// Every property name VectorIndex answers, for error messages and docs.
extern const char* const kKnownIndexProperties;

// True if `name` is "drift.blob-cache" or "drift.blob-cache-<key>".
bool IsBlobCacheProperty(const std::string& name);

// "drift.blob-cache" as a map: capacity, usage, pinned-usage, pin-budget
// (bytes), hits, misses, pinned-reads (counts since the factory was made) and
// hit-rate (hits / (hits + misses), 0 before any lookup).
void BlobCacheMap(const DriftTableFactory& factory,
                  std::map<std::string, std::string>* out);

// "drift.blob-cache" as "key: value" lines, or "drift.blob-cache-<key>" as
// that key's value; InvalidArgument for another name.
rocksdb::Status BlobCacheProperty(const DriftTableFactory& factory,
                                  const std::string& name, std::string* value);

rocksdb::Status UnknownIndexProperty(const std::string& name);

}  // namespace drift
