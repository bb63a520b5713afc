// vector_service: a minimal service that embeds RocksDB with Drift.
//
// One database holds two column families:
//   default  - ordinary records (here: a small JSON document per key), stored
//              by RocksDB's usual BlockBasedTable;
//   vectors  - a Drift vector column family: values are `kDimension`
//              little-endian float32, searched by nearest neighbour.
// A document's record and its embedding are written in ONE rocksdb::WriteBatch,
// so they commit atomically (one WAL record): a reader never sees one without
// the other.
//
// Usage: vector_service [db_path]
//   Without db_path the database lives in a fresh temporary directory that is
//   removed at exit. Exits 0 when every step succeeded, 1 otherwise.
//
// Build it against an installed Drift (see CMakeLists.txt beside this file):
//   find_package(Drift REQUIRED)
//   target_link_libraries(vector_service PRIVATE Drift::drift)

#include <stdlib.h>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>
#include <random>
#include <string>
#include <system_error>
#include <vector>

#include "drift/plugin.h"
#include "drift/vector_index.h"
#include "rocksdb/convenience.h"
#include "rocksdb/db.h"
#include "rocksdb/options.h"
#include "rocksdb/status.h"
#include "rocksdb/write_batch.h"

namespace {

constexpr uint32_t kDimension = 16;
constexpr int kNumDocuments = 200;
constexpr int kProbeDocument = 17;  // the document the queries look for
constexpr size_t kTopK = 3;
constexpr char kVectorColumnFamily[] = "vectors";

// Prints a failed step with its status; returns s.ok() so that callers can
// write `if (!Check(s, "...")) return 1;`.
bool Check(const rocksdb::Status& s, const std::string& what) {
  if (!s.ok()) {
    std::cerr << "ERROR: " << what << ": " << s.ToString() << "\n";
  }
  return s.ok();
}

// Reports a failed check that is not a RocksDB call; returns false.
bool Fail(const std::string& what) {
  std::cerr << "ERROR: " << what << "\n";
  return false;
}

std::string DocumentKey(int i) {
  char key[16];
  std::snprintf(key, sizeof(key), "doc:%04d", i);
  return key;
}

std::string DocumentRecord(int i) {
  return "{\"title\":\"document " + std::to_string(i) +
         "\",\"topic\":" + std::to_string(i % 5) + "}";
}

// Deterministic embeddings: the same documents on every run.
std::vector<std::vector<float>> MakeEmbeddings() {
  std::mt19937 rng(42);
  std::normal_distribution<float> gauss(0.0f, 1.0f);
  std::vector<std::vector<float>> embeddings(kNumDocuments,
                                             std::vector<float>(kDimension));
  for (auto& embedding : embeddings) {
    for (float& x : embedding) x = gauss(rng);
  }
  return embeddings;
}

// An open database with its column family handles. Closes everything in the
// right order on destruction, also when a step failed half way.
class Database {
 public:
  Database() = default;
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;
  ~Database() { Close().PermitUncheckedError(); }

  // Opens (creating if missing) the database at `path` with the default column
  // family and the vector column family.
  rocksdb::Status Open(const std::string& path) {
    // Once per process: makes "DriftTable" / "DriftMemTable" known to option
    // strings and OPTIONS files (loading libdrift does it too; being explicit
    // costs nothing).
    drift::RegisterDrift();

    rocksdb::DBOptions db_options;
    db_options.create_if_missing = true;
    db_options.create_missing_column_families = true;

    // The vector column family is configured from an option string, as a
    // service reading its configuration would do. Equivalent in code:
    //   drift::VectorColumnFamilyOptions(kDimension)
    rocksdb::ConfigOptions config;
    config.ignore_unknown_options = false;
    config.ignore_unsupported_options = false;
    const std::string dim = std::to_string(kDimension);
    rocksdb::ColumnFamilyOptions vector_options;
    rocksdb::Status s = rocksdb::GetColumnFamilyOptionsFromString(
        config, rocksdb::ColumnFamilyOptions(),
        "table_factory={id=DriftTable;dimension=" + dim +
            "};memtable_factory={id=DriftMemTable;dimension=" + dim + "}",
        &vector_options);
    if (!s.ok()) return s;

    std::vector<rocksdb::ColumnFamilyDescriptor> column_families = {
        {rocksdb::kDefaultColumnFamilyName, rocksdb::ColumnFamilyOptions()},
        {kVectorColumnFamily, vector_options}};
    rocksdb::DB* db = nullptr;
    s = rocksdb::DB::Open(db_options, path, column_families, &handles_, &db);
    if (!s.ok()) return s;
    db_.reset(db);
    return rocksdb::Status::OK();
  }

  rocksdb::Status Close() {
    if (db_ == nullptr) return rocksdb::Status::OK();
    rocksdb::Status result;
    for (rocksdb::ColumnFamilyHandle* handle : handles_) {
      rocksdb::Status s = db_->DestroyColumnFamilyHandle(handle);
      if (result.ok()) result = s;
    }
    handles_.clear();
    rocksdb::Status s = db_->Close();
    if (result.ok()) result = s;
    db_.reset();
    return result;
  }

  rocksdb::DB* db() const { return db_.get(); }
  rocksdb::ColumnFamilyHandle* records() const { return handles_[0]; }
  rocksdb::ColumnFamilyHandle* vectors() const { return handles_[1]; }

 private:
  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
};

// Searches the `kTopK` nearest neighbours of `query`, prints them with their
// records from the default column family, and checks that the nearest one is
// `expected_key` (or, if `excluded_key` is set, that it is absent).
bool SearchAndPrint(const char* label, const Database& database,
                    drift::VectorIndex* index, const std::vector<float>& query,
                    const std::string& expected_key,
                    const std::string& excluded_key) {
  drift::SearchOptions search_options;  // latest state, default recall target
  std::vector<drift::SearchHit> hits;
  if (!Check(index->Search(search_options, query, kTopK, &hits),
             std::string("search (") + label + ")")) {
    return false;
  }
  std::cout << "Search (" << label << "): " << hits.size()
            << " nearest neighbours of a query near "
            << DocumentKey(kProbeDocument) << "\n";
  for (size_t i = 0; i < hits.size(); ++i) {
    std::string record;
    rocksdb::Status s = database.db()->Get(
        rocksdb::ReadOptions(), database.records(), hits[i].key, &record);
    if (!Check(s, "read the record of " + hits[i].key)) return false;
    std::printf("  %zu. %s  squared L2 %8.4f  %s\n", i + 1, hits[i].key.c_str(),
                hits[i].distance, record.c_str());
  }
  if (hits.size() != kTopK) {
    return Fail("expected " + std::to_string(kTopK) + " hits, got " +
                std::to_string(hits.size()));
  }
  if (!expected_key.empty() && hits[0].key != expected_key) {
    return Fail("nearest neighbour is " + hits[0].key + ", expected " +
                expected_key);
  }
  for (const drift::SearchHit& hit : hits) {
    if (!excluded_key.empty() && hit.key == excluded_key) {
      return Fail("deleted key " + excluded_key + " was returned");
    }
  }
  return true;
}

// The service's work; returns false on the first failed step.
bool Run(const std::string& path) {
  Database database;
  if (!Check(database.Open(path), "open " + path)) return false;
  std::cout << "Opened " << path << "\n"
            << "  column family 'default': records (BlockBasedTable)\n"
            << "  column family '" << kVectorColumnFamily
            << "': vectors of dimension " << kDimension
            << " (DriftTable + DriftMemTable)\n";

  // The engine that searches the vector column family. Declared after
  // `database`, so it is destroyed first; closed explicitly below.
  drift::VectorIndexOptions index_options;
  index_options.dimension = kDimension;
  std::unique_ptr<drift::VectorIndex> index;
  if (!Check(drift::VectorIndex::Attach(database.db(), database.vectors(),
                                        index_options, &index),
             "attach the vector index")) {
    return false;
  }

  // 1. Every document's record and its embedding in ONE WriteBatch.
  const std::vector<std::vector<float>> embeddings = MakeEmbeddings();
  rocksdb::WriteBatch batch;
  for (int i = 0; i < kNumDocuments; ++i) {
    const std::string key = DocumentKey(i);
    if (!Check(batch.Put(database.records(), key, DocumentRecord(i)),
               "batch the record of " + key) ||
        !Check(index->Put(&batch, key, embeddings[i]),
               "batch the vector of " + key)) {
      return false;
    }
  }
  if (!Check(database.db()->Write(rocksdb::WriteOptions(), &batch),
             "write the batch")) {
    return false;
  }
  std::cout << "Wrote " << kNumDocuments << " records and " << kNumDocuments
            << " vectors in one WriteBatch (" << batch.Count()
            << " operations)\n";

  // 2. Read one document back from both column families.
  const std::string probe_key = DocumentKey(kProbeDocument);
  std::string record;
  if (!Check(database.db()->Get(rocksdb::ReadOptions(), database.records(),
                                probe_key, &record),
             "read the record of " + probe_key)) {
    return false;
  }
  std::vector<float> vector;
  if (!Check(index->Get(rocksdb::ReadOptions(), probe_key, &vector),
             "read the vector of " + probe_key)) {
    return false;
  }
  if (record != DocumentRecord(kProbeDocument)) {
    return Fail("record of " + probe_key + " differs: " + record);
  }
  if (vector != embeddings[kProbeDocument]) {
    return Fail("vector of " + probe_key + " differs from the one written");
  }
  std::cout << "Read back " << probe_key << ": record " << record
            << ", vector of " << vector.size() << " floats (bit-exact)\n";

  // 3. Nearest-neighbour search over fresh data (in the memtable): a query
  // close to the probe document must find it first.
  std::vector<float> query = embeddings[kProbeDocument];
  for (float& x : query) x += 0.01f;
  if (!SearchAndPrint("memtable", database, index.get(), query, probe_key,
                      "")) {
    return false;
  }

  // 4. Flush: the vectors move into .drift segments; search again.
  rocksdb::FlushOptions flush_options;
  flush_options.wait = true;
  if (!Check(database.db()->Flush(flush_options, database.vectors()),
             "flush the vector column family")) {
    return false;
  }
  std::cout << "Flushed the vector column family to .drift segments\n";
  if (!SearchAndPrint("segments", database, index.get(), query, probe_key,
                      "")) {
    return false;
  }

  // 5. Delete the probe document's record and vector atomically, again in one
  // WriteBatch: searches no longer return it, and its record is gone.
  rocksdb::WriteBatch delete_batch;
  if (!Check(delete_batch.Delete(database.records(), probe_key),
             "batch the record delete") ||
      !Check(index->Delete(&delete_batch, probe_key),
             "batch the vector delete") ||
      !Check(database.db()->Write(rocksdb::WriteOptions(), &delete_batch),
             "write the delete batch")) {
    return false;
  }
  rocksdb::Status s = database.db()->Get(
      rocksdb::ReadOptions(), database.records(), probe_key, &record);
  if (!s.IsNotFound()) {
    return Fail("record of deleted " + probe_key +
                " still readable: " + s.ToString());
  }
  std::cout << "Deleted " << probe_key << " (record and vector, one batch)\n";
  if (!SearchAndPrint("after delete", database, index.get(), query, "",
                      probe_key)) {
    return false;
  }

  // Close the index before the database (it stops its background work).
  if (!Check(index->Close(), "close the vector index")) return false;
  index.reset();
  return Check(database.Close(), "close the database");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 2) {
    std::cerr << "usage: " << argv[0] << " [db_path]\n";
    return 2;
  }

  // Without an argument, work in a fresh temporary directory.
  std::string temp_dir;
  std::string path;
  if (argc == 2) {
    path = argv[1];
  } else {
    std::error_code ec;
    std::string pattern = (std::filesystem::temp_directory_path(ec) /
                           "drift-vector-service-XXXXXX")
                              .string();
    if (ec || mkdtemp(pattern.data()) == nullptr) {
      std::cerr << "ERROR: cannot create a temporary directory\n";
      return 1;
    }
    temp_dir = pattern;
    path = temp_dir + "/db";
  }

  const bool ok = Run(path);

  if (!temp_dir.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(temp_dir, ec);
  }
  std::cout << (ok ? "OK" : "FAILED") << "\n";
  return ok ? 0 : 1;
}
