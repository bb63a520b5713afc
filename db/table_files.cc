#include "drift/table_files.h"

#include <set>

#include "rocksdb/env.h"

namespace drift {

rocksdb::Status ListUnreferencedTableFiles(rocksdb::DB* db,
                                           std::vector<std::string>* files) {
  files->clear();
  std::vector<rocksdb::LiveFileMetaData> live;
  db->GetLiveFilesMetaData(&live);
  std::set<std::string> referenced;  // full paths
  for (const auto& f : live) referenced.insert(f.db_path + f.name);
  std::set<std::string> dirs = {db->GetName()};
  for (const auto& p : db->GetDBOptions().db_paths) dirs.insert(p.path);
  for (const std::string& dir : dirs) {
    std::vector<std::string> children;
    rocksdb::Status s = db->GetEnv()->GetChildren(dir, &children);
    if (!s.ok()) return s;
    for (const std::string& c : children) {
      const bool table =
          c.size() > 4 && c.compare(c.size() - 4, 4, ".sst") == 0;
      // LiveFileMetaData names are "/000012.sst" under db_path.
      if (table && referenced.count(dir + "/" + c) == 0) {
        files->push_back(dir + "/" + c);
      }
    }
  }
  return rocksdb::Status::OK();
}

}  // namespace drift
