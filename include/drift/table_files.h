// Checks on a DB's table files, for operators and tests.
#pragma once

#include <string>
#include <vector>

#include "rocksdb/db.h"

namespace drift {

// Sets *files to the paths of the table files (*.sst: the .drift segments of
// vector column families and the block-based tables of the others) in the
// DB's directory and its db_paths (not cf_paths) whose file number the DB's
// current version does not reference, e.g. what a crash left behind before
// RocksDB's obsolete-file purge ran. Call it while background work is paused
// (DB::PauseBackgroundWork): a flush or compaction in progress writes a file
// that is not referenced yet. Returns the error of listing a directory.
rocksdb::Status ListUnreferencedTableFiles(rocksdb::DB* db,
                                           std::vector<std::string>* files);

}  // namespace drift
