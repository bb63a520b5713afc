#include "drift/table_files.h"

#include <cstdlib>
#include <set>

#include "rocksdb/env.h"

namespace drift {

rocksdb::Status ListUnreferencedTableFiles(rocksdb::DB* db,
                                           std::vector<std::string>* files) {
  files->clear();
  // By file number: the same directory may be spelled differently in
  // db_paths and in the live files' db_path.
  std::vector<rocksdb::LiveFileMetaData> live;
  db->GetLiveFilesMetaData(&live);
  std::set<uint64_t> referenced;
  for (const auto& f : live) referenced.insert(f.file_number);
  std::set<std::string> dirs = {db->GetName()};
  for (const auto& p : db->GetDBOptions().db_paths) dirs.insert(p.path);
  for (const std::string& dir : dirs) {
    std::vector<std::string> children;
    rocksdb::Status s = db->GetEnv()->GetChildren(dir, &children);
    if (!s.ok()) return s;
    for (const std::string& c : children) {
      if (c.size() <= 4 || c.compare(c.size() - 4, 4, ".sst") != 0) continue;
      char* end = nullptr;
      const uint64_t number = std::strtoull(c.c_str(), &end, 10);
      const bool numbered = end == c.c_str() + c.size() - 4;
      if (!numbered || referenced.count(number) == 0) {
        files->push_back(dir + "/" + c);
      }
    }
  }
  return rocksdb::Status::OK();
}

}  // namespace drift
