// Helpers shared by the tests.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "gtest/gtest.h"
#include "rocksdb/db.h"
#include "rocksdb/status.h"

// Streamable: ASSERT_OK(db->Put(...)) << "context";
#define ASSERT_OK(expr) ASSERT_PRED_FORMAT1(::drift::test::IsOk, expr)
#define EXPECT_OK(expr) EXPECT_PRED_FORMAT1(::drift::test::IsOk, expr)

namespace drift {
namespace test {

inline testing::AssertionResult IsOk(const char* expr,
                                     const rocksdb::Status& s) {
  if (s.ok()) return testing::AssertionSuccess();
  return testing::AssertionFailure() << expr << ": " << s.ToString();
}

// Opens (creating if missing) the DB in `dir` with the default column family
// and a column family "vectors" with options `vec`; handles[1] is "vectors".
rocksdb::Status OpenWithVectorCf(
    const std::string& dir, rocksdb::DBOptions db_opts,
    const rocksdb::ColumnFamilyOptions& vec, std::unique_ptr<rocksdb::DB>* db,
    std::vector<rocksdb::ColumnFamilyHandle*>* handles);

// Runs `command` in a shell; its exit code (-1 if it did not exit) and its
// stdout and stderr together.
struct CommandResult {
  int code = -1;
  std::string output;
};
CommandResult RunCommand(const std::string& command);

// A fresh, empty directory under $TEST_TMPDIR or /tmp, unique to this process.
std::string TempDir(const std::string& name);
void RemoveDir(const std::string& dir);

// Nice value and scheduling policy of this process's thread named `name`;
// false if there is none.
bool ThreadScheduling(const std::string& name, int* nice, int* policy);

// A fixture with a DB in TempDir(name) holding a vector column family of
// dimension `dim` (VectorColumnFamilyOptions; handles_[1]), closed and
// removed after the test.
class VectorDbTest : public testing::Test {
 protected:
  VectorDbTest(std::string name, uint32_t dim)
      : name_(std::move(name)), dim_(dim) {}
  void SetUp() override;
  void TearDown() override;
  // Writes `v` (dim_ floats) under `key` to the vector column family.
  void PutVector(const std::string& key, const float* v);

  const std::string name_;
  const uint32_t dim_;
  std::string dir_;
  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
};

}  // namespace test
}  // namespace drift
