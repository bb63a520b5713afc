// libFuzzer target: option strings of Drift's table and memtable factories.
// Malformed strings must give a Status, never a crash; accepted options must
// pass CheckDriftTableOptions or have been rejected by it.
#include <cstdint>
#include <string>

#include "drift/plugin.h"
#include "rocksdb/convenience.h"
#include "rocksdb/options.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const bool registered = (drift::RegisterDrift(), true);
  (void)registered;
  const std::string text(reinterpret_cast<const char*>(data), size);
  rocksdb::ConfigOptions config;
  config.ignore_unknown_options = false;
  rocksdb::ColumnFamilyOptions out;
  for (const std::string& opts :
       {"table_factory={id=DriftTable;" + text + "}",
        "memtable_factory={id=DriftMemTable;" + text + "}", text}) {
    (void)rocksdb::GetColumnFamilyOptionsFromString(
        config, rocksdb::ColumnFamilyOptions(), opts, &out);
  }
  return 0;
}
