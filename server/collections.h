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
#include <shared_mutex>
#include <string>
#include <vector>

#include "drift.pb.h"
#include "drift/vector_index.h"
#include "rocksdb/db.h"
#include "rocksdb/status.h"

namespace drift {
namespace server {

struct Collection {
  Collection() = default;
  Collection(const Collection&) = delete;
  Collection& operator=(const Collection&) = delete;
  // Closes the index and destroys the handles if they are still open (the
  // last holder of a collection a worker let go: dropped by the primary, or
  // of a generation it replaced).
  ~Collection();

  v1::CollectionInfo info;
  // The DB of the collection's generation; declared first: it outlives the
  // handles and the index.
  std::shared_ptr<rocksdb::DB> db;
  rocksdb::ColumnFamilyHandle* vectors = nullptr;
  rocksdb::ColumnFamilyHandle* payloads = nullptr;
  // Requests use `index` under `mu` shared; a secondary swaps it (codebook
  // reload) under `mu` exclusive. Null only while a reload failed.
  std::shared_mutex mu;
  std::unique_ptr<VectorIndex> index;
  // The persisted codebook the index was attached with (a secondary
  // re-attaches when the primary publishes another).
  std::string codebook_seen;
};

// One opened DB and the collections attached to it. A primary has one for
// its lifetime. A worker opens a new one when the primary created
// collections (a RocksDB secondary instance cannot open column families it
// was not opened with) and swaps it in: the requests and snapshot leases
// that hold the old one keep reading it, and the old DB closes after the
// last of them lets go (its collections close first).
struct Generation {
  std::shared_ptr<rocksdb::DB> db;
  // By name; guarded by the CollectionStore's mutex.
  std::map<std::string, std::shared_ptr<Collection>> collections;
};

// A collection in use by one request: keeps it alive (Drop waits until no
// request holds it) and holds its index shared.
class CollectionRef {
 public:
  CollectionRef() = default;
  explicit CollectionRef(std::shared_ptr<Collection> c)
      : collection_(std::move(c)), lock_(collection_->mu) {}
  Collection* operator->() const { return collection_.get(); }
  Collection& operator*() const { return *collection_; }
  explicit operator bool() const { return collection_ != nullptr; }

 private:
  std::shared_ptr<Collection> collection_;  // declared first: unlocked first
  std::shared_lock<std::shared_mutex> lock_;
};

struct StoreOptions {
  // The database directory (for a secondary: the primary's).
  std::string db_path;
  // Non-empty: open as a RocksDB secondary instance (DB::OpenAsSecondary)
  // keeping its own files here; read-only, brought up to date by CatchUp.
  std::string secondary_path;
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
  // NotFound naming the collection if absent; looked up in `generation`
  // (one a snapshot lease holds), else in the current one.
  rocksdb::Status Find(const std::string& name,
                       std::shared_ptr<Collection>* collection,
                       const Generation* generation = nullptr) const;
  // Every collection of the current generation, sorted by name.
  std::vector<std::shared_ptr<Collection>> All() const;
  // The current generation (the DB that new requests use).
  std::shared_ptr<Generation> current() const;

  bool secondary() const { return !options_.secondary_path.empty(); }

  // Secondary only: TryCatchUpWithPrimary, then re-attach the index of every
  // collection whose persisted codebook changed (the primary trained or
  // edited it) and forget collections the primary dropped (each closes when
  // the last request using it ends). If the primary created collections,
  // opens a new generation with every collection and swaps it in
  // (*reopened, optional). *unserved (optional) counts the collections the
  // primary has that are not served after that (created while it opened;
  // the next catch-up serves them).
  rocksdb::Status CatchUp(uint64_t* unserved = nullptr,
                          bool* reopened = nullptr);

  // Closes every index, then the DB (the WAL holds every committed write).
  // Callers must have stopped using the collections.
  rocksdb::Status Close();

 private:
  CollectionStore() = default;
  // Opens the DB with the column families of every collection (of
  // `known_specs`, else of the specs read first) into a new generation and
  // attaches their indexes; a primary drops orphan column families.
  // *unserved: specs a secondary found no column family for (created after
  // it listed them).
  rocksdb::Status OpenGeneration(
      const std::map<std::string, v1::CollectionInfo>* known_specs,
      std::shared_ptr<Generation>* generation, uint64_t* unserved) const;
  // Takes the column families of every spec out of *handles into
  // `generation` and attaches their indexes. A spec without its column
  // families is Corruption on a primary; a secondary counts it in *unserved.
  rocksdb::Status AdoptCollections(
      const std::map<std::string, v1::CollectionInfo>& specs,
      std::map<std::string, rocksdb::ColumnFamilyHandle*>* handles,
      Generation* generation, uint64_t* unserved) const;
  rocksdb::Status AttachIndex(Collection* collection) const;
  // CatchUp's part for the collections of `generation`: forgets those not in
  // *specs and re-attaches those whose codebook changed; leaves in *specs
  // the collections it does not hold.
  rocksdb::Status FollowPrimary(
      Generation* generation, std::map<std::string, v1::CollectionInfo>* specs);
  // Closes the index and destroys the handles; with drop_data (primary) the
  // spec, the codebook and the column families are deleted first.
  rocksdb::Status DestroyCollection(Collection* collection, bool drop_data);

  StoreOptions options_;
  rocksdb::DBOptions db_options_;
  std::mutex admin_mu_;    // serializes Create and Drop
  mutable std::mutex mu_;  // guards generation_ and its collections
  std::shared_ptr<Generation> generation_;
};

// drift::Metric of a proto metric (UNSPECIFIED: l2).
Metric FromProtoMetric(v1::Metric metric);
v1::Metric ToProtoMetric(Metric metric);

}  // namespace server
}  // namespace drift
