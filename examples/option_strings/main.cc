// option_strings: a program that uses Drift only through RocksDB option
// strings, as a service configured from a file would: it includes no Drift
// header and calls no Drift function. Linked with -ldrift (or Drift::drift)
// it still gets Drift's table and memtable, because loading libdrift
// registers them and Drift's link flags keep libdrift linked under
// --as-needed.
//
// ConfigOptions::ignore_unsupported_options is set to false: with RocksDB's
// default (true), an unregistered id= would silently give a BlockBasedTable.
//
// Usage: option_strings <db_path>
//   Creates a DB with a vector column family configured by an option string,
//   writes and flushes one vector, reopens the DB from its OPTIONS file and
//   prints the column family's table and memtable factories.
//   Exits 0 when both are Drift's, 1 otherwise.
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "rocksdb/convenience.h"
#include "rocksdb/db.h"
#include "rocksdb/options.h"
#include "rocksdb/table.h"
#include "rocksdb/utilities/options_util.h"

namespace {

constexpr char kVectorOptions[] =
    "table_factory={id=DriftTable;dimension=4};"
    "memtable_factory={id=DriftMemTable;dimension=4}";

int Fail(const std::string& what, const rocksdb::Status& s) {
  std::fprintf(stderr, "ERROR: %s: %s\n", what.c_str(), s.ToString().c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: option_strings <db_path>\n");
    return 1;
  }
  const std::string path = argv[1];
  rocksdb::ConfigOptions config;
  config.ignore_unsupported_options = false;  // unknown id=: an error
  rocksdb::ColumnFamilyOptions vec;
  rocksdb::Status s = rocksdb::GetColumnFamilyOptionsFromString(
      config, rocksdb::ColumnFamilyOptions(), kVectorOptions, &vec);
  if (!s.ok()) return Fail("option string", s);

  rocksdb::DBOptions db_opts;
  db_opts.create_if_missing = true;
  db_opts.create_missing_column_families = true;
  std::vector<rocksdb::ColumnFamilyDescriptor> cfs = {
      {rocksdb::kDefaultColumnFamilyName, rocksdb::ColumnFamilyOptions()},
      {"vectors", vec}};
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  s = rocksdb::DB::Open(db_opts, path, cfs, &handles, &raw);
  if (!s.ok()) return Fail("open", s);
  std::unique_ptr<rocksdb::DB> db(raw);
  const float v[4] = {1, 2, 3, 4};
  s = db->Put(rocksdb::WriteOptions(), handles[1], "k",
              rocksdb::Slice(reinterpret_cast<const char*>(v), sizeof(v)));
  if (s.ok()) s = db->Flush(rocksdb::FlushOptions(), handles[1]);
  if (!s.ok()) return Fail("write", s);
  for (auto* h : handles) db->DestroyColumnFamilyHandle(h);
  s = db->Close();
  if (!s.ok()) return Fail("close", s);
  db.reset();

  // Reopen as a tool would: every option from the DB's OPTIONS file.
  rocksdb::DBOptions loaded_db;
  cfs.clear();
  s = rocksdb::LoadLatestOptions(config, path, &loaded_db, &cfs);
  if (!s.ok()) return Fail("LoadLatestOptions", s);
  const rocksdb::ColumnFamilyOptions& loaded = cfs.back().options;
  std::printf("%s: table factory %s, memtable factory %s\n",
              cfs.back().name.c_str(), loaded.table_factory->Name(),
              loaded.memtable_factory->Name());
  return std::string(loaded.table_factory->Name()) == "DriftTable" &&
                 std::string(loaded.memtable_factory->Name()) == "DriftMemTable"
             ? 0
             : 1;
}
