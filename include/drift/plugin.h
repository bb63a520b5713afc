// Entry points that make Drift's RocksDB objects known to RocksDB.
#pragma once

#include <memory>
#include <string>

#include "drift/memtable_options.h"
#include "drift/table_options.h"
#include "rocksdb/memtablerep.h"
#include "rocksdb/table.h"
#include "rocksdb/utilities/object_registry.h"

namespace drift {

// Registry names: use them as ids in option strings.
inline constexpr const char* kDriftTableName = "DriftTable";
inline constexpr const char* kDriftMemTableName = "DriftMemTable";

// Registers the drift table factory and memtable factory in `library` (the
// signature of a RocksDB plugin registrar). Returns the number of factories.
int RegisterDriftObjects(rocksdb::ObjectLibrary& library,
                         const std::string& arg);

// Registers Drift in ObjectLibrary::Default(); idempotent and thread-safe.
// Loading libdrift does this already; call it if you link Drift statically and
// only refer to it through option strings.
void RegisterDrift();

std::shared_ptr<rocksdb::TableFactory> NewDriftTableFactory(
    const DriftTableOptions& options = DriftTableOptions());

std::shared_ptr<rocksdb::MemTableRepFactory> NewDriftMemTableFactory(
    const DriftMemTableOptions& options = DriftMemTableOptions());

}  // namespace drift
