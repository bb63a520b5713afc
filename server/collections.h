// The database behind drift_server: one RocksDB DB whose collections are
// each a vector column family "drift.vectors/<name>" (Drift's factories,
// searched by a VectorIndex) plus a payload column family
// "drift.payloads/<name>" (plain RocksDB) with the same keys. A collection's
// spec (drift.v1.CollectionInfo) is persisted in the default column family
// under "drift.server.collection/<name>", so a restart reopens every
// collection with its dimension, metric and options.
//
// Crash safety of Create and Drop: Create makes the column families, then
// writes the spec (synced); Drop deletes the spec (synced), then drops the
// column families. Open drops column families of either prefix that no spec
// names (what a crash between the two steps leaves).
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "drift.pb.h"
#include "drift/vector_index.h"
#include "rocksdb/db.h"
#include "rocksdb/status.h"

namespace drift {
namespace server {

struct Collection {
  v1::CollectionInfo info;
  rocksdb::ColumnFamilyHandle* vectors = nullptr;
  rocksdb::ColumnFamilyHandle* payloads = nullptr;
  std::unique_ptr<VectorIndex> index;
};

struct StoreOptions {
  std::string db_path;
  // RocksDB DBOptions option string applied over the defaults.
  std::string db_options;
  // VectorIndexOptions::search_threads of every collection.
  uint32_t search_threads = 2;
};

class CollectionStore {
 public:
  // Opens (creating if missing) the database and every collection in it.
  static rocksdb::Status Open(const StoreOptions& options,
                              std::unique_ptr<CollectionStore>* store);
  ~CollectionStore();

  // Creates the collection `info` describes (validated first:
  // InvalidArgument for a bad name, dimension or option string). If a
  // collection of that name exists, sets *already_exists and returns OK
  // with its spec in *created when if_not_exists and the dimension and
  // metric agree; otherwise *already_exists is set and the status is
  // InvalidArgument.
  rocksdb::Status Create(const v1::CollectionInfo& info, bool if_not_exists,
                         v1::CollectionInfo* created, bool* already_exists);
  // Drops the collection and its data; waits until no request uses it.
  // NotFound if absent (OK with if_exists).
  rocksdb::Status Drop(const std::string& name, bool if_exists);
  // NotFound naming the collection if absent.
  rocksdb::Status Find(const std::string& name,
                       std::shared_ptr<Collection>* collection) const;
  // Every collection, sorted by name.
  std::vector<std::shared_ptr<Collection>> All() const;

  rocksdb::DB* db() const { return db_.get(); }

  // Closes every index, then the DB (the WAL holds every committed write).
  // Callers must have stopped using the collections.
  rocksdb::Status Close();

 private:
  CollectionStore() = default;
  rocksdb::Status AttachIndex(Collection* collection) const;
  rocksdb::Status DestroyCollection(Collection* collection);

  StoreOptions options_;
  std::unique_ptr<rocksdb::DB> db_;
  std::mutex admin_mu_;    // serializes Create and Drop
  mutable std::mutex mu_;  // guards collections_
  std::map<std::string, std::shared_ptr<Collection>> collections_;
};

// drift::Metric of a proto metric (UNSPECIFIED: l2).
Metric FromProtoMetric(v1::Metric metric);
v1::Metric ToProtoMetric(Metric metric);

}  // namespace server
}  // namespace drift
