#include "tests/test_util.h"

#include <dirent.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>

#include "drift/plugin.h"
#include "drift/vector_index.h"

namespace drift {
namespace test {

rocksdb::Status OpenWithVectorCf(
    const std::string& dir, rocksdb::DBOptions db_opts,
    const rocksdb::ColumnFamilyOptions& vec, std::unique_ptr<rocksdb::DB>* db,
    std::vector<rocksdb::ColumnFamilyHandle*>* handles) {
  db_opts.create_if_missing = true;
  db_opts.create_missing_column_families = true;
  rocksdb::DB* raw = nullptr;
  rocksdb::Status s = rocksdb::DB::Open(
      db_opts, dir, {{rocksdb::kDefaultColumnFamilyName, {}}, {"vectors", vec}},
      handles, &raw);
  db->reset(raw);
  return s;
}

CommandResult RunCommand(const std::string& command) {
  CommandResult r;
  FILE* p = popen((command + " 2>&1").c_str(), "r");
  if (p == nullptr) return r;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), p)) > 0) r.output.append(buf, n);
  const int status = pclose(p);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

std::string TempDir(const std::string& name) {
  const char* base = std::getenv("TEST_TMPDIR");
  std::filesystem::path dir = base != nullptr ? base : "/tmp";
  dir /= "drift_" + name + "_" + std::to_string(::getpid());
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir.string();
}

// Fields 19 and 41 of /proc/self/task/<tid>/stat.
bool ThreadScheduling(const std::string& name, int* nice, int* policy) {
  DIR* dir = opendir("/proc/self/task");
  if (dir == nullptr) return false;
  bool found = false;
  while (dirent* e = readdir(dir)) {
    const std::string task = std::string("/proc/self/task/") + e->d_name;
    std::ifstream comm(task + "/comm");
    std::string line;
    if (!std::getline(comm, line) || line != name) continue;
    std::ifstream stat_file(task + "/stat");
    std::string stat((std::istreambuf_iterator<char>(stat_file)),
                     std::istreambuf_iterator<char>());
    std::istringstream fields(stat.substr(stat.rfind(')') + 2));
    std::vector<std::string> f;  // f[0] is field 3 (state)
    for (std::string x; fields >> x;) f.push_back(x);
    if (f.size() < 39) continue;
    *nice = std::stoi(f[16]);
    *policy = std::stoi(f[38]);
    found = true;
  }
  closedir(dir);
  return found;
}

void RemoveDir(const std::string& dir) {
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
}

void VectorDbTest::SetUp() {
  RegisterDrift();
  dir_ = TempDir(name_);
  ASSERT_OK(OpenWithVectorCf(
      dir_, rocksdb::DBOptions(),
      VectorColumnFamilyOptions(dim_, rocksdb::ColumnFamilyOptions()), &db_,
      &handles_));
}

void VectorDbTest::TearDown() {
  for (auto* h : handles_) ASSERT_OK(db_->DestroyColumnFamilyHandle(h));
  ASSERT_OK(db_->Close());
  RemoveDir(dir_);
}

void VectorDbTest::PutVector(const std::string& key, const float* v) {
  ASSERT_OK(db_->Put(
      rocksdb::WriteOptions(), handles_[1], key,
      rocksdb::Slice(reinterpret_cast<const char*>(v), dim_ * sizeof(float))));
}

}  // namespace test
}  // namespace drift
