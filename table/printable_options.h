// PrintableOptions: a Configurable's registered options in the form RocksDB's
// GetPrintableOptions uses ("  name: value" lines), for the info LOG.
#pragma once

#include <string>

#include "rocksdb/configurable.h"

namespace drift {

// One "  name: value\n" line per registered option of `c`, sorted by name
// (the type-info maps are unordered); empty if they cannot be serialized.
std::string PrintableOptions(const rocksdb::Configurable& c);

}  // namespace drift
