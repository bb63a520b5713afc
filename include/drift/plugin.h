// Entry points that make Drift's RocksDB objects known to RocksDB.
#pragma once

#include <memory>
#include <string>

#include "drift/compaction_filter.h"
#include "drift/memtable_options.h"
#include "drift/table_options.h"
#include "rocksdb/memtablerep.h"
#include "rocksdb/table.h"
#include "rocksdb/utilities/object_registry.h"

namespace drift {

// Registry names: use them as ids in option strings.
inline constexpr const char* kDriftTableName = "DriftTable";
inline constexpr const char* kDriftMemTableName = "DriftMemTable";

// Registers the drift table factory, memtable factory, compaction filter
// factory and DriftStatistics (a rocksdb::Statistics) in `library` (the
// signature of a RocksDB plugin registrar). Returns the number of factories.
int RegisterDriftObjects(rocksdb::ObjectLibrary& library,
                         const std::string& arg);

// Registers Drift in ObjectLibrary::Default(); idempotent and thread-safe.
// Loading libdrift does this already, and Drift::drift / drift.pc link
// libdrift with --no-as-needed so that a program that names Drift only in
// option strings still loads it; call it if you link libdrift some other way
// (statically, or plain -ldrift under --as-needed). Parse option strings with
// ConfigOptions::ignore_unsupported_options = false: with RocksDB's default an
// unregistered id= silently keeps the BlockBasedTable.
void RegisterDrift();

std::shared_ptr<rocksdb::TableFactory> NewDriftTableFactory(
    const DriftTableOptions& options = DriftTableOptions());

std::shared_ptr<rocksdb::MemTableRepFactory> NewDriftMemTableFactory(
    const DriftMemTableOptions& options = DriftMemTableOptions());

}  // namespace drift
